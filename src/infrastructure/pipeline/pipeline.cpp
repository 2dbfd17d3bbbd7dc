#include "infrastructure/pipeline/pipeline.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>

#include "application/errors.hpp"
#include "infrastructure/config/settings.hpp"
#include "infrastructure/logging.hpp"
#include "infrastructure/persistence/deliveries.hpp"
#include "infrastructure/persistence/event_inbox.hpp"

namespace fixit::infrastructure::pipeline {

namespace asio = boost::asio;
using application::Task;
using persistence::Connection;
using persistence::unix_millis_now;

namespace {

// What to do with an action after an attempt.
struct Verdict {
  enum class Kind { done, retry, failed } kind = Kind::done;
  std::string error;  // for retry and failed
  std::string code;
  bool reported = false;  // the adapter already logged the cause at error level
};

Verdict judge(const std::exception_ptr& error) {
  if (!error) {
    return {};
  }
  try {
    std::rethrow_exception(error);
  } catch (const application::DeliveryError& e) {
    return {e.transient() ? Verdict::Kind::retry : Verdict::Kind::failed, e.what(), e.code(),
            e.reported()};
  } catch (const std::exception& e) {
    // Not an outcome a port promised: most likely a network error an adapter
    // did not classify. Retrying is safe, and the attempt limit bounds it.
    return {Verdict::Kind::retry, std::string("unexpected error: ") + e.what(), {}};
  } catch (...) {
    return {Verdict::Kind::retry, "unexpected error of unknown type", {}};
  }
}

std::string describe(const Verdict& verdict) {
  return verdict.code.empty() ? verdict.error : verdict.error + " (code " + verdict.code + ")";
}

}  // namespace

PipelineOptions PipelineOptions::from(const Settings& settings) {
  PipelineOptions options;
  options.retry.max_attempts = settings.max_attempts;
  options.max_reply_age = settings.max_reply_age;
  options.resend_as_template = !settings.waba_template_name.empty();
  return options;
}

Pipeline::Pipeline(persistence::Database& database, const domain::FlowEngine& engine,
                   application::IMessageSender& messenger, application::IIssueCreator& helpdesk,
                   application::IAccountingConnector& accounting,
                   const asio::any_io_executor& outbound, PipelineOptions options)
    : database_(database),
      options_(options),
      dialogs_(database),
      actions_(database),
      process_(
          engine, dialogs_, actions_,
          application::ProcessOptions{options.max_reply_age,
                                      application::ProcessOptions{}.max_concurrent_update_retries}),
      execute_(messenger, helpdesk, accounting),
      outbound_(asio::make_strand(outbound)),
      dispatcher_wake_(database.executor()),
      scheduler_wake_(outbound_),
      stopped_wake_(outbound_),
      dispatcher_backoff_(database.executor()),
      random_(std::random_device{}()) {
  options_.max_in_flight = std::max<std::size_t>(options_.max_in_flight, 1);
  options_.dispatch_batch = std::max<std::size_t>(options_.dispatch_batch, 1);
}

Pipeline::~Pipeline() {
  if (started_ && !stopped_) {
    spdlog::error("pipeline destroyed while running; await stop() first");
  }
}

PipelineStats Pipeline::stats() const {
  return PipelineStats{events_processed_.load(), events_failed_.load(), actions_done_.load(),
                       actions_retried_.load(), actions_failed_.load()};
}

void Pipeline::start() {
  if (started_) {
    throw std::logic_error("the pipeline was already started");
  }
  const auto [recovered, pending] = database_.call([](Connection& connection) {
    persistence::Transaction transaction(connection);
    const auto reset = persistence::recover_running_actions(connection, unix_millis_now());
    const auto waiting = persistence::count_pending_events(connection);
    transaction.commit();
    return std::pair{reset, waiting};
  });
  if (recovered > 0) {
    // Their outbound call may or may not have reached the other side before
    // the previous run ended: they are tried again, at most one per user.
    spdlog::warn("interrupted actions queued again count={}", recovered);
  }
  spdlog::info("pipeline starting pending_events={} recovered_actions={} max_in_flight={}", pending,
               recovered, options_.max_in_flight);
  started_ = true;

  asio::co_spawn(
      database_.executor(),
      [this]() -> Task<void> {
        database_.set_inbox_listener([this] { dispatcher_wake_.notify(); });
        co_await dispatch_loop();
      },
      [this](const std::exception_ptr& error) {
        if (error) {
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            spdlog::critical("event dispatcher stopped error=\"{}\"", e.what());
          } catch (...) {
            spdlog::critical("event dispatcher stopped by an unknown exception");
          }
        }
        database_.set_inbox_listener({});
        dispatcher_done_ = true;
        stopped_wake_.notify();
      });

