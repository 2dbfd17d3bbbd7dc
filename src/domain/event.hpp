#pragma once

// Something that happened outside and matters to a conversation. Adapters turn
// webhooks into events; the flow reacts to them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "domain/model.hpp"

namespace fixit::domain {

enum class EventType {
  MESSAGE,         // an inbound messenger message of any kind
  MESSAGE_STATUS,  // a receipt for a message we sent: sent, delivered, read, failed
  ISSUE_UPDATED,   // the helpdesk changed an issue's status or published a comment
  PAYMENT_STATUS,  // accounting reports a payment for an invoice
  ISSUE_CREATED,   // our own create_issue action finished: the issue's id and link
};

std::string_view to_string(EventType type);
std::optional<EventType> parse_event_type(std::string_view text);

using Payload = std::map<std::string, std::string, std::less<>>;

// Payload keys, per event type. Every value is text: amounts stay decimal
// strings ("15000.00"), timestamps are Unix seconds.
namespace key {
// MESSAGE
inline constexpr std::string_view message_id = "message_id";
inline constexpr std::string_view kind = "kind";
inline constexpr std::string_view text = "text";
inline constexpr std::string_view timestamp = "timestamp";
inline constexpr std::string_view profile_name = "profile_name";
inline constexpr std::string_view phone = "phone";
// MESSAGE_STATUS (also message_id, timestamp)
inline constexpr std::string_view status = "status";
inline constexpr std::string_view error_code = "error_code";
inline constexpr std::string_view error_title = "error_title";
// ISSUE_UPDATED and ISSUE_CREATED
inline constexpr std::string_view issue_id = "issue_id";
inline constexpr std::string_view issue_link = "issue_link";
inline constexpr std::string_view event_type = "event_type";
inline constexpr std::string_view old_status_code = "old_status_code";
inline constexpr std::string_view old_status_name = "old_status_name";
inline constexpr std::string_view new_status_code = "new_status_code";
inline constexpr std::string_view new_status_name = "new_status_name";
inline constexpr std::string_view comment = "comment";
// ISSUE_CREATED for a message too old to answer: "1" when no reply may follow
inline constexpr std::string_view quiet = "quiet";
// PAYMENT_STATUS (also status, issue_id, phone)
inline constexpr std::string_view invoice_number = "invoice_number";
inline constexpr std::string_view invoice_id = "invoice_id";
inline constexpr std::string_view payment_number = "payment_number";
inline constexpr std::string_view amount_paid = "amount_paid";
inline constexpr std::string_view amount_due = "amount_due";
inline constexpr std::string_view currency = "currency";
inline constexpr std::string_view paid_at = "paid_at";
}  // namespace key

// Payment statuses as the flow understands them (PAYMENT_STATUS `status`).
namespace payment {
inline constexpr std::string_view paid = "paid";
inline constexpr std::string_view partially_paid = "partially_paid";
inline constexpr std::string_view cancelled = "cancelled";
inline constexpr std::string_view refunded = "refunded";
}  // namespace payment

struct DomainEvent {
  EventType type = EventType::MESSAGE;
  // Identifies the event in the outside world; two deliveries of one event share
  // it (the WhatsApp message id, message id + status for receipts, ...).
  std::string key;
  // The messenger user the event concerns; empty when only the payload can tell
  // (an Okdesk issue id, a payment naming an issue).
  std::string user_id;
  Payload payload;

  [[nodiscard]] std::string get(std::string_view name) const;
  [[nodiscard]] bool has(std::string_view name) const;
  friend bool operator==(const DomainEvent&, const DomainEvent&) = default;
};

// The inbound message a MESSAGE event carries; nothing for other events. The
// sender is the event's user; a timestamp that is not a number reads as 0.
std::optional<Message> message_of(const DomainEvent& event);

}  // namespace fixit::domain
