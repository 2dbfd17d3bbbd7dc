#pragma once

// Shared helpers of the persistence tests: port mocks, builders of webhook
// events, a temporary folder, a log capture, and ways to run the test's
// io_context until a condition holds (with a deadline, never a fixed sleep).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "application/errors.hpp"
#include "application/ports.hpp"
#include "domain/default_flow.hpp"
#include "infrastructure/persistence/database.hpp"

namespace fixit::testing {

namespace asio = boost::asio;
using application::CreatedIssue;
using application::DeliveryError;
using application::Failure;
using application::SentMessage;
using application::Task;
using namespace std::chrono_literals;

// ---- Ports

class MockMessageSender : public application::IMessageSender {
 public:
  MOCK_METHOD(Task<SentMessage>, send_text, (const std::string& to, const std::string& text),
              (override));
  MOCK_METHOD(Task<SentMessage>, send_template, (const std::string& to, const std::string& text),
              (override));
  MOCK_METHOD(Task<void>, mark_read, (const std::string& message_id), (override));
};

class MockIssueCreator : public application::IIssueCreator {
 public:
  MOCK_METHOD(Task<CreatedIssue>, create_issue, (const application::IssueRequest& request),
              (override));
  MOCK_METHOD(std::string, generate_ticket_link, (const std::string& issue_id), (const, override));
};

class MockAccounting : public application::IAccountingConnector {
 public:
  MOCK_METHOD(Task<void>, request_invoice, (const application::InvoiceRequest& request),
              (override));
  MOCK_METHOD(Task<void>, receive_payment_status, (const application::PaymentStatus& status),
              (override));
};

// Coroutines for mock actions. They take their values by copy: the action that
// creates them may be gone by the time they run.
template <typename T>
Task<T> ready(T value) {
  co_return value;
}

inline Task<void> done() {
  co_return;
}

inline Task<SentMessage> sent(std::string message_id) {
  co_return SentMessage{{std::move(message_id)}, false};
}

template <typename T>
Task<T> fail(DeliveryError error) {
  throw error;
  co_return T{};
}

inline Task<void> fail_void(DeliveryError error) {
  throw error;
  co_return;
}

// Waits until `gate` is cancelled, then answers.
inline Task<SentMessage> sent_after(asio::steady_timer& gate, std::string message_id) {
  co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return SentMessage{{std::move(message_id)}, false};
}

// ---- Events as the webhooks produce them

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline domain::DomainEvent text_message(const std::string& user, const std::string& message_id,
                                        const std::string& text,
                                        std::int64_t timestamp = unix_now()) {
  domain::DomainEvent event;
  event.type = domain::EventType::MESSAGE;
  event.key = message_id;
  event.user_id = user;
  event.payload = {{"message_id", message_id},
                   {"kind", "text"},
                   {"text", text},
                   {"timestamp", std::to_string(timestamp)},
                   {"profile_name", "Client"},
                   {"phone", user}};
  return event;
}

inline domain::DomainEvent receipt(const std::string& message_id, const std::string& status,
                                   const std::string& user, const std::string& error_code = {}) {
  domain::DomainEvent event;
  event.type = domain::EventType::MESSAGE_STATUS;
  event.key = message_id + ":" + status;
  event.user_id = user;
  event.payload = {
      {"message_id", message_id}, {"status", status}, {"timestamp", std::to_string(unix_now())}};
  if (!error_code.empty()) {
    event.payload["error_code"] = error_code;
    event.payload["error_title"] = "Re-engagement message";
  }
  return event;
}

inline domain::DomainEvent status_change(const std::string& issue_id, const std::string& from,
                                         const std::string& to, const std::string& key) {
  domain::DomainEvent event;
  event.type = domain::EventType::ISSUE_UPDATED;
  event.key = key;
  event.payload = {{"issue_id", issue_id},
                   {"event_type", "new_ticket_status"},
                   {"old_status_code", from},
                   {"new_status_code", to},
                   {"new_status_name", to}};
  return event;
}

inline domain::FlowEngine default_engine() {
  return domain::FlowEngine(domain::default_flow_rules(domain::FlowTexts::defaults()));
}

// ---- Running the test's io_context

// Runs `io` until `condition` holds; false when `limit` passed first.
inline bool run_until(asio::io_context& io, const std::function<bool()>& condition,
                      std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    io.restart();
    if (io.run_for(2ms) == 0) {
      // Nothing to run here: the database thread is working. Yield the core.
      std::this_thread::sleep_for(1ms);
    }
  }
  return true;
}

// Runs `task` on `io` to completion and returns its result (or rethrows).
template <typename T>
T run_task(asio::io_context& io, Task<T> task) {
  auto future = asio::co_spawn(io, std::move(task), asio::use_future);
  if (!run_until(io, [&] { return future.wait_for(0s) == std::future_status::ready; })) {
    throw std::runtime_error("task did not finish in time");
  }
  return future.get();
}

// ---- Files and logs

class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("fixit-persistence-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Replaces the default logger while alive; create it before any thread logs.
class LogCapture {
 public:
  LogCapture()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4096)),
        previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_pattern("%l %v");
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  ~LogCapture() { spdlog::set_default_logger(previous_); }

  // Every captured line that contains all of `parts`.
  [[nodiscard]] std::vector<std::string> lines_with(
      std::initializer_list<std::string_view> parts) const {
    std::vector<std::string> found;
    for (const auto& line : sink_->last_formatted()) {
      bool all = true;
      for (const auto part : parts) {
        all = all && line.find(part) != std::string::npos;
      }
      if (all) {
        found.push_back(line);
      }
    }
    return found;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

inline std::unique_ptr<infrastructure::persistence::Database> open_database(
    const std::string& path) {
  infrastructure::persistence::DatabaseOptions options;
  options.path = path;
  return std::make_unique<infrastructure::persistence::Database>(options);
}

}  // namespace fixit::testing
