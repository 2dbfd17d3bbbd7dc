#include "domain/model.hpp"

#include <array>
#include <utility>

namespace fixit::domain {

namespace {

constexpr std::array<std::pair<State, std::string_view>, 6> state_names{{
    {State::NEW, "NEW"},
    {State::ASK_NAME, "ASK_NAME"},
    {State::ASK_COMPANY, "ASK_COMPANY"},
    {State::AWAITING_PAYMENT, "AWAITING_PAYMENT"},
    {State::PAID, "PAID"},
    {State::DONE, "DONE"},
}};

constexpr std::array<std::pair<MessageKind, std::string_view>, 14> kind_names{{
    {MessageKind::text, "text"},
    {MessageKind::image, "image"},
    {MessageKind::audio, "audio"},
    {MessageKind::video, "video"},
    {MessageKind::document, "document"},
    {MessageKind::sticker, "sticker"},
    {MessageKind::location, "location"},
    {MessageKind::contacts, "contacts"},
    {MessageKind::interactive, "interactive"},
    {MessageKind::button, "button"},
    {MessageKind::reaction, "reaction"},
    {MessageKind::order, "order"},
    {MessageKind::system, "system"},
    {MessageKind::unsupported, "unsupported"},
}};

}  // namespace

std::string_view to_string(State state) {
  for (const auto& [value, name] : state_names) {
    if (value == state) {
      return name;
    }
  }
  return "UNKNOWN";
}

std::optional<State> parse_state(std::string_view text) {
  for (const auto& [value, name] : state_names) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

MessageKind parse_message_kind(std::string_view kind) {
  for (const auto& [value, name] : kind_names) {
    if (name == kind) {
      return value;
    }
  }
  return MessageKind::other;
}

std::string Dialog::get(std::string_view key) const {
  const auto it = context.find(std::string(key));
  return it == context.end() ? std::string{} : it->second;
}

}  // namespace fixit::domain
