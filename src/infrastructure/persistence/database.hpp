#pragma once

// The service's SQLite database: one connection, used only on a strand of a
// dedicated thread, so that a commit waiting for the disk never stalls the
// thread that serves HTTP. Coroutines anywhere `co_await` an operation and
// resume on their own executor.
//
// Writes submitted while the database is busy are gathered into one
// transaction (group commit): under load many webhooks share one commit, and
// one fsync, instead of paying for one each.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "application/ports.hpp"
#include "infrastructure/persistence/sqlite.hpp"

namespace fixit::infrastructure {
struct Settings;
}

namespace fixit::infrastructure::persistence {

// Unix time in milliseconds: how every time column is stored.
std::int64_t unix_millis(std::chrono::system_clock::time_point time);
std::int64_t unix_millis_now();

struct DatabaseOptions {
  // A file (its folder is created), or ":memory:" for a private in-memory database.
  std::string path = "./data/fixit-exchange.db";
  Synchronous synchronous = Synchronous::normal;
  int busy_timeout_ms = 5000;
  // A single database job running longer than this makes the readiness check fail.
  std::chrono::milliseconds stall_limit{5000};
  // Writes arriving sooner than this after the last commit wait for the rest of
  // it, so that under load they share a commit instead of paying for one each.
  // An idle database commits at once. Measured under 64 webhook connections:
  // 300 µs and 1 ms give the same throughput; the shorter wait answers sooner.
  std::chrono::microseconds min_commit_interval{300};

  static DatabaseOptions from(const Settings& settings);
};

namespace detail {

// One unit of work for the database thread, completed on its caller's executor.
class Job {
 public:
  virtual ~Job() = default;
  virtual void run(Connection& connection) = 0;
  virtual void complete(std::exception_ptr error) = 0;
};

template <typename F>
using JobResult = std::invoke_result_t<F&, Connection&>;

template <typename R>
struct SignatureOf {
  using type = void(std::exception_ptr, R);
};
template <>
struct SignatureOf<void> {
  using type = void(std::exception_ptr);
};

template <typename F>
using JobSignature = typename SignatureOf<JobResult<F>>::type;

template <typename F, typename Handler>
class TypedJob final : public Job {
  using Result = JobResult<F>;
  using Stored = std::conditional_t<std::is_void_v<Result>, bool, Result>;
  static_assert(std::is_default_constructible_v<Stored>,
                "a database job must return void or a default-constructible value");

 public:
  TypedJob(F function, Handler handler)
      : function_(std::move(function)),
        handler_(std::move(handler)),
        work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_),
                                  boost::asio::execution::outstanding_work.tracked)) {}

  void run(Connection& connection) override {
    if constexpr (std::is_void_v<Result>) {
      function_(connection);
    } else {
      result_ = function_(connection);
    }
  }

  void complete(std::exception_ptr error) override {
    auto executor = std::move(work_);
    boost::asio::post(
        executor, [handler = std::move(handler_), error, result = std::move(result_)]() mutable {
          if constexpr (std::is_void_v<Result>) {
            std::move(handler)(error);
          } else {
            std::move(handler)(error, std::move(result));
          }
        });
  }

 private:
  F function_;
  Handler handler_;
  std::decay_t<decltype(boost::asio::prefer(
      std::declval<boost::asio::associated_executor_t<Handler>>(),
      boost::asio::execution::outstanding_work.tracked))>
      work_;
  Stored result_{};
};

}  // namespace detail

class Database {
 public:
  using Executor = boost::asio::strand<boost::asio::io_context::executor_type>;

  // Opens the database, applies pending migrations and starts its thread.
  // Throws DatabaseError (or std::filesystem::filesystem_error for the folder).
  explicit Database(DatabaseOptions options);
  static std::unique_ptr<Database> open(const Settings& settings);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Finishes the work already submitted, then closes the connection.
  ~Database();