  asio::co_spawn(outbound_, schedule_loop(), [this](const std::exception_ptr& error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::critical("action scheduler stopped error=\"{}\"", e.what());
      } catch (...) {
        spdlog::critical("action scheduler stopped by an unknown exception");
      }
    }
    scheduler_done_ = true;
    stopped_wake_.notify();
  });
}

Task<void> Pipeline::stop() {
  if (!started_ || stopped_) {
    co_return;
  }
  auto stopping = stop_on_strand();
  co_await asio::co_spawn(outbound_, std::move(stopping), asio::use_awaitable);
}

Task<void> Pipeline::stop_on_strand() {
  stopping_ = true;
  asio::post(database_.executor(), [this] {
    dispatcher_backoff_.cancel();  // a pause giving way to webhooks, or after a failure
    dispatcher_wake_.notify();
  });
  scheduler_wake_.notify();
  while (!dispatcher_done_ || !scheduler_done_) {
    co_await stopped_wake_.wait_for(options_.poll_interval);
  }
  // Wake-ups posted before the loops ended (a store committed just before the
  // listener was removed, a finished action) run before this returns, so none
  // reaches the pipeline after it is destroyed. Both strands run in order.
  auto drain = [](Connection&) {};
  co_await database_.read(std::move(drain));
  co_await asio::post(outbound_, asio::use_awaitable);
  stopped_ = true;
  const auto counts = stats();
  spdlog::info(
      "pipeline stopped events_processed={} events_failed={} actions_done={} "
      "actions_failed={}",
      counts.events_processed, counts.events_failed, counts.actions_done, counts.actions_failed);
}

// ---- Dispatcher (database strand)

persistence::TemplateResend Pipeline::window_closed(Connection& connection,
                                                    const std::string& message_id,
                                                    const std::string& user_id, std::int64_t now) {
  const auto outcome = persistence::queue_template_resend(connection, message_id, now);
  switch (outcome) {
    case persistence::TemplateResend::queued:
      spdlog::info("message not delivered, window closed; template queued message_id={} user={}",
                   log_id(message_id), mask_phone(user_id));
      break;
    case persistence::TemplateResend::not_linked_yet:
      spdlog::info(
          "message not delivered, window closed; template follows once the send is recorded "
          "message_id={} user={}",
          log_id(message_id), mask_phone(user_id));
      break;
    case persistence::TemplateResend::already_queued:
      spdlog::debug("window closed, template already queued message_id={} user={}",
                    log_id(message_id), mask_phone(user_id));
      break;
    case persistence::TemplateResend::not_applicable:
      break;
  }
  return outcome;
}

bool Pipeline::webhooks_arriving() const {
  constexpr auto recently = std::chrono::milliseconds(100);
  return options_.busy_share < 1.0 &&
         std::chrono::steady_clock::now() - database_.last_inbound_store() < recently;
}

