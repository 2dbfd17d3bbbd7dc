#include "infrastructure/persistence/schema.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <array>
#include <string>

namespace fixit::infrastructure::persistence {

namespace {

// Times are Unix milliseconds (UTC) in INTEGER columns; JSON columns hold one
// object of string values. Never edit a migration that has shipped: add one.
constexpr std::array<Migration, 1> all_migrations{{
    {1, "dialogs, inbox, outbox, issue links, deliveries", R"sql(
CREATE TABLE dialogs (
  user_id    TEXT    PRIMARY KEY,
  state      TEXT    NOT NULL,
  context    TEXT    NOT NULL,          -- JSON object
  version    INTEGER NOT NULL CHECK (version > 0),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Every accepted event, once: the unique key makes a duplicate delivery a no-op.
-- The rowid is the arrival order the dispatcher follows.
CREATE TABLE inbox (
  id           INTEGER PRIMARY KEY,
  event_key    TEXT    NOT NULL UNIQUE,
  type         TEXT    NOT NULL,
  user_id      TEXT    NOT NULL,
  payload      TEXT    NOT NULL,        -- JSON object
  received_at  INTEGER NOT NULL,
  state        TEXT    NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'processed', 'failed')),
  processed_at INTEGER,
  error        TEXT
);
CREATE INDEX inbox_pending ON inbox (id) WHERE state = 'pending';
CREATE INDEX inbox_failed ON inbox (id) WHERE state = 'failed';

-- Actions the flow decided, executed through the ports. One user's actions run
-- one at a time in id order; `running` ones are reset to `pending` at start.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  user_id         TEXT    NOT NULL,
  kind            TEXT    NOT NULL,
  action          TEXT    NOT NULL,     -- JSON object: text, title, description, message_id
  context         TEXT    NOT NULL,     -- JSON object: the dialog's context when decided
  cause_key       TEXT    NOT NULL,     -- inbox.event_key of the event that caused it
  state           TEXT    NOT NULL DEFAULT 'pending'
                          CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_open_by_user ON outbox (user_id, id) WHERE state IN ('pending', 'running');
CREATE INDEX outbox_failed ON outbox (id) WHERE state = 'failed';

-- Which dialog an Okdesk issue belongs to, for progress and payment events.
CREATE TABLE issue_links (
  issue_id   TEXT    PRIMARY KEY,
  user_id    TEXT    NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX issue_links_user ON issue_links (user_id);

-- What became of each message we sent. `rank` orders statuses so that a late
-- receipt never downgrades: accepted 0 < sent 1 < delivered 2 < read/played 3
-- < failed 4. A receipt may arrive before the send call returned its id; the
-- row is then created by the receipt (action_id NULL) and linked later.
CREATE TABLE deliveries (
  message_id  TEXT    PRIMARY KEY,
  user_id     TEXT,
  action_id   INTEGER,
  status      TEXT    NOT NULL,
  rank        INTEGER NOT NULL,
  error_code  TEXT,
  error_title TEXT,
  status_at   INTEGER,                  -- the receipt's own timestamp (ms)
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
}};

}  // namespace

std::span<const Migration> migrations() {
  return all_migrations;
}

int latest_schema_version() {
  return all_migrations.back().version;
}

int schema_version(Connection& connection) {
  auto q = connection.query("PRAGMA user_version");
  return q.step() ? static_cast<int>(q.integer(0)) : 0;
}

int apply_migrations(Connection& connection) {
  const int found = schema_version(connection);
  if (found > latest_schema_version()) {
    throw DatabaseError(SQLITE_ERROR, "database " + connection.path() + " has schema version " +
                                          std::to_string(found) + ", newer than this program's " +
                                          std::to_string(latest_schema_version()) +
                                          "; run a newer fixit-exchange or restore a backup");
  }
  for (const auto& migration : all_migrations) {
    if (migration.version <= found) {
      continue;
    }
    Transaction transaction(connection);
    connection.exec(migration.sql);
    connection.exec("PRAGMA user_version = " + std::to_string(migration.version));
    transaction.commit();
    spdlog::info("database migrated version={} change=\"{}\"", migration.version,
                 migration.description);
  }
  return found;
}

}  // namespace fixit::infrastructure::persistence
