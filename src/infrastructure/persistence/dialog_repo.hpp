#pragma once

// The conversations, in the `dialogs` table, and the link from an Okdesk issue
// to the conversation it was opened from.

#include <cstdint>
#include <optional>
#include <string>

#include "application/ports.hpp"
#include "infrastructure/persistence/sqlite.hpp"

namespace fixit::infrastructure::persistence {

class Database;

// The SQL behind the repository; on the database strand only.
std::optional<domain::Dialog> load_dialog(Connection& connection, const std::string& user_id);
std::optional<domain::Dialog> find_dialog_by_issue(Connection& connection,
                                                   const std::string& issue_id);
// Inserts (version 0) or updates (version n) the dialog and advances its
// version; records the link of its issue when its context names one. Throws
// application::ConcurrentUpdate when the stored version is not dialog.version.
void save_dialog(Connection& connection, domain::Dialog& dialog, std::int64_t now);

// IDialogRepository on the database. Called on the database strand (the
// dispatcher) it runs its SQL at once, inside the caller's transaction; called
// from elsewhere it awaits the strand, and a save is then its own transaction.
class SQLiteDialogRepo final : public application::IDialogRepository {
 public:
  explicit SQLiteDialogRepo(Database& database);

  application::Task<std::optional<domain::Dialog>> load(const std::string& user_id) override;
  application::Task<std::optional<domain::Dialog>> find_by_issue(
      const std::string& issue_id) override;
  application::Task<void> save(domain::Dialog& dialog) override;

 private:
  Database& database_;
};

}  // namespace fixit::infrastructure::persistence
