#pragma once

// The dialog state machine: rules keyed by the state they leave, applied by
// the FlowEngine one event at a time.

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "domain/action.hpp"
#include "domain/event.hpp"
#include "domain/model.hpp"

namespace fixit::domain {

using Predicate = std::function<bool(const DomainEvent&, const Dialog&)>;
using ContextUpdate = std::function<void(Context&, const DomainEvent&)>;

// When a dialog in `state` receives an event for which `when` holds, the
// context is updated by `remember`, the dialog moves to `next_state` and the
// `actions` are taken with the context's values filled in.
struct FlowRule {
  std::string name;
  State state = State::NEW;
  Predicate when;
  State next_state = State::NEW;
  std::vector<DialogAction> actions;
  ContextUpdate remember;
};

// What one event did to a dialog. `rule` is empty when no rule matched.
struct Transition {
  std::string rule;
  std::vector<DialogAction> actions;

  [[nodiscard]] bool matched() const { return !rule.empty(); }
};

class FlowEngine {
 public:
  explicit FlowEngine(std::vector<FlowRule> rules);

  [[nodiscard]] Dialog start_new_dialog(const User& user) const;

  // Applies the first rule of dialog.state whose predicate holds. Without a
  // matching rule the dialog is left as it was and no action is returned.
  Transition next(Dialog& dialog, const DomainEvent& event) const;

  [[nodiscard]] std::size_t rule_count() const;

 private:
  static constexpr std::size_t state_count = 6;
  std::array<std::vector<FlowRule>, state_count> rules_by_state_;
};

}  // namespace fixit::domain
