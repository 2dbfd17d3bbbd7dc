#include "infrastructure/persistence/dialog_repo.hpp"

#include <stdexcept>

#include "application/errors.hpp"
#include "infrastructure/persistence/database.hpp"
#include "infrastructure/persistence/json_map.hpp"

namespace fixit::infrastructure::persistence {

namespace {

domain::Dialog read_dialog(const Query& q) {
  domain::Dialog dialog;
  dialog.user_id = q.text(0);
  const auto state = domain::parse_state(q.text_view(1));
  if (!state) {
    throw std::runtime_error("dialog of " + dialog.user_id + " has unknown state \"" + q.text(1) +
                             "\"");
  }
  dialog.state = *state;
  for (auto& [name, value] : text_map_from_json(q.text_view(2))) {
    dialog.context.emplace(name, std::move(value));
  }
  dialog.version = q.integer(3);
  return dialog;
}

}  // namespace

std::optional<domain::Dialog> load_dialog(Connection& connection, const std::string& user_id) {
  auto q =
      connection.query("SELECT user_id, state, context, version FROM dialogs WHERE user_id = ?1");
  q.bind(1, user_id);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_dialog(q);
}

std::optional<domain::Dialog> find_dialog_by_issue(Connection& connection,
                                                   const std::string& issue_id) {
  auto q = connection.query(
      "SELECT d.user_id, d.state, d.context, d.version FROM issue_links l "
      "JOIN dialogs d ON d.user_id = l.user_id WHERE l.issue_id = ?1");
  q.bind(1, issue_id);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_dialog(q);
}

void save_dialog(Connection& connection, domain::Dialog& dialog, std::int64_t now) {
  if (dialog.user_id.empty()) {
    throw std::invalid_argument("a dialog needs a user id to be saved");
  }
  const auto context = to_json(dialog.context);
  const auto state = domain::to_string(dialog.state);
  if (dialog.version == 0) {
    connection
        .query(
            "INSERT INTO dialogs (user_id, state, context, version, created_at, updated_at) "
            "VALUES (?1, ?2, ?3, 1, ?4, ?4) ON CONFLICT (user_id) DO NOTHING")
        .bind(1, dialog.user_id)
        .bind(2, state)
        .bind(3, context)
        .bind(4, now)
        .run();
  } else {
    connection
        .query(
            "UPDATE dialogs SET state = ?2, context = ?3, version = version + 1, updated_at = ?4 "
            "WHERE user_id = ?1 AND version = ?5")
        .bind(1, dialog.user_id)
        .bind(2, state)
        .bind(3, context)
        .bind(4, now)
        .bind(5, dialog.version)
        .run();
  }
  if (connection.changes() == 0) {
    throw application::ConcurrentUpdate(dialog.user_id);
  }

  const auto issue = dialog.get(domain::ctx::issue_id);
  if (!issue.empty()) {
    connection
        .query(
            "INSERT INTO issue_links (issue_id, user_id, created_at) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (issue_id) DO UPDATE SET user_id = excluded.user_id "
            "WHERE user_id <> excluded.user_id")
        .bind(1, issue)
        .bind(2, dialog.user_id)
        .bind(3, now)
        .run();
  }
  ++dialog.version;
}

SQLiteDialogRepo::SQLiteDialogRepo(Database& database) : database_(database) {}

application::Task<std::optional<domain::Dialog>> SQLiteDialogRepo::load(
    const std::string& user_id) {
  if (database_.on_strand()) {
    co_return load_dialog(database_.connection(), user_id);
  }
  // Named, not a temporary in the co_await: GCC 12 destroys such temporaries twice.
  auto job = [user_id](Connection& connection) { return load_dialog(connection, user_id); };
  co_return co_await database_.read(std::move(job));
}

application::Task<std::optional<domain::Dialog>> SQLiteDialogRepo::find_by_issue(
    const std::string& issue_id) {
  if (database_.on_strand()) {
    co_return find_dialog_by_issue(database_.connection(), issue_id);
  }
  auto job = [issue_id](Connection& connection) {
    return find_dialog_by_issue(connection, issue_id);
  };
  co_return co_await database_.read(std::move(job));
}

application::Task<void> SQLiteDialogRepo::save(domain::Dialog& dialog) {
  if (database_.on_strand()) {
    save_dialog(database_.connection(), dialog, unix_millis_now());
    co_return;
  }
  auto job = [copy = dialog](Connection& connection) mutable {
    save_dialog(connection, copy, unix_millis_now());
    return copy.version;
  };
  dialog.version = co_await database_.write(std::move(job));
}

}  // namespace fixit::infrastructure::persistence
