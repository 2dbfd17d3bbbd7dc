#include "infrastructure/persistence/database.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "infrastructure/config/settings.hpp"
#include "infrastructure/persistence/event_inbox.hpp"
#include "infrastructure/persistence/schema.hpp"

namespace fixit::infrastructure::persistence {

namespace asio = boost::asio;

std::int64_t unix_millis(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::int64_t unix_millis_now() {
  return unix_millis(std::chrono::system_clock::now());
}

namespace {

bool is_memory(const std::string& path) {
  return path == ":memory:" || path.empty();
}

std::unique_ptr<Connection> open_connection(const DatabaseOptions& options) {
  if (!is_memory(options.path)) {
    const auto folder = std::filesystem::path(options.path).parent_path();
    if (!folder.empty()) {
      std::filesystem::create_directories(folder);
    }
  }
  auto connection = std::make_unique<Connection>(
      ConnectionOptions{options.path, options.synchronous, options.busy_timeout_ms});
  apply_migrations(*connection);
  return connection;
}

}  // namespace

DatabaseOptions DatabaseOptions::from(const Settings& settings) {
  DatabaseOptions options;
  options.path = settings.db_path.string();
  options.synchronous = settings.db_synchronous == "FULL" ? Synchronous::full : Synchronous::normal;
  return options;
}

Database::Database(DatabaseOptions options)
    : options_(std::move(options)),
      connection_(open_connection(options_)),
      strand_(asio::make_strand(io_)),
      flush_timer_(strand_) {
  work_.emplace(io_.get_executor());
  inbox_ = std::make_unique<SQLiteEventInbox>(*this);
  spdlog::info("database open path={} journal={} synchronous={} schema={}", options_.path,
               connection_->journal_mode(),
               options_.synchronous == Synchronous::full ? "FULL" : "NORMAL",
               latest_schema_version());
  thread_ = std::thread([this] { run_thread(); });
}

std::unique_ptr<Database> Database::open(const Settings& settings) {
  return std::make_unique<Database>(DatabaseOptions::from(settings));
}

Database::~Database() {
  work_.reset();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Database::run_thread() {
  pthread_setname_np(pthread_self(), "fixit-db");
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      // A job's exception is delivered to its caller; reaching here is a bug,
      // and the strand must keep serving the others.
      spdlog::critical("database thread caught an exception error=\"{}\"", e.what());
    }
  }
}

Connection& Database::connection() {
  return *connection_;
}

application::IEventInbox& Database::inbox() {
  return *inbox_;
}

void Database::set_inbox_listener(std::function<void()> listener) {
  inbox_listener_ = std::move(listener);
}

void Database::notify_inbox() {
  if (inbox_listener_) {
    inbox_listener_();
  }
}

void Database::submit(std::unique_ptr<detail::Job> job, bool grouped) {
  if (!grouped) {
    asio::post(strand_, [this, job = std::move(job)]() mutable { run_read(std::move(job)); });
    return;
  }
  asio::post(strand_, [this, job = std::move(job)]() mutable {
    pending_writes_.push_back(std::move(job));
    if (!flush_scheduled_) {
      flush_scheduled_ = true;
      const auto ready_at = last_flush_ + options_.min_commit_interval;
      if (ready_at > std::chrono::steady_clock::now()) {
        // A commit just happened: the writes arriving meanwhile join this one.
        flush_timer_.expires_at(ready_at);
        flush_timer_.async_wait([this](const boost::system::error_code&) { flush_writes(); });
      } else {
        // Posted behind whatever is already queued, so the writes submitted
        // while the previous commit was running all join this one.
        asio::post(strand_, [this] { flush_writes(); });
      }
    }
  });
}

void Database::run_read(std::unique_ptr<detail::Job> job) {
  const BusyMark busy(*this);
  std::exception_ptr error;
  try {
    if (connection_->in_transaction()) {
      throw std::logic_error("a database transaction was left open across a suspension");
    }
    job->run(*connection_);
  } catch (...) {
    error = std::current_exception();
  }
  job->complete(error);
}

void Database::flush_writes() {
  const BusyMark busy(*this);
  flush_scheduled_ = false;
  auto batch = std::move(pending_writes_);
  pending_writes_.clear();

  std::vector<std::exception_ptr> errors(batch.size());
  std::exception_ptr failure;
  try {
    if (connection_->in_transaction()) {
      throw std::logic_error("a database transaction was left open across a suspension");
    }
    Transaction transaction(*connection_);
    if (batch.size() == 1) {
      batch.front()->run(*connection_);
    } else {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Savepoint savepoint(*connection_);
        try {
          batch[i]->run(*connection_);
          savepoint.release();
        } catch (const DatabaseError& e) {
          if (e.environmental()) {
            throw;  // the disk or the lock, not this job: the whole batch fails
          }
          errors[i] = std::current_exception();
        } catch (...) {
          errors[i] = std::current_exception();
        }
      }
    }
    transaction.commit();
  } catch (...) {
    failure = std::current_exception();
  }
  note_write(failure);
  last_flush_ = std::chrono::steady_clock::now();

  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i]->complete(failure ? failure : errors[i]);
  }
}

void Database::note_write(const std::exception_ptr& failure) {
  if (!failure) {
    if (!last_write_failure_.empty()) {
      const std::lock_guard lock(failure_mutex_);
      last_write_failure_.clear();
    }
    return;
  }
  std::string reason;
  try {
    std::rethrow_exception(failure);
  } catch (const DatabaseError& e) {
    if (!e.environmental()) {
      return;  // a job's own error (a constraint, a conflict), not the database's
    }
    reason = e.what();
  } catch (...) {
    return;
  }
  spdlog::error("database write failed error=\"{}\"", reason);
  const std::lock_guard lock(failure_mutex_);
  last_write_failure_ = std::move(reason);
}

Database::BusyMark::BusyMark(Database& database) : database_(database) {
  database_.busy_since_ms_.store(unix_millis_now());
}

Database::BusyMark::~BusyMark() {
  database_.busy_since_ms_.store(0);
}

application::Task<std::optional<std::string>> Database::check_ready() {
  const auto busy_since = busy_since_ms_.load();
  if (busy_since != 0 && unix_millis_now() - busy_since > options_.stall_limit.count()) {
    co_return "database busy for " + std::to_string(unix_millis_now() - busy_since) + " ms";
  }
  if (!is_memory(options_.path) && !std::filesystem::exists(options_.path)) {
    co_return "database file " + options_.path + " is missing";
  }
  std::string failure;
  try {
    co_await read([](Connection& connection) {
      auto probe = connection.query("SELECT count(*) FROM inbox WHERE id = 0");
      probe.run();
    });
  } catch (const std::exception& e) {
    failure = std::string("database unreachable: ") + e.what();
  }
  if (!failure.empty()) {
    co_return failure;
  }
  {
    const std::lock_guard lock(failure_mutex_);
    if (!last_write_failure_.empty()) {
      co_return "last database write failed: " + last_write_failure_;
    }
  }
  co_return std::nullopt;
}

}  // namespace fixit::infrastructure::persistence
