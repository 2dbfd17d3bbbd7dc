#include "infrastructure/persistence/deliveries.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace fixit::infrastructure::persistence {

namespace {

constexpr std::array<std::pair<std::string_view, int>, 6> ranks{{
    {"accepted", 0},
    {"sent", 1},
    {"delivered", 2},
    {"read", 3},
    {"played", 3},
    {"failed", 4},
}};

std::optional<std::int64_t> millis_from_seconds(const std::string& seconds) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(seconds.data(), seconds.data() + seconds.size(), value);
  if (error != std::errc{} || end != seconds.data() + seconds.size()) {
    return std::nullopt;
  }
  return value * 1000;
}

std::optional<std::string> non_empty(std::string value) {
  if (value.empty()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<int> delivery_rank(std::string_view status) {
  for (const auto& [name, rank] : ranks) {
    if (name == status) {
      return rank;
    }
  }
  return std::nullopt;
}

void record_sent_messages(Connection& connection, const std::vector<std::string>& message_ids,
                          const std::string& user_id, std::int64_t action_id, std::int64_t now) {
  for (const auto& id : message_ids) {
    connection
        .query(
            "INSERT INTO deliveries (message_id, user_id, action_id, status, rank, created_at, "
            "updated_at) VALUES (?1, ?2, ?3, 'accepted', 0, ?4, ?4) "
            "ON CONFLICT (message_id) DO UPDATE SET user_id = excluded.user_id, "
            "action_id = excluded.action_id, updated_at = excluded.updated_at")
        .bind(1, id)
        .bind(2, user_id)
        .bind(3, action_id)
        .bind(4, now)
        .run();
  }
}

ReceiptOutcome apply_receipt(Connection& connection, const domain::DomainEvent& receipt,
                             std::int64_t now) {
  const auto message_id = receipt.get(domain::key::message_id);
  if (message_id.empty()) {
    return ReceiptOutcome::malformed;
  }
  const auto status = receipt.get(domain::key::status);
  const auto rank = delivery_rank(status);
  if (!rank || *rank == 0) {
    return ReceiptOutcome::unknown;
  }
  auto upsert = connection.query(
      "INSERT INTO deliveries (message_id, user_id, status, rank, error_code, error_title, "
      "status_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
      "ON CONFLICT (message_id) DO UPDATE SET status = excluded.status, rank = excluded.rank, "
      "error_code = excluded.error_code, error_title = excluded.error_title, "
      "status_at = excluded.status_at, updated_at = excluded.updated_at, "
      "user_id = coalesce(deliveries.user_id, excluded.user_id) "
      "WHERE excluded.rank > deliveries.rank");
  upsert.bind(1, message_id)
      .bind(2, non_empty(receipt.user_id))
      .bind(3, status)
      .bind(4, static_cast<std::int64_t>(*rank))
      .bind(5, non_empty(receipt.get(domain::key::error_code)))
      .bind(6, non_empty(receipt.get(domain::key::error_title)));
  if (const auto at = millis_from_seconds(receipt.get(domain::key::timestamp))) {
    upsert.bind(7, *at);
  } else {
    upsert.bind_null(7);
  }
  upsert.bind(8, now).run();
  return connection.changes() > 0 ? ReceiptOutcome::applied : ReceiptOutcome::stale;
}

std::optional<Delivery> find_delivery(Connection& connection, const std::string& message_id) {
  auto q = connection.query(
      "SELECT message_id, user_id, action_id, status, error_code, error_title FROM deliveries "
      "WHERE message_id = ?1");
  q.bind(1, message_id);
  if (!q.step()) {
    return std::nullopt;
  }
  Delivery delivery;
  delivery.message_id = q.text(0);
  delivery.user_id = q.optional_text(1);
  if (!q.is_null(2)) {
    delivery.action_id = q.integer(2);
  }
  delivery.status = q.text(3);
  delivery.error_code = q.optional_text(4);
  delivery.error_title = q.optional_text(5);
  return delivery;
}

}  // namespace fixit::infrastructure::persistence
