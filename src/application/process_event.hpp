#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "application/ports.hpp"
#include "domain/flow.hpp"

namespace fixit::application {

enum class Outcome {
  applied,     // a rule matched; the dialog moved and its actions were queued
  no_rule,     // the dialog's state has no rule for this event; nothing changed
  unroutable,  // no dialog could be found for the event (an unknown issue...)
  ignored,     // not an event the flow reacts to (delivery receipts)
};

std::string_view to_string(Outcome outcome);

struct ProcessResult {
  Outcome outcome = Outcome::ignored;
  std::string rule;  // the rule that matched, if any
  std::string user_id;
  std::size_t actions = 0;
  // No automatic reply: the client's message was too old to answer, or this is
  // the result of an action such a message caused.
  bool replies_suppressed = false;
};

struct ProcessOptions {
  // Messages older than this (a replay after an outage) still move the dialog,
  // but get no automatic reply: WhatsApp refuses free text after 24 hours.
  std::chrono::seconds max_reply_age{std::chrono::hours(24)};
  int max_concurrent_update_retries = 3;
};

using Clock = std::function<std::chrono::system_clock::time_point()>;

// The use case behind every event: find the client's dialog (or start one),
// let the flow decide, save the dialog and queue what the flow asked for.
class ProcessEvent {
 public:
  ProcessEvent(const domain::FlowEngine& engine, IDialogRepository& dialogs, IActionQueue& actions,
               ProcessOptions options = {}, Clock clock = std::chrono::system_clock::now);

  Task<ProcessResult> operator()(const domain::DomainEvent& event);

 private:
  Task<std::optional<domain::Dialog>> find_dialog(const domain::DomainEvent& event);
  // A message too old for an automatic reply, or the result of an action it caused.
  [[nodiscard]] bool too_late_to_answer(const domain::DomainEvent& event) const;

  const domain::FlowEngine& engine_;
  IDialogRepository& dialogs_;
  IActionQueue& actions_;
  ProcessOptions options_;
  Clock clock_;
};

}  // namespace fixit::application
