#pragma once

// The outbox: actions the flow decided, stored in the same transaction as the
// dialog step that decided them, executed later through the ports.
//
// One user's actions run one at a time in the order they were decided: only
// the oldest unfinished action of a user (its "head") can be claimed, so a
// reply waiting for a retry holds back the replies after it.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "application/execute_action.hpp"
#include "application/ports.hpp"
#include "infrastructure/persistence/sqlite.hpp"

namespace fixit::infrastructure::persistence {

class Database;

struct ClaimedAction {
  application::PendingAction pending;
  int attempts = 0;  // attempts made before this one
};

struct Claim {
  std::vector<ClaimedAction> actions;
  // When the earliest not-yet-due head action becomes due (Unix ms), if any.
  std::optional<std::int64_t> next_due_at;
};

struct OutboxEntry {
  std::int64_t id = 0;
  std::string user_id;
  std::string kind;
  std::string state;
  int attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::optional<std::string> last_error;
  std::string cause_key;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

// The SQL behind the outbox; on the database strand only.
void enqueue_actions(Connection& connection, const domain::Dialog& dialog,
                     const std::vector<domain::DialogAction>& actions,
                     const domain::DomainEvent& cause, std::int64_t now);

enum class TemplateResend {
  queued,          // a reply_template action now follows the user's queue
  not_applicable,  // the message did not fail with 131047, or was not a free-text reply
  not_linked_yet,  // the send call that produced the id has not been recorded yet
  already_queued,  // another part of the same text already led to the template
};

// The messenger reported `message_id` failed because the client's 24-hour
// window had closed (error 131047): queues the template with the original
// reply's text and context, once per reply action, caused by the receipt
// `<message_id>:failed`. Template messages themselves never lead to another.
TemplateResend queue_template_resend(Connection& connection, const std::string& message_id,
                                     std::int64_t now);

// Marks up to `limit` due head actions `running` and returns them. A row that
// cannot be read is marked failed instead.
Claim claim_due_actions(Connection& connection, std::int64_t now, std::size_t limit);

// The action succeeded: done, its sent message ids recorded for receipts, its
// follow-up event (if any) added to the inbox. Returns true when a new inbox
// event was added.
bool complete_action(Connection& connection, const ClaimedAction& claimed,
                     const application::ActionResult& result, std::int64_t now);
void reschedule_action(Connection& connection, std::int64_t id, int attempts,
                       std::int64_t next_attempt_at, std::string_view error, std::int64_t now);
void fail_action(Connection& connection, std::int64_t id, int attempts, std::string_view error,
                 std::int64_t now);

// Puts actions left `running` by a stopped or crashed process back to pending.
std::size_t recover_running_actions(Connection& connection, std::int64_t now);

std::vector<OutboxEntry> failed_actions(Connection& connection, std::size_t limit);
// Failed actions (all when `ids` is empty) become pending again, due now, with
// their attempt count reset; last_error is kept until they succeed.
std::size_t requeue_failed_actions(Connection& connection, std::span<const std::int64_t> ids,
                                   std::int64_t now);
std::optional<OutboxEntry> find_action(Connection& connection, std::int64_t id);
std::vector<OutboxEntry> actions_of_user(Connection& connection, const std::string& user_id);

// IActionQueue on the database. On the strand (the dispatcher) it inserts
// within the caller's transaction; elsewhere it awaits its own.
class SQLiteActionQueue final : public application::IActionQueue {
 public:
  explicit SQLiteActionQueue(Database& database);

  application::Task<void> enqueue(const domain::Dialog& dialog,
                                  const std::vector<domain::DialogAction>& actions,
                                  const domain::DomainEvent& cause) override;

 private:
  Database& database_;
};

}  // namespace fixit::infrastructure::persistence
