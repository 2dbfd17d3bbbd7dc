#include "domain/event.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace fixit::domain {

namespace {
constexpr std::array<std::pair<EventType, std::string_view>, 5> event_names{{
    {EventType::MESSAGE, "MESSAGE"},
    {EventType::MESSAGE_STATUS, "MESSAGE_STATUS"},
    {EventType::ISSUE_UPDATED, "ISSUE_UPDATED"},
    {EventType::PAYMENT_STATUS, "PAYMENT_STATUS"},
    {EventType::ISSUE_CREATED, "ISSUE_CREATED"},
}};
}  // namespace

std::string_view to_string(EventType type) {
  for (const auto& [value, name] : event_names) {
    if (value == type) {
      return name;
    }
  }
  return "UNKNOWN";
}

std::optional<EventType> parse_event_type(std::string_view text) {
  for (const auto& [value, name] : event_names) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

std::string DomainEvent::get(std::string_view name) const {
  const auto it = payload.find(name);
  return it == payload.end() ? std::string{} : it->second;
}

bool DomainEvent::has(std::string_view name) const {
  const auto it = payload.find(name);
  return it != payload.end() && !it->second.empty();
}

std::optional<Message> message_of(const DomainEvent& event) {
  if (event.type != EventType::MESSAGE) {
    return std::nullopt;
  }
  Message message;
  message.id = event.get(key::message_id);
  message.from = event.user_id;
  message.kind = event.get(key::kind);
  message.text = event.get(key::text);
  const auto stamp = event.get(key::timestamp);
  std::int64_t seconds = 0;
  const auto [end, error] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), seconds);
  if (error == std::errc{} && end == stamp.data() + stamp.size()) {
    message.timestamp = seconds;
  }
  return message;
}

}  // namespace fixit::domain
