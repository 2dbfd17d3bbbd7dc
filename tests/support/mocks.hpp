#pragma once

// A GoogleMock double per application port, and helpers to run coroutines in
// a test. A mocked coroutine returns `ready(value)`: a coroutine that owns a
// copy of the value, so nothing it returns outlives the mock's action.

#include <gmock/gmock.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "application/ports.hpp"

namespace fixit::testing {

using application::Task;

template <typename T>
Task<T> ready(T value) {
  co_return value;
}

inline Task<void> ready_void() {
  co_return;
}

template <typename E>
Task<void> fail_with(E error) {
  throw error;
  co_return;  // NOLINT: makes this a coroutine
}

template <typename T, typename E>
Task<T> fail_as(E error) {
  throw error;
  co_return T{};  // NOLINT: makes this a coroutine
}

// Runs a coroutine to completion on a private io_context and returns its result.
template <typename T>
T run(Task<T> task) {
  boost::asio::io_context io;
  auto result = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run();
  return result.get();
}

class MockMessageSender : public application::IMessageSender {
 public:
  MOCK_METHOD(Task<application::SentMessage>, send_text,
              (const std::string& to, const std::string& text), (override));
  MOCK_METHOD(Task<application::SentMessage>, send_template,
              (const std::string& to, const std::string& text), (override));
  MOCK_METHOD(Task<void>, mark_read, (const std::string& message_id), (override));
};

class MockDialogRepository : public application::IDialogRepository {
 public:
  MOCK_METHOD(Task<std::optional<domain::Dialog>>, load, (const std::string& user_id), (override));
  MOCK_METHOD(Task<std::optional<domain::Dialog>>, find_by_issue, (const std::string& issue_id),
              (override));
  MOCK_METHOD(Task<void>, save, (domain::Dialog & dialog), (override));
};

class MockIssueCreator : public application::IIssueCreator {
 public:
  MOCK_METHOD(Task<application::CreatedIssue>, create_issue,
              (const application::IssueRequest& request), (override));
  MOCK_METHOD(std::string, generate_ticket_link, (const std::string& issue_id), (const, override));
};

class MockAccountingConnector : public application::IAccountingConnector {
 public:
  MOCK_METHOD(Task<void>, request_invoice, (const application::InvoiceRequest& request),
              (override));
  MOCK_METHOD(Task<void>, receive_payment_status, (const application::PaymentStatus& status),
              (override));
};

class MockActionQueue : public application::IActionQueue {
 public:
  MOCK_METHOD(Task<void>, enqueue,
              (const domain::Dialog& dialog, const std::vector<domain::DialogAction>& actions,
               const domain::DomainEvent& cause),
              (override));
};

class MockEventInbox : public application::IEventInbox {
 public:
  MOCK_METHOD(Task<application::StoreResult>, store, (std::vector<domain::DomainEvent> events),
              (override));
};

}  // namespace fixit::testing
