#include "application/process_event.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "application/errors.hpp"

namespace fixit::application {

using domain::ActionKind;
using domain::DomainEvent;
using domain::EventType;
namespace key = domain::key;

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::applied:
      return "applied";
    case Outcome::no_rule:
      return "no_rule";
    case Outcome::unroutable:
      return "unroutable";
    case Outcome::ignored:
      return "ignored";
  }
  return "unknown";
}

ProcessEvent::ProcessEvent(const domain::FlowEngine& engine, IDialogRepository& dialogs,
                           IActionQueue& actions, ProcessOptions options, Clock clock)
    : engine_(engine),
      dialogs_(dialogs),
      actions_(actions),
      options_(options),
      clock_(std::move(clock)) {}

Task<std::optional<domain::Dialog>> ProcessEvent::find_dialog(const DomainEvent& event) {
  // An issue id names the conversation more precisely than a phone: a client
  // may have had several issues.
  if (event.type != EventType::MESSAGE && event.has(key::issue_id)) {
    if (auto dialog = co_await dialogs_.find_by_issue(event.get(key::issue_id))) {
      co_return dialog;
    }
  }
  if (!event.user_id.empty()) {
    if (auto dialog = co_await dialogs_.load(event.user_id)) {
      co_return dialog;
    }
    if (event.type == EventType::MESSAGE) {
      const domain::User user{event.user_id, event.get(key::profile_name),
                              event.has(key::phone) ? event.get(key::phone) : event.user_id};
      co_return engine_.start_new_dialog(user);
    }
  }
  co_return std::nullopt;
}

bool ProcessEvent::too_late_to_answer(const DomainEvent& event) const {
  if (event.type == EventType::ISSUE_CREATED) {
    return event.get(key::quiet) == "1";
  }
  const auto message = domain::message_of(event);
  if (!message || message->timestamp == 0) {
    return false;  // not a message, or one without a readable time
  }
  const auto sent = std::chrono::system_clock::time_point(std::chrono::seconds(message->timestamp));
  return clock_() - sent > options_.max_reply_age;
}

Task<ProcessResult> ProcessEvent::operator()(const DomainEvent& event) {
  ProcessResult result;
  if (event.type == EventType::MESSAGE_STATUS) {
    co_return result;  // receipts update delivery status; the flow does not see them
  }

  for (int attempt = 0;; ++attempt) {
    auto found = co_await find_dialog(event);
    if (!found) {
      result.outcome = Outcome::unroutable;
      co_return result;
    }
    auto dialog = std::move(*found);
    result.user_id = dialog.user_id;

    auto transition = engine_.next(dialog, event);
    auto actions = std::move(transition.actions);
    if (event.type == EventType::MESSAGE && event.has(key::message_id)) {
      actions.insert(actions.begin(), domain::DialogAction::mark_read(event.get(key::message_id)));
    }
    if (too_late_to_answer(event)) {
      const auto before = actions.size();
      std::erase_if(actions, [](const auto& a) { return a.kind == ActionKind::reply; });
      result.replies_suppressed = actions.size() != before;
      // The work still gets done, silently: an issue opened now is not announced.
      for (auto& action : actions) {
        action.quiet = true;
      }
    }

    try {
      if (transition.matched()) {
        co_await dialogs_.save(dialog);
      }
    } catch (const ConcurrentUpdate&) {
      if (attempt + 1 >= options_.max_concurrent_update_retries) {
        throw;
      }
      continue;  // someone else moved the dialog: decide again on the fresh copy
    }
    if (!actions.empty()) {
      co_await actions_.enqueue(dialog, actions, event);
    }

    result.outcome = transition.matched() ? Outcome::applied : Outcome::no_rule;
    result.rule = transition.rule;
    result.actions = actions.size();
    co_return result;
  }
}

}  // namespace fixit::application
