#include "domain/event.hpp"

#include <array>
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

}  // namespace fixit::domain
