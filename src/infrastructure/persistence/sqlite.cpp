#include "infrastructure/persistence/sqlite.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace fixit::infrastructure::persistence {

DatabaseError::DatabaseError(int code, const std::string& message)
    : std::runtime_error(message), code_(code) {}

bool DatabaseError::environmental() const {
  switch (code_ & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return true;
    default:
      return false;
  }
}

// ---- Query

Query::Query(Connection& connection, sqlite3_stmt* statement)
    : connection_(connection), statement_(statement) {}

Query::~Query() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

Query& Query::bind(int index, std::int64_t value) {
  connection_.check(sqlite3_bind_int64(statement_, index, value), "bind");
  return *this;
}

Query& Query::bind(int index, std::string_view value) {
  connection_.check(sqlite3_bind_text64(statement_, index, value.data(), value.size(),
                                        SQLITE_TRANSIENT, SQLITE_UTF8),
                    "bind");
  return *this;
}

Query& Query::bind_null(int index) {
  connection_.check(sqlite3_bind_null(statement_, index), "bind");
  return *this;
}

Query& Query::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

bool Query::step() {
  const int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) {
    return true;
  }
  if (code == SQLITE_DONE) {
    return false;
  }
  connection_.check(code, sqlite3_sql(statement_));
  return false;
}

void Query::run() {
  while (step()) {
  }
}

std::int64_t Query::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string_view Query::text_view(int column) const {
  const auto* data = sqlite3_column_text(statement_, column);
  const auto size = sqlite3_column_bytes(statement_, column);
  return data == nullptr ? std::string_view{}
                         : std::string_view(reinterpret_cast<const char*>(data),
                                            static_cast<std::size_t>(size));
}

std::string Query::text(int column) const {
  return std::string(text_view(column));
}

bool Query::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::optional<std::string> Query::optional_text(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return text(column);
}

// ---- Connection

Connection::Connection(const ConnectionOptions& options) : path_(options.path) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int code = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (code != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    sqlite3_close(db_);
    db_ = nullptr;
    throw DatabaseError(code, "cannot open database " + path_ + ": " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  try {
    check(sqlite3_busy_timeout(db_, options.busy_timeout_ms), "busy_timeout");
    exec("PRAGMA journal_mode=WAL");
    exec(options.synchronous == Synchronous::full ? "PRAGMA synchronous=FULL"
                                                  : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    // 16 MiB of page cache instead of SQLite's 2 MiB: with a million dialogs
    // stored, the indexes a webhook and a dialog step touch stay in memory.
    exec("PRAGMA cache_size=-16384");
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

Connection::~Connection() {
  statements_.clear();
  if (db_ != nullptr && sqlite3_close(db_) != SQLITE_OK) {
    spdlog::error("database close failed path={} error={}", path_, sqlite3_errmsg(db_));
  }
}

void Connection::check(int code, std::string_view what) const {
  if (code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE) {
    return;
  }
  throw DatabaseError(
      code, std::string(what) + ": " + sqlite3_errmsg(db_) + " (" + sqlite3_errstr(code) + ")");
}

void Connection::exec(std::string_view sql) {
  char* error = nullptr;
  const std::string statement(sql);
  const int code = sqlite3_exec(db_, statement.c_str(), nullptr, nullptr, &error);
  if (code != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(code);
    sqlite3_free(error);
    throw DatabaseError(code, statement.substr(0, 60) + ": " + message);
  }
}

Query Connection::query(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* statement = nullptr;
    check(sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                             SQLITE_PREPARE_PERSISTENT, &statement, nullptr),
          sql);
    it = statements_.emplace(std::string(sql), StatementPtr(statement, sqlite3_finalize)).first;
  }
  return Query(*this, it->second.get());
}

std::int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int Connection::changes() const {
  return sqlite3_changes(db_);
}

bool Connection::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

std::string Connection::journal_mode() {
  auto q = query("PRAGMA journal_mode");
  return q.step() ? q.text(0) : std::string{};
}

// ---- Transaction

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.query("BEGIN IMMEDIATE").run();
}

Transaction::~Transaction() {
  if (open_) {
    try {
      connection_.query("ROLLBACK").run();
    } catch (const std::exception& e) {
      // SQLite may already have rolled back on its own (disk full, I/O error).
      spdlog::debug("rollback after failure error=\"{}\"", e.what());
    }
  }
}

void Transaction::commit() {
  connection_.query("COMMIT").run();
  open_ = false;
  connection_.count_commit();
}

// ---- Savepoint

Savepoint::Savepoint(Connection& connection) : connection_(connection) {
  connection_.query("SAVEPOINT step").run();
}

Savepoint::~Savepoint() {
  if (open_) {
    try {
      rollback();
    } catch (const std::exception& e) {
      spdlog::debug("savepoint rollback failed error=\"{}\"", e.what());
    }
  }
}

void Savepoint::release() {
  connection_.query("RELEASE step").run();
  open_ = false;
}

void Savepoint::rollback() {
  open_ = false;
  connection_.query("ROLLBACK TO step").run();
  connection_.query("RELEASE step").run();
}

}  // namespace fixit::infrastructure::persistence
