#pragma once

// What the flow asks the outside world to do. Actions are data: the application
// layer stores them and executes them through its ports.

#include <optional>
#include <string>
#include <string_view>

#include "domain/model.hpp"

namespace fixit::domain {

enum class ActionKind {
  reply,            // send `text` to the client
  create_issue,     // open a helpdesk issue from `title` and `description`
  request_invoice,  // ask accounting for an invoice for the dialog's issue
  mark_read,        // mark the client's message `message_id` as read
  // send `text` as the parameter of the messenger's approved template: the free
  // text `message_id` was refused because the client's 24-hour window had closed
  reply_template,
};

std::string_view to_string(ActionKind kind);
std::optional<ActionKind> parse_action_kind(std::string_view text);

struct DialogAction {
  ActionKind kind = ActionKind::reply;
  std::string text;
  std::string title;
  std::string description;
  std::string message_id;
  // Whatever follows from this action gets no automatic reply: the client's
  // message that caused it came too late to be answered (a replay after an outage).
  bool quiet = false;

  static DialogAction reply(std::string text);
  static DialogAction create_issue(std::string title, std::string description);
  static DialogAction request_invoice();
  static DialogAction mark_read(std::string message_id);
  static DialogAction reply_template(std::string text, std::string undelivered_message_id);

  // A copy whose "{placeholder}"s are replaced by the context's values. An
  // unknown placeholder becomes empty; "{{" and "}}" stand for literal braces.
  [[nodiscard]] DialogAction with_context(const Context& context) const;

  friend bool operator==(const DialogAction&, const DialogAction&) = default;
};

// Replaces "{key}" with context values, as DialogAction::with_context does.
std::string fill_placeholders(std::string_view text, const Context& context);

}  // namespace fixit::domain
