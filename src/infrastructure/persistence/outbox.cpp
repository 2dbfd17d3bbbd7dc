#include "infrastructure/persistence/outbox.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "infrastructure/logging.hpp"
#include "infrastructure/persistence/database.hpp"
#include "infrastructure/persistence/deliveries.hpp"
#include "infrastructure/persistence/event_inbox.hpp"
#include "infrastructure/persistence/json_map.hpp"

namespace fixit::infrastructure::persistence {

namespace {

constexpr std::string_view text_field = "text";
constexpr std::string_view title_field = "title";
constexpr std::string_view description_field = "description";
constexpr std::string_view message_id_field = "message_id";
constexpr std::string_view quiet_field = "quiet";

std::string action_to_json(const domain::DialogAction& action) {
  TextMap fields;
  const auto put = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) {
      fields.emplace(name, value);
    }
  };
  put(text_field, action.text);
  put(title_field, action.title);
  put(description_field, action.description);
  put(message_id_field, action.message_id);
  if (action.quiet) {
    fields.emplace(quiet_field, "1");
  }
  return to_json(fields);
}

domain::DialogAction action_from_row(std::string_view kind, std::string_view json) {
  const auto parsed_kind = domain::parse_action_kind(kind);
  if (!parsed_kind) {
    throw std::runtime_error("unknown action kind \"" + std::string(kind) + "\"");
  }
  auto fields = text_map_from_json(json);
  const auto take = [&](std::string_view name) {
    const auto it = fields.find(name);
    return it == fields.end() ? std::string{} : std::move(it->second);
  };
  domain::DialogAction action;
  action.kind = *parsed_kind;
  action.text = take(text_field);
  action.title = take(title_field);
  action.description = take(description_field);
  action.message_id = take(message_id_field);
  action.quiet = take(quiet_field) == "1";
  return action;
}

OutboxEntry read_entry(const Query& q) {
  OutboxEntry entry;
  entry.id = q.integer(0);
  entry.user_id = q.text(1);
  entry.kind = q.text(2);
  entry.state = q.text(3);
  entry.attempts = static_cast<int>(q.integer(4));
  entry.next_attempt_at = q.integer(5);
  entry.last_error = q.optional_text(6);
  entry.cause_key = q.text(7);
  entry.created_at = q.integer(8);
  entry.updated_at = q.integer(9);
  return entry;
}

constexpr const char* entry_columns =
    "SELECT id, user_id, kind, state, attempts, next_attempt_at, last_error, cause_key, "
    "created_at, updated_at FROM outbox ";

}  // namespace

void enqueue_actions(Connection& connection, const domain::Dialog& dialog,
                     const std::vector<domain::DialogAction>& actions,
                     const domain::DomainEvent& cause, std::int64_t now) {
  if (actions.empty()) {
    return;
  }
  if (dialog.user_id.empty()) {
    throw std::invalid_argument("actions need the user id of their dialog");
  }
  const auto context = to_json(dialog.context);
  for (const auto& action : actions) {
    connection
        .query(
            "INSERT INTO outbox (user_id, kind, action, context, cause_key, next_attempt_at, "
            "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)")
        .bind(1, dialog.user_id)
        .bind(2, domain::to_string(action.kind))
        .bind(3, action_to_json(action))
        .bind(4, context)
        .bind(5, cause.key)
        .bind(6, now)
        .run();
  }
}

