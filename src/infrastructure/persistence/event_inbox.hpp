#pragma once

// The inbox of received events: every webhook event, stored once under its
// unique key before the webhook is answered, processed later in arrival order.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "application/ports.hpp"
#include "infrastructure/persistence/sqlite.hpp"

namespace fixit::infrastructure::persistence {

class Database;

// An event ready for the inbox, serialised by the caller (off the database thread).
struct InboxRow {
  std::string key;
  std::string type;
  std::string user_id;
  std::string payload;  // JSON object
};

InboxRow to_inbox_row(const domain::DomainEvent& event);

// An inbox entry waiting to be processed. The payload is parsed by the
// dispatcher, so that a corrupt row fails alone.
struct PendingEvent {
  std::int64_t id = 0;
  std::string key;
  std::string type;
  std::string user_id;
  std::string payload;
  std::int64_t received_at = 0;

  // Throws std::runtime_error when the type or payload cannot be read.
  [[nodiscard]] domain::DomainEvent to_event() const;
};

struct InboxEntry {
  std::int64_t id = 0;
  std::string key;
  std::string type;
  std::string user_id;
  std::string state;
  std::int64_t received_at = 0;
  std::optional<std::string> error;
};

// The SQL behind the inbox; on the database strand only.
application::StoreResult insert_events(Connection& connection, std::span<const InboxRow> rows,
                                       std::int64_t now);
std::vector<PendingEvent> pending_events(Connection& connection, std::size_t limit);
std::size_t count_pending_events(Connection& connection);
void mark_event_processed(Connection& connection, std::int64_t id, std::int64_t now);
void mark_event_failed(Connection& connection, std::int64_t id, std::string_view error,
                       std::int64_t now);
std::vector<InboxEntry> failed_events(Connection& connection, std::size_t limit);
// Puts failed events (all of them when `ids` is empty) back to pending.
std::size_t requeue_failed_events(Connection& connection, std::span<const std::int64_t> ids);
std::optional<InboxEntry> find_event(Connection& connection, std::string_view key);

// IEventInbox on the database: concurrent stores share one commit. Each store
// reports how many of its events were new and how many were already there.
// Throws std::invalid_argument (and stores nothing) when an event has no key.
class SQLiteEventInbox final : public application::IEventInbox {
 public:
  explicit SQLiteEventInbox(Database& database);

  application::Task<application::StoreResult> store(
      std::vector<domain::DomainEvent> events) override;

 private:
  Database& database_;
};

}  // namespace fixit::infrastructure::persistence
