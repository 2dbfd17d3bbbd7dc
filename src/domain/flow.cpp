#include "domain/flow.hpp"

#include <stdexcept>

namespace fixit::domain {

namespace {
std::size_t index_of(State state) {
  return static_cast<std::size_t>(state);
}
}  // namespace

FlowEngine::FlowEngine(std::vector<FlowRule> rules) {
  for (auto& rule : rules) {
    if (!rule.when) {
      throw std::invalid_argument("flow rule '" + rule.name + "' has no predicate");
    }
    if (rule.name.empty()) {
      throw std::invalid_argument("every flow rule needs a name");
    }
    rules_by_state_.at(index_of(rule.state)).push_back(std::move(rule));
  }
}

Dialog FlowEngine::start_new_dialog(const User& user) const {
  Dialog dialog;
  dialog.user_id = user.id;
  dialog.state = State::NEW;
  dialog.context[std::string(ctx::phone)] = user.phone.empty() ? user.id : user.phone;
  if (!user.name.empty()) {
    dialog.context["profile_name"] = user.name;
  }
  return dialog;
}

Transition FlowEngine::next(Dialog& dialog, const DomainEvent& event) const {
  for (const auto& rule : rules_by_state_.at(index_of(dialog.state))) {
    if (!rule.when(event, dialog)) {
      continue;
    }
    if (rule.remember) {
      rule.remember(dialog.context, event);
    }
    dialog.state = rule.next_state;

    Transition transition;
    transition.rule = rule.name;
    transition.actions.reserve(rule.actions.size());
    for (const auto& action : rule.actions) {
      transition.actions.push_back(action.with_context(dialog.context));
    }
    return transition;
  }
  return {};
}

std::size_t FlowEngine::rule_count() const {
  std::size_t count = 0;
  for (const auto& rules : rules_by_state_) {
    count += rules.size();
  }
  return count;
}

}  // namespace fixit::domain
