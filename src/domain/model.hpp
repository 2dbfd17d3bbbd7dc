#pragma once

// The business's own vocabulary: who writes to us, what they wrote, the ticket
// opened for them and where their conversation stands. Plain C++20, no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fixit::domain {

// Where a client's conversation stands.
enum class State { NEW, ASK_NAME, ASK_COMPANY, AWAITING_PAYMENT, PAID, DONE };

std::string_view to_string(State state);
std::optional<State> parse_state(std::string_view text);

// What the flow remembers about a client between messages (name, company, the
// problem, the open issue...). Values are text; keys are placeholder names.
using Context = std::map<std::string, std::string>;

// Well-known context keys, also usable as placeholders: "{name}" in a text.
namespace ctx {
inline constexpr std::string_view name = "name";
inline constexpr std::string_view company = "company";
inline constexpr std::string_view phone = "phone";
inline constexpr std::string_view problem = "problem";
inline constexpr std::string_view issue_id = "issue_id";
inline constexpr std::string_view issue_link = "issue_link";
inline constexpr std::string_view amount_due = "amount_due";
inline constexpr std::string_view amount_paid = "amount_paid";
inline constexpr std::string_view currency = "currency";
inline constexpr std::string_view invoice_number = "invoice_number";
inline constexpr std::string_view status_name = "status_name";
inline constexpr std::string_view comment = "comment";
}  // namespace ctx

// A client as the messenger knows them. `id` is the messenger's user id (the
// WhatsApp wa_id: the phone number in international form, digits only).
struct User {
  std::string id;
  std::string name;
  std::string phone;
};

// The kinds of inbound message a client can send. Anything not listed arrives
// as `other`; Message::kind keeps the name the messenger gave it.
enum class MessageKind {
  text,
  image,
  audio,
  video,
  document,
  sticker,
  location,
  contacts,
  interactive,
  button,
  reaction,
  order,
  system,
  unsupported,
  other
};

MessageKind parse_message_kind(std::string_view kind);

// An inbound message. `text` holds the body, caption or button title, when any.
struct Message {
  std::string id;
  std::string from;
  std::string kind;
  std::string text;
  std::int64_t timestamp = 0;  // Unix seconds, as the messenger stamped it
};

// A ticket in the helpdesk. `id` and `link` are empty until it is created.
struct Issue {
  std::string title;
  std::string description;
  std::string id;
  std::string link;
};

// One client's conversation. `version` counts saves; a repository refuses a save
// whose version is not the one it loaded, so concurrent updates cannot be lost.
struct Dialog {
  std::string user_id;
  State state = State::NEW;
  Context context;
  std::int64_t version = 0;

  [[nodiscard]] std::string get(std::string_view key) const;
  friend bool operator==(const Dialog&, const Dialog&) = default;
};

}  // namespace fixit::domain
