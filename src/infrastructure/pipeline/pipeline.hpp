#pragma once

// The event pipeline: stored events become dialog steps, dialog steps become
// outbound calls.
//
//   inbox --dispatcher--> ProcessEvent --> dialogs + outbox   (one transaction per batch)
//   outbox --workers--> ExecuteAction --> ports               (retried with backoff)
//                                     \-> follow-up events back into the inbox
//
// The dispatcher runs on the database strand and takes events in arrival
// order, so one user's events are handled strictly in order; each batch of
// events, with the dialog saves and outbox rows it produced and the events
// marked processed, is one transaction. Workers run on the outbound executor
// (the service's io_context): different users' actions concurrently, one
// user's one at a time in the order decided.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>

#include "application/execute_action.hpp"
#include "application/ports.hpp"
#include "application/process_event.hpp"
#include "domain/flow.hpp"
#include "infrastructure/persistence/database.hpp"
#include "infrastructure/persistence/dialog_repo.hpp"
#include "infrastructure/persistence/outbox.hpp"
#include "infrastructure/pipeline/retry_policy.hpp"
#include "infrastructure/pipeline/signal.hpp"

namespace fixit::infrastructure {
struct Settings;
}

namespace fixit::infrastructure::pipeline {

struct PipelineOptions {
  RetryPolicy retry;
  // Messages older than this are processed without an automatic reply.
  std::chrono::seconds max_reply_age{std::chrono::hours(24)};
  // Outbound calls in flight at once (over all users).
  std::size_t max_in_flight = 64;
  // Events per dispatcher transaction.
  std::size_t dispatch_batch = 256;
  // While webhooks keep arriving, the webhooks come first: a dispatcher batch
  // holds the database for at most `busy_batch_time`, and the dispatcher takes
  // at most `busy_share` of the database's time, leaving the rest for storing
  // webhooks (which Meta needs answered fast). Once they stop, or once the
  // oldest waiting event is older than `busy_max_lag`, events are processed at
  // full speed. A share of 1 turns the pacing off.
  double busy_share = 0.25;
  std::chrono::microseconds busy_batch_time{2000};
  std::chrono::milliseconds busy_max_lag{30000};
  // How often the database is looked at without a wake-up: picks up actions
  // and events re-queued by an operator from another process.
  std::chrono::milliseconds poll_interval{1000};
  // A reply that WhatsApp reports failed with 131047 (the 24-hour window had
  // closed) is sent again as the approved template. Off when none is configured.
  bool resend_as_template = false;

  static PipelineOptions from(const Settings& settings);
};

// Counters since start, for tests and metrics.
struct PipelineStats {
  std::uint64_t events_processed = 0;  // events the flow saw (any outcome) and receipts applied
  std::uint64_t events_failed = 0;     // events marked failed
  std::uint64_t actions_done = 0;
  std::uint64_t actions_retried = 0;  // transient failures rescheduled
  std::uint64_t actions_failed = 0;   // permanent failures and exhausted attempts
};

class Pipeline {
 public:
  // `outbound` is the executor the ports do their I/O on (the service's
  // io_context). The references must outlive the pipeline.
  Pipeline(persistence::Database& database, const domain::FlowEngine& engine,
           application::IMessageSender& messenger, application::IIssueCreator& helpdesk,
           application::IAccountingConnector& accounting,
           const boost::asio::any_io_executor& outbound, PipelineOptions options = {});
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline();

  // Puts actions a previous run left `running` back in the queue, then starts
  // the dispatcher and the workers. Events stored before start are processed.
  // Blocks briefly on the database; call it once.
  void start();

  // Stops taking new work, lets the dispatcher finish its batch and the
  // outbound calls in flight finish and record their outcome, then returns.
  // What is still queued stays in the database for the next start. Await it on
  // any executor; destroy the pipeline only after it returned.
  application::Task<void> stop();

  [[nodiscard]] PipelineStats stats() const;

 private:
  application::Task<void> dispatch_loop();
  struct Batch {
    std::size_t handled = 0;
    std::size_t limit = 0;  // events it read at most: as many handled, more may wait
    bool paced = false;     // it gave way to the webhooks and must pause
  };
  application::Task<Batch> dispatch_batch(bool webhooks_first);
  [[nodiscard]] bool webhooks_arriving() const;
  application::Task<void> schedule_loop();
  application::Task<void> run_action(persistence::ClaimedAction claimed);
  application::Task<void> stop_on_strand();
  // Queues the template for a reply reported undeliverable with 131047; on the
  // database strand, inside the caller's transaction.
  persistence::TemplateResend window_closed(persistence::Connection& connection,
                                            const std::string& message_id,
                                            const std::string& user_id, std::int64_t now);

  persistence::Database& database_;
  PipelineOptions options_;
  persistence::SQLiteDialogRepo dialogs_;
  persistence::SQLiteActionQueue actions_;
  application::ProcessEvent process_;
  application::ExecuteAction execute_;

  boost::asio::strand<boost::asio::any_io_executor> outbound_;
  Signal dispatcher_wake_;                        // on the database strand
  Signal scheduler_wake_;                         // on the outbound strand
  Signal stopped_wake_;                           // on the outbound strand
  boost::asio::steady_timer dispatcher_backoff_;  // on the database strand
  std::mt19937_64 random_;                        // jitter, on the outbound strand
  std::size_t in_flight_ = 0;  // claimed, outcome not yet recorded; on the outbound strand
  std::size_t calling_ = 0;    // outbound calls under way (max_in_flight); outbound strand

  bool started_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> dispatcher_done_{false};
  std::atomic<bool> scheduler_done_{false};
  bool stopped_ = false;

  std::atomic<std::uint64_t> events_processed_{0};
  std::atomic<std::uint64_t> events_failed_{0};
  std::atomic<std::uint64_t> actions_done_{0};
  std::atomic<std::uint64_t> actions_retried_{0};
  std::atomic<std::uint64_t> actions_failed_{0};
};

}  // namespace fixit::infrastructure::pipeline