TemplateResend queue_template_resend(Connection& connection, const std::string& message_id,
                                     std::int64_t now) {
  std::int64_t action_id = 0;
  std::string user_id;
  std::string action_json;
  std::string context_json;
  {
    auto q = connection.query(
        "SELECT d.status, d.error_code, d.action_id, o.kind, o.user_id, o.action, o.context "
        "FROM deliveries d LEFT JOIN outbox o ON o.id = d.action_id WHERE d.message_id = ?1");
    q.bind(1, message_id);
    if (!q.step() || q.text(0) != "failed" || q.optional_text(1) != "131047") {
      return TemplateResend::not_applicable;
    }
    if (q.is_null(2)) {
      return TemplateResend::not_linked_yet;
    }
    if (q.is_null(3) || q.text(3) != domain::to_string(domain::ActionKind::reply)) {
      return TemplateResend::not_applicable;
    }
    action_id = q.integer(2);
    user_id = q.text(4);
    action_json = q.text(5);
    context_json = q.text(6);
  }

  // A long text goes out in parts, each with its own id and receipt; the
  // template carries the whole text, so it goes out once.
  auto earlier = connection.query(
      "SELECT 1 FROM outbox t JOIN deliveries d "
      "ON d.message_id = json_extract(t.action, '$.message_id') "
      "WHERE t.kind = ?1 AND t.user_id = ?2 AND d.action_id = ?3 LIMIT 1");
  earlier.bind(1, domain::to_string(domain::ActionKind::reply_template))
      .bind(2, user_id)
      .bind(3, action_id);
  if (earlier.step()) {
    return TemplateResend::already_queued;
  }

  const auto original = action_from_row(domain::to_string(domain::ActionKind::reply), action_json);
  domain::Dialog dialog;
  dialog.user_id = user_id;
  for (auto& [name, value] : text_map_from_json(context_json)) {
    dialog.context.emplace(name, std::move(value));
  }
  domain::DomainEvent cause;
  cause.key = message_id + ":failed";
  enqueue_actions(connection, dialog,
                  {domain::DialogAction::reply_template(original.text, message_id)}, cause, now);
  return TemplateResend::queued;
}

Claim claim_due_actions(Connection& connection, std::int64_t now, std::size_t limit) {
  struct Row {
    std::int64_t id;
    std::string user_id, kind, action, context;
    int attempts;
  };
  Claim claim;
  std::vector<Row> rows;
  {
    auto q = connection.query(
        "SELECT o.id, o.user_id, o.kind, o.action, o.context, o.attempts, o.next_attempt_at "
        "FROM outbox o WHERE o.state = 'pending' AND o.id = (SELECT min(h.id) FROM outbox h "
        "WHERE h.user_id = o.user_id AND h.state IN ('pending', 'running')) "
        "ORDER BY o.next_attempt_at, o.id");
    while (rows.size() < limit && q.step()) {
      if (q.integer(6) > now) {
        claim.next_due_at = q.integer(6);
        break;
      }
      rows.push_back(Row{q.integer(0), q.text(1), q.text(2), q.text(3), q.text(4),
                         static_cast<int>(q.integer(5))});
    }
  }

  for (auto& row : rows) {
    ClaimedAction claimed;
    claimed.pending.id = row.id;
    claimed.pending.user_id = row.user_id;
    claimed.attempts = row.attempts;
    try {
      claimed.pending.action = action_from_row(row.kind, row.action);
      for (auto& [name, value] : text_map_from_json(row.context)) {
        claimed.pending.context.emplace(name, std::move(value));
      }
    } catch (const std::runtime_error& e) {
      spdlog::error("outbox action unreadable id={} user={} error=\"{}\"", row.id,
                    mask_phone(row.user_id), e.what());
      fail_action(connection, row.id, row.attempts, std::string("unreadable: ") + e.what(), now);
      continue;
    }
    connection.query("UPDATE outbox SET state = 'running', updated_at = ?2 WHERE id = ?1")
        .bind(1, row.id)
        .bind(2, now)
        .run();
    claim.actions.push_back(std::move(claimed));
  }
  return claim;
}

bool complete_action(Connection& connection, const ClaimedAction& claimed,
                     const application::ActionResult& result, std::int64_t now) {
  connection
      .query(
          "UPDATE outbox SET state = 'done', attempts = ?2, last_error = NULL, updated_at = ?3 "
          "WHERE id = ?1")
      .bind(1, claimed.pending.id)
      .bind(2, static_cast<std::int64_t>(claimed.attempts) + 1)
      .bind(3, now)
      .run();
  record_sent_messages(connection, result.sent_message_ids, claimed.pending.user_id,
                       claimed.pending.id, now);
  if (!result.follow_up) {
    return false;
  }
  const InboxRow row = to_inbox_row(*result.follow_up);
  return insert_events(connection, std::span(&row, 1), now).accepted > 0;
}

