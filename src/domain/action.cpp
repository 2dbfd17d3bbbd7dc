#include "domain/action.hpp"

#include <array>
#include <utility>

namespace fixit::domain {

namespace {
constexpr std::array<std::pair<ActionKind, std::string_view>, 5> action_names{{
    {ActionKind::reply, "reply"},
    {ActionKind::create_issue, "create_issue"},
    {ActionKind::request_invoice, "request_invoice"},
    {ActionKind::mark_read, "mark_read"},
    {ActionKind::reply_template, "reply_template"},
}};
}  // namespace

std::string_view to_string(ActionKind kind) {
  for (const auto& [value, name] : action_names) {
    if (value == kind) {
      return name;
    }
  }
  return "unknown";
}

std::optional<ActionKind> parse_action_kind(std::string_view text) {
  for (const auto& [value, name] : action_names) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

DialogAction DialogAction::reply(std::string text) {
  DialogAction action;
  action.kind = ActionKind::reply;
  action.text = std::move(text);
  return action;
}

DialogAction DialogAction::create_issue(std::string title, std::string description) {
  DialogAction action;
  action.kind = ActionKind::create_issue;
  action.title = std::move(title);
  action.description = std::move(description);
  return action;
}

DialogAction DialogAction::request_invoice() {
  DialogAction action;
  action.kind = ActionKind::request_invoice;
  return action;
}

DialogAction DialogAction::mark_read(std::string message_id) {
  DialogAction action;
  action.kind = ActionKind::mark_read;
  action.message_id = std::move(message_id);
  return action;
}

DialogAction DialogAction::reply_template(std::string text, std::string undelivered_message_id) {
  DialogAction action;
  action.kind = ActionKind::reply_template;
  action.text = std::move(text);
  action.message_id = std::move(undelivered_message_id);
  return action;
}

DialogAction DialogAction::with_context(const Context& context) const {
  DialogAction filled = *this;
  filled.text = fill_placeholders(text, context);
  filled.title = fill_placeholders(title, context);
  filled.description = fill_placeholders(description, context);
  return filled;
}

std::string fill_placeholders(std::string_view text, const Context& context) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      out += c;
      i += 2;
      continue;
    }
    if (c == '{') {
      const auto close = text.find('}', i + 1);
      if (close != std::string_view::npos) {
        const auto name = std::string(text.substr(i + 1, close - i - 1));
        if (const auto it = context.find(name); it != context.end()) {
          out += it->second;
        }
        i = close + 1;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace fixit::domain