Task<void> Pipeline::dispatch_loop() {
  auto backoff = std::chrono::milliseconds(0);
  while (!stopping_) {
    Batch batch;
    bool failed = false;
    const auto started = std::chrono::steady_clock::now();
    try {
      batch = co_await dispatch_batch(webhooks_arriving());
      backoff = std::chrono::milliseconds(0);
    } catch (const std::exception& e) {
      // The database itself failed (disk full, I/O error): nothing of the
      // batch was kept; the same events are tried again after a pause.
      spdlog::error("event batch failed, will retry error=\"{}\"", e.what());
      failed = true;
    }
    if (failed) {
      backoff =
          std::clamp(backoff * 2, std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
      dispatcher_backoff_.expires_after(backoff);
      co_await dispatcher_backoff_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (batch.paced && batch.handled > 0) {
      // Webhooks are arriving: leave them the database for a while, in
      // proportion to the time this batch took. Events stored meanwhile make
      // the next batch larger, and its one commit serves them all.
      const auto took = std::chrono::steady_clock::now() - started;
      dispatcher_backoff_.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
          took * (1.0 / std::max(options_.busy_share, 0.01) - 1.0)));
      co_await dispatcher_backoff_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (batch.handled == batch.limit) {
      // More may be waiting; let the writes queued meanwhile in first.
      co_await asio::post(database_.executor(), asio::use_awaitable);
      continue;
    }
    co_await dispatcher_wake_.wait_for(options_.poll_interval);
  }
}

Task<Pipeline::Batch> Pipeline::dispatch_batch(bool webhooks_first) {
  auto& connection = database_.connection();
  const persistence::Database::BusyMark busy(database_);
  // Giving way, a batch ends early; reading far more than it will handle is waste.
  constexpr std::size_t read_when_giving_way = 64;
  const auto limit = webhooks_first ? std::min(options_.dispatch_batch, read_when_giving_way)
                                    : options_.dispatch_batch;
  const auto events = persistence::pending_events(connection, limit);
  if (events.empty()) {
    co_return Batch{0, limit, false};
  }
  if (webhooks_first &&
      unix_millis_now() - events.front().received_at > options_.busy_max_lag.count()) {
    webhooks_first = false;  // processing is too far behind to keep giving way
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.busy_batch_time;

  // Nothing below suspends: the use case's repository and queue calls run
  // inline on this strand, so no other database work can slip into the
  // transaction (Database checks that none is left open).
  persistence::Transaction transaction(connection);
  std::uint64_t processed = 0;
  std::uint64_t failed = 0;
  std::size_t handled = 0;
  for (const auto& row : events) {
    if (webhooks_first && handled > 0 && std::chrono::steady_clock::now() >= deadline) {
      break;  // the rest waits for the next batch, after the webhooks' writes
    }
    ++handled;
    const auto now = unix_millis_now();
    persistence::Savepoint savepoint(connection);
    std::string error;
    try {
      const auto event = row.to_event();
      if (event.type == domain::EventType::MESSAGE_STATUS) {
        const auto outcome = persistence::apply_receipt(connection, event, now);
        if (outcome == persistence::ReceiptOutcome::applied &&
            event.get(domain::key::status) == "failed") {
          const auto message_id = event.get(domain::key::message_id);
          const bool window_closed_error = event.get(domain::key::error_code) == "131047";
          if (window_closed_error && !options_.resend_as_template) {
            spdlog::warn(
                "message not delivered, window closed and no template configured message_id={} "
                "user={}",
                log_id(message_id), mask_phone(event.user_id));
          } else if (!window_closed_error ||
                     window_closed(connection, message_id, event.user_id, now) ==
                         persistence::TemplateResend::not_applicable) {
            spdlog::warn("message not delivered message_id={} user={} code={} reason=\"{}\"",
                         log_id(message_id), mask_phone(event.user_id),
                         event.get(domain::key::error_code), event.get(domain::key::error_title));
          }
        }
      } else {
        const auto result = co_await process_(event);
        if (result.replies_suppressed) {
          spdlog::info("old message processed without a reply key={} user={} age_limit_s={}",
                       log_id(row.key), mask_phone(result.user_id), options_.max_reply_age.count());
        }
        if (result.outcome == application::Outcome::unroutable) {
          spdlog::info("event matches no dialog type={} key={}", row.type, log_id(row.key));
        }
        spdlog::debug("event processed key={} type={} user={} outcome={} rule=\"{}\" actions={}",
                      log_id(row.key), row.type, mask_phone(result.user_id),
                      application::to_string(result.outcome), result.rule, result.actions);
      }
      persistence::mark_event_processed(connection, row.id, now);
      savepoint.release();
      ++processed;
    } catch (const persistence::DatabaseError& e) {
      if (e.environmental()) {
        throw;
      }
      error = e.what();
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty()) {
      savepoint.rollback();
      persistence::mark_event_failed(connection, row.id, error, now);
      ++failed;
      spdlog::error("event failed key={} type={} user={} error=\"{}\"", log_id(row.key), row.type,
                    mask_phone(row.user_id), error);
    }
  }
  transaction.commit();

  events_processed_ += processed;
  events_failed_ += failed;
  scheduler_wake_.notify();
  co_return Batch{handled, limit, webhooks_first};
}

// ---- Workers (outbound strand)

Task<void> Pipeline::schedule_loop() {
  while (!stopping_) {
    auto wait =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.poll_interval);
    const auto capacity = options_.max_in_flight - calling_;
    if (capacity > 0) {
      persistence::Claim claim;
      bool claimed = false;
      try {
        auto job = [capacity](Connection& connection) {
          return persistence::claim_due_actions(connection, unix_millis_now(), capacity);
        };
        claim = co_await database_.write(std::move(job));
        claimed = true;
      } catch (const std::exception& e) {
        spdlog::error("claiming due actions failed error=\"{}\"", e.what());
      }
      for (auto& action : claim.actions) {
        ++in_flight_;
        ++calling_;
        asio::co_spawn(outbound_, run_action(std::move(action)), asio::detached);
      }
      if (claimed && claim.actions.size() == capacity) {
        continue;  // there may be more due right now
      }
      if (claim.next_due_at) {
        const auto until_due = std::chrono::milliseconds(
            std::max<std::int64_t>(*claim.next_due_at - unix_millis_now(), 0));
        wait = std::min(wait,
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(until_due));
      }
    }
    co_await scheduler_wake_.wait_for(wait);
  }
  while (in_flight_ > 0) {
    co_await scheduler_wake_.wait_for(options_.poll_interval);
  }
}

Task<void> Pipeline::run_action(persistence::ClaimedAction claimed) {
  const auto& pending = claimed.pending;
  const auto kind = domain::to_string(pending.action.kind);

  application::ActionResult result;
  std::exception_ptr error;
  try {
    result = co_await execute_(pending);
  } catch (...) {
    error = std::current_exception();
  }
  // The call is over: its slot goes to the next action while the outcome is
  // recorded (a commit, which may wait for the disk).
  --calling_;
  scheduler_wake_.notify();

  auto verdict = judge(error);
  const int attempts = claimed.attempts + 1;
  std::int64_t next_attempt_at = 0;
  if (verdict.kind == Verdict::Kind::retry && !options_.retry.may_retry(attempts)) {
    verdict.kind = Verdict::Kind::failed;
    verdict.error = "gave up after " + std::to_string(attempts) + " attempts: " + verdict.error;
  }
  std::chrono::milliseconds delay{0};
  if (verdict.kind == Verdict::Kind::retry) {
    delay = options_.retry.delay_after(attempts,
                                       std::uniform_real_distribution<double>(0.0, 1.0)(random_));
    next_attempt_at = unix_millis_now() + delay.count();
  }

  // The outcome must reach the database; without it the action would stay
  // `running` until the next start. Keep trying while the disk recovers.
  auto pause = std::chrono::milliseconds(100);
  for (;;) {
    bool recorded = false;
    try {
      auto job = [this, &claimed, &result, &verdict, attempts,
                  next_attempt_at](Connection& connection) {
        const auto now = unix_millis_now();
        switch (verdict.kind) {
          case Verdict::Kind::done:
            if (persistence::complete_action(connection, claimed, result, now)) {
              database_.notify_inbox();
            }
            // A window-closed receipt may have come before this send was recorded.
            // Whatever goes wrong there must not keep the outcome from being kept.
            if (options_.resend_as_template) {
              try {
                for (const auto& message_id : result.sent_message_ids) {
                  window_closed(connection, message_id, claimed.pending.user_id, now);
                }
              } catch (const std::exception& e) {
                const auto* database_error = dynamic_cast<const persistence::DatabaseError*>(&e);
                if (database_error != nullptr && database_error->environmental()) {
                  throw;  // the disk: the whole outcome is recorded again later
                }
                spdlog::error("template after a closed window not queued id={} error=\"{}\"",
                              claimed.pending.id, e.what());
              }
            }
            break;
          case Verdict::Kind::retry:
            persistence::reschedule_action(connection, claimed.pending.id, attempts,
                                           next_attempt_at, describe(verdict), now);
            break;
          case Verdict::Kind::failed:
            persistence::fail_action(connection, claimed.pending.id, attempts, describe(verdict),
                                     now);
            break;
        }
      };
      co_await database_.write(std::move(job));
      recorded = true;
    } catch (const std::exception& e) {
      spdlog::error("recording action outcome failed id={} error=\"{}\"", pending.id, e.what());
      const auto* database_error = dynamic_cast<const persistence::DatabaseError*>(&e);
      if (database_error == nullptr || !database_error->environmental()) {
        // Not the disk: trying the same again would fail the same way and keep
        // this client's later actions waiting. Keep the action as failed, with
        // the reason, for an operator to look at.
        if (verdict.kind == Verdict::Kind::failed) {
          break;  // even that cannot be stored: the next start picks it up again
        }
        verdict.error = std::string(verdict.kind == Verdict::Kind::done
                                        ? "the call succeeded, but its outcome could not be "
                                          "recorded (queuing it again repeats the call): "
                                        : "its outcome could not be recorded: ") +
                        e.what();
        verdict.kind = Verdict::Kind::failed;
        continue;
      }
    }
    if (recorded || stopping_) {
      break;
    }
    asio::steady_timer timer(outbound_, pause);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    pause = std::min(pause * 2, std::chrono::milliseconds(5000));
  }

  switch (verdict.kind) {
    case Verdict::Kind::done:
      ++actions_done_;
      spdlog::debug("action done id={} kind={} user={} attempts={}", pending.id, kind,
                    mask_phone(pending.user_id), attempts);
      break;
    case Verdict::Kind::retry:
      ++actions_retried_;
      spdlog::warn(
          "action failed, will retry id={} kind={} user={} attempt={} delay_ms={} "
          "error=\"{}\"",
          pending.id, kind, mask_phone(pending.user_id), attempts, delay.count(),
          describe(verdict));
      break;
    case Verdict::Kind::failed:
      ++actions_failed_;
      // An account problem fails a whole burst of actions; its one error line is the adapter's.
      spdlog::log(verdict.reported ? spdlog::level::warn : spdlog::level::err,
                  "action failed id={} kind={} user={} attempts={} error=\"{}\"", pending.id, kind,
                  mask_phone(pending.user_id), attempts, describe(verdict));
      break;
  }

  --in_flight_;
  scheduler_wake_.notify();
}

}  // namespace fixit::infrastructure::pipeline
