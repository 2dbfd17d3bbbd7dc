#pragma once

// What became of the messages we sent, from the messenger's receipts. Receipts
// arrive out of order, repeated, and sometimes before the send call that
// produced the message id has returned; the stored status only ever moves
// forward (sent < delivered < read, failed is final and keeps its error).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/event.hpp"
#include "infrastructure/persistence/sqlite.hpp"

namespace fixit::infrastructure::persistence {

struct Delivery {
  std::string message_id;
  std::optional<std::string> user_id;
  std::optional<std::int64_t> action_id;  // empty while only a receipt knows the id
  std::string status;                     // accepted, sent, delivered, read, played, failed
  std::optional<std::string> error_code;
  std::optional<std::string> error_title;
};

// The order of statuses, or nothing for a status this service does not know.
std::optional<int> delivery_rank(std::string_view status);

// The messenger accepted these messages, sent by outbox action `action_id`. A
// receipt that came first keeps its (later) status.
void record_sent_messages(Connection& connection, const std::vector<std::string>& message_ids,
                          const std::string& user_id, std::int64_t action_id, std::int64_t now);

enum class ReceiptOutcome {
  applied,   // the status moved forward
  stale,     // the stored status is already as far or further
  unknown,   // a status this service does not know; nothing stored
  malformed  // no message id
};

// Applies a MESSAGE_STATUS event.
ReceiptOutcome apply_receipt(Connection& connection, const domain::DomainEvent& receipt,
                             std::int64_t now);

std::optional<Delivery> find_delivery(Connection& connection, const std::string& message_id);

}  // namespace fixit::infrastructure::persistence
