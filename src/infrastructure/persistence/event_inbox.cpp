#include "infrastructure/persistence/event_inbox.hpp"

#include <stdexcept>

#include "infrastructure/persistence/database.hpp"
#include "infrastructure/persistence/json_map.hpp"

namespace fixit::infrastructure::persistence {

InboxRow to_inbox_row(const domain::DomainEvent& event) {
  return InboxRow{event.key, std::string(domain::to_string(event.type)), event.user_id,
                  to_json(event.payload)};
}

domain::DomainEvent PendingEvent::to_event() const {
  const auto parsed_type = domain::parse_event_type(type);
  if (!parsed_type) {
    throw std::runtime_error("unknown event type \"" + type + "\"");
  }
  domain::DomainEvent event;
  event.type = *parsed_type;
  event.key = key;
  event.user_id = user_id;
  event.payload = text_map_from_json(payload);
  return event;
}

application::StoreResult insert_events(Connection& connection, std::span<const InboxRow> rows,
                                       std::int64_t now) {
  application::StoreResult result;
  for (const auto& row : rows) {
    auto insert = connection.query(
        "INSERT INTO inbox (event_key, type, user_id, payload, received_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (event_key) DO NOTHING");
    insert.bind(1, row.key).bind(2, row.type).bind(3, row.user_id).bind(4, row.payload);
    insert.bind(5, now).run();
    if (connection.changes() > 0) {
      ++result.accepted;
    } else {
      ++result.duplicates;
    }
  }
  return result;
}

std::vector<PendingEvent> pending_events(Connection& connection, std::size_t limit) {
  auto q = connection.query(
      "SELECT id, event_key, type, user_id, payload, received_at FROM inbox "
      "WHERE state = 'pending' ORDER BY id LIMIT ?1");
  q.bind(1, static_cast<std::int64_t>(limit));
  std::vector<PendingEvent> events;
  while (q.step()) {
    events.push_back(
        PendingEvent{q.integer(0), q.text(1), q.text(2), q.text(3), q.text(4), q.integer(5)});
  }
  return events;
}

std::size_t count_pending_events(Connection& connection) {
  auto q = connection.query("SELECT count(*) FROM inbox WHERE state = 'pending'");
  return q.step() ? static_cast<std::size_t>(q.integer(0)) : 0;
}

void mark_event_processed(Connection& connection, std::int64_t id, std::int64_t now) {
  connection
      .query("UPDATE inbox SET state = 'processed', processed_at = ?2, error = NULL WHERE id = ?1")
      .bind(1, id)
      .bind(2, now)
      .run();
}

void mark_event_failed(Connection& connection, std::int64_t id, std::string_view error,
                       std::int64_t now) {
  connection.query("UPDATE inbox SET state = 'failed', processed_at = ?2, error = ?3 WHERE id = ?1")
      .bind(1, id)
      .bind(2, now)
      .bind(3, error)
      .run();
}

namespace {
InboxEntry read_entry(const Query& q) {
  return InboxEntry{q.integer(0), q.text(1),    q.text(2),         q.text(3),
                    q.text(4),    q.integer(5), q.optional_text(6)};
}
}  // namespace

std::vector<InboxEntry> failed_events(Connection& connection, std::size_t limit) {
  auto q = connection.query(
      "SELECT id, event_key, type, user_id, state, received_at, error FROM inbox "
      "WHERE state = 'failed' ORDER BY id LIMIT ?1");
  q.bind(1, static_cast<std::int64_t>(limit));
  std::vector<InboxEntry> entries;
  while (q.step()) {
    entries.push_back(read_entry(q));
  }
  return entries;
}

std::size_t requeue_failed_events(Connection& connection, std::span<const std::int64_t> ids) {
  if (ids.empty()) {
    connection.query("UPDATE inbox SET state = 'pending' WHERE state = 'failed'").run();
    return static_cast<std::size_t>(connection.changes());
  }
  std::size_t count = 0;
  for (const auto id : ids) {
    connection.query("UPDATE inbox SET state = 'pending' WHERE state = 'failed' AND id = ?1")
        .bind(1, id)
        .run();
    count += static_cast<std::size_t>(connection.changes());
  }
  return count;
}

std::optional<InboxEntry> find_event(Connection& connection, std::string_view key) {
  auto q = connection.query(
      "SELECT id, event_key, type, user_id, state, received_at, error FROM inbox "
      "WHERE event_key = ?1");
  q.bind(1, key);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_entry(q);
}

SQLiteEventInbox::SQLiteEventInbox(Database& database) : database_(database) {}

application::Task<application::StoreResult> SQLiteEventInbox::store(
    std::vector<domain::DomainEvent> events) {
  std::vector<InboxRow> rows;
  rows.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].key.empty()) {
      throw std::invalid_argument(
          "event " + std::to_string(i) + " of " + std::to_string(events.size()) + " (" +
          std::string(domain::to_string(events[i].type)) + ") has no key; nothing was stored");
    }
    rows.push_back(to_inbox_row(events[i]));
  }
  if (rows.empty()) {
    co_return application::StoreResult{};
  }
  // Named, not a temporary in the co_await: GCC 12 destroys such temporaries twice.
  auto job = [this, rows = std::move(rows)](Connection& connection) {
    auto result = insert_events(connection, rows, unix_millis_now());
    database_.note_inbound_store();
    if (result.accepted > 0) {
      // The listener only wakes the dispatcher, which runs after this commit.
      database_.notify_inbox();
    }
    return result;
  };
  co_return co_await database_.write(std::move(job));
}

}  // namespace fixit::infrastructure::persistence