void reschedule_action(Connection& connection, std::int64_t id, int attempts,
                       std::int64_t next_attempt_at, std::string_view error, std::int64_t now) {
  connection
      .query(
          "UPDATE outbox SET state = 'pending', attempts = ?2, next_attempt_at = ?3, "
          "last_error = ?4, updated_at = ?5 WHERE id = ?1")
      .bind(1, id)
      .bind(2, static_cast<std::int64_t>(attempts))
      .bind(3, next_attempt_at)
      .bind(4, error)
      .bind(5, now)
      .run();
}

void fail_action(Connection& connection, std::int64_t id, int attempts, std::string_view error,
                 std::int64_t now) {
  connection
      .query(
          "UPDATE outbox SET state = 'failed', attempts = ?2, last_error = ?3, updated_at = ?4 "
          "WHERE id = ?1")
      .bind(1, id)
      .bind(2, static_cast<std::int64_t>(attempts))
      .bind(3, error)
      .bind(4, now)
      .run();
}

std::size_t recover_running_actions(Connection& connection, std::int64_t now) {
  connection
      .query(
          "UPDATE outbox SET state = 'pending', next_attempt_at = ?1, updated_at = ?1 "
          "WHERE state = 'running'")
      .bind(1, now)
      .run();
  return static_cast<std::size_t>(connection.changes());
}

std::vector<OutboxEntry> failed_actions(Connection& connection, std::size_t limit) {
  auto q =
      connection.query(std::string(entry_columns) + "WHERE state = 'failed' ORDER BY id LIMIT ?1");
  q.bind(1, static_cast<std::int64_t>(limit));
  std::vector<OutboxEntry> entries;
  while (q.step()) {
    entries.push_back(read_entry(q));
  }
  return entries;
}

std::size_t requeue_failed_actions(Connection& connection, std::span<const std::int64_t> ids,
                                   std::int64_t now) {
  if (ids.empty()) {
    connection
        .query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?1, "
            "updated_at = ?1 WHERE state = 'failed'")
        .bind(1, now)
        .run();
    return static_cast<std::size_t>(connection.changes());
  }
  std::size_t count = 0;
  for (const auto id : ids) {
    connection
        .query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?1, "
            "updated_at = ?1 WHERE state = 'failed' AND id = ?2")
        .bind(1, now)
        .bind(2, id)
        .run();
    count += static_cast<std::size_t>(connection.changes());
  }
  return count;
}

std::optional<OutboxEntry> find_action(Connection& connection, std::int64_t id) {
  auto q = connection.query(std::string(entry_columns) + "WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_entry(q);
}

std::vector<OutboxEntry> actions_of_user(Connection& connection, const std::string& user_id) {
  auto q = connection.query(std::string(entry_columns) + "WHERE user_id = ?1 ORDER BY id");
  q.bind(1, user_id);
  std::vector<OutboxEntry> entries;
  while (q.step()) {
    entries.push_back(read_entry(q));
  }
  return entries;
}

SQLiteActionQueue::SQLiteActionQueue(Database& database) : database_(database) {}

application::Task<void> SQLiteActionQueue::enqueue(const domain::Dialog& dialog,
                                                   const std::vector<domain::DialogAction>& actions,
                                                   const domain::DomainEvent& cause) {
  if (database_.on_strand()) {
    enqueue_actions(database_.connection(), dialog, actions, cause, unix_millis_now());
    co_return;
  }
  // Named, not a temporary in the co_await: GCC 12 destroys such temporaries twice.
  auto job = [dialog, actions, cause](Connection& connection) {
    enqueue_actions(connection, dialog, actions, cause, unix_millis_now());
  };
  co_await database_.write(std::move(job));
}

}  // namespace fixit::infrastructure::persistence