  // Runs `job(Connection&)` in a transaction shared with the other writes
  // queued at the same moment, each in its own savepoint: a job that throws
  // rolls back only its own changes and its caller gets the exception. Resumes
  // the caller on its own executor once the transaction is committed.
  template <typename F>
  auto write(F job) -> application::Task<detail::JobResult<F>> {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                       detail::JobSignature<F>>(
        [this](auto handler, F function) {
          submit(std::make_unique<detail::TypedJob<F, decltype(handler)>>(std::move(function),
                                                                          std::move(handler)),
                 true);
        },
        boost::asio::use_awaitable, std::move(job));
  }

  // Runs `job(Connection&)` on its own, outside any transaction (reads).
  template <typename F>
  auto read(F job) -> application::Task<detail::JobResult<F>> {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                       detail::JobSignature<F>>(
        [this](auto handler, F function) {
          submit(std::make_unique<detail::TypedJob<F, decltype(handler)>>(std::move(function),
                                                                          std::move(handler)),
                 false);
        },
        boost::asio::use_awaitable, std::move(job));
  }

  // Runs `job(Connection&)` on the database thread and blocks until it is done:
  // for start-up, the operator commands and tests. Never call it from a thread
  // that the job's completion depends on; on the database thread it runs inline.
  template <typename F>
  auto call(F job) -> detail::JobResult<F> {
    if (on_strand()) {
      return job(*connection_);
    }
    std::packaged_task<detail::JobResult<F>()> task([&] { return job(*connection_); });
    auto result = task.get_future();
    boost::asio::post(strand_, [&task] { task(); });
    return result.get();
  }

  [[nodiscard]] const Executor& executor() const { return strand_; }
  [[nodiscard]] bool on_strand() const { return strand_.running_in_this_thread(); }
  // The connection; only on the strand.
  Connection& connection();

  // The inbox webhooks store their events in (IEventInbox::store).
  application::IEventInbox& inbox();

  // Called on the strand after a transaction that added inbox events has been
  // committed. One listener (the pipeline's dispatcher); empty to remove it.
  // Both only on the strand.
  void set_inbox_listener(std::function<void()> listener);
  void notify_inbox();

  // When the inbox last took events from outside (a webhook), as opposed to the
  // pipeline's own follow-ups. Both only on the strand.
  void note_inbound_store() { last_inbound_store_ = std::chrono::steady_clock::now(); }
  [[nodiscard]] std::chrono::steady_clock::time_point last_inbound_store() const {
    return last_inbound_store_;
  }

  // Transactions committed since the database was opened.
  [[nodiscard]] std::uint64_t commit_count() const { return connection_->commits(); }

  // Why the service should not take traffic, or nothing when it can: the
  // connection answers, the file is still there, the last write succeeded and
  // no job has been stuck longer than the stall limit.
  application::Task<std::optional<std::string>> check_ready();

  // Marks the strand as busy for the readiness check while a long job runs.
  class BusyMark {
   public:
    explicit BusyMark(Database& database);
    BusyMark(const BusyMark&) = delete;
    BusyMark& operator=(const BusyMark&) = delete;
    ~BusyMark();

   private:
    Database& database_;
  };

  // Records the outcome of a write transaction for the readiness check.
  void note_write(const std::exception_ptr& failure);

  [[nodiscard]] const DatabaseOptions& options() const { return options_; }

 private:
  void submit(std::unique_ptr<detail::Job> job, bool grouped);
  void flush_writes();
  void run_read(std::unique_ptr<detail::Job> job);
  void run_thread();

  DatabaseOptions options_;
  std::unique_ptr<Connection> connection_;
  boost::asio::io_context io_{1};
  Executor strand_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<application::IEventInbox> inbox_;
  std::function<void()> inbox_listener_;
  std::chrono::steady_clock::time_point last_inbound_store_{};

  // Strand-only state of the group commit.
  std::vector<std::unique_ptr<detail::Job>> pending_writes_;
  bool flush_scheduled_ = false;
  std::chrono::steady_clock::time_point last_flush_{};
  boost::asio::steady_timer flush_timer_;

  std::atomic<std::int64_t> busy_since_ms_{0};
  std::mutex failure_mutex_;
  std::string last_write_failure_;

  std::thread thread_;
};

}  // namespace fixit::infrastructure::persistence
