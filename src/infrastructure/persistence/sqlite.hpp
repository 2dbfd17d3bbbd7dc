#pragma once

// A thin RAII layer over the sqlite3 C API: one connection, statements prepared
// once and reused, transactions that roll back unless committed. Not
// thread-safe: the Database runs every call on its own strand.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace fixit::infrastructure::persistence {

// A failed SQLite call, with SQLite's primary result code.
class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(int code, const std::string& message);

  [[nodiscard]] int code() const { return code_; }
  // True when the failure comes from the environment (busy, disk full, I/O
  // error, read-only file) rather than from the data: trying again later can
  // succeed.
  [[nodiscard]] bool environmental() const;

 private:
  int code_;
};

enum class Synchronous { normal, full };

struct ConnectionOptions {
  // A file path, or ":memory:" for a private in-memory database.
  std::string path;
  Synchronous synchronous = Synchronous::normal;
  int busy_timeout_ms = 5000;
};

class Connection;

// A prepared statement borrowed from the connection's cache. Bind parameters
// (1-based), step through rows, read columns (0-based). Destroying it resets
// the statement for its next use.
class Query {
 public:
  Query(Connection& connection, sqlite3_stmt* statement);
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  Query& bind(int index, std::int64_t value);
  Query& bind(int index, std::string_view value);
  Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Query& bind_null(int index);
  Query& bind(int index, const std::optional<std::string>& value);

  // Advances to the next row; false when there is none (the statement is done).
  bool step();
  // Runs a statement that returns no rows.
  void run();

  [[nodiscard]] std::int64_t integer(int column) const;
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] std::string_view text_view(int column) const;
  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] std::optional<std::string> optional_text(int column) const;

 private:
  Connection& connection_;
  sqlite3_stmt* statement_;
};

class Connection {
 public:
  // Opens (creating when needed) and configures the database: WAL journal,
  // the requested synchronous level, a busy timeout and foreign keys.
  explicit Connection(const ConnectionOptions& options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one or more statements without results (schema, pragmas, BEGIN...).
  void exec(std::string_view sql);
  // The cached prepared statement for `sql`, ready to bind.
  Query query(std::string_view sql);

  [[nodiscard]] std::int64_t last_insert_rowid() const;
  [[nodiscard]] int changes() const;
  [[nodiscard]] bool in_transaction() const;
  // How many transactions were committed on this connection; any thread may read it.
  [[nodiscard]] std::uint64_t commits() const { return commits_.load(); }
  void count_commit() { commits_.fetch_add(1); }

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string journal_mode();

  // Throws DatabaseError describing the connection's last error when `code` is
  // not a success code.
  void check(int code, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  using StatementPtr = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;
  std::unordered_map<std::string, StatementPtr, TextHash, std::equal_to<>> statements_;
  std::atomic<std::uint64_t> commits_{0};
};

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless committed.
// IMMEDIATE takes the write lock at once, so a second process (the operator
// CLI) waits on the busy timeout instead of failing halfway through.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

// SAVEPOINT inside a transaction: a step that fails rolls back its own writes
// and leaves the rest of the transaction alone.
class Savepoint {
 public:
  explicit Savepoint(Connection& connection);
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  ~Savepoint();

  void release();
  void rollback();

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace fixit::infrastructure::persistence
