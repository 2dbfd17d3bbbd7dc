#pragma once

// What an operator needs when something went wrong for good: list the actions
// and events marked failed, and put them back in the queue once the cause is
// fixed. Safe while the service runs (SQLite WAL, busy timeout): the running
// pipeline picks re-queued work up within its poll interval.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "infrastructure/persistence/event_inbox.hpp"
#include "infrastructure/persistence/outbox.hpp"

namespace fixit::infrastructure {
struct Settings;
}

namespace fixit::infrastructure::persistence {

class Database;

// Blocking calls; not on the database thread's completion path.
std::vector<OutboxEntry> list_failed_actions(Database& database, std::size_t limit = 1000);
// Re-queues the given failed actions, or all of them when `ids` is empty.
// Returns how many were re-queued (ids that are not failed are skipped).
std::size_t requeue_failed_actions(Database& database, std::span<const std::int64_t> ids);
std::vector<InboxEntry> list_failed_events(Database& database, std::size_t limit = 1000);
std::size_t requeue_failed_events(Database& database, std::span<const std::int64_t> ids);

// The operator command named in `args` (program arguments without argv[0]),
// run against the configured database, or nothing when `args` names none:
//   --failed-actions                    list failed outbox actions
//   --requeue-actions all|ID[,ID...]    queue failed actions again
//   --failed-events                     list inbox events that failed
//   --requeue-events all|ID[,ID...]     process failed events again
// Returns the process exit code: 0 done, 1 database error, 2 bad arguments.
std::optional<int> run_operator_command(std::span<const std::string> args, const Settings& settings,
                                        std::ostream& out, std::ostream& err);

// The usage lines of the commands above, for --help.
std::string operator_command_usage();

}  // namespace fixit::infrastructure::persistence
