#pragma once

// The application's ports: what the use cases need from the outside world.
//
// I/O calls are coroutines returning boost::asio::awaitable, the one Asio type
// this layer names: adapters do their I/O on the service's io_context without
// blocking a thread, and a use case awaits them like ordinary calls. Unless a
// port says otherwise, a call resumes on the executor of the coroutine that
// awaited it and reports failure by throwing (see errors.hpp).

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

#include "domain/action.hpp"
#include "domain/event.hpp"
#include "domain/model.hpp"

namespace fixit::application {

template <typename T>
using Task = boost::asio::awaitable<T>;

struct SentMessage {
  // The messenger's ids of what went out (a long text may go out in parts).
  std::vector<std::string> message_ids;
  // True when the messenger refused free text (its 24-hour window had closed)
  // and an approved template was sent instead.
  bool used_template = false;
};

// Sends messages to a client through a messenger.
// Throws DeliveryError; a Transient one may be retried with the same arguments.
class IMessageSender {
 public:
  virtual ~IMessageSender() = default;
  virtual Task<SentMessage> send_text(const std::string& to, const std::string& text) = 0;
  // Sends the approved template the messenger allows outside its 24-hour
  // window, with `text` as its parameter. A permanent DeliveryError when no
  // template is configured.
  virtual Task<SentMessage> send_template(const std::string& to, const std::string& text) = 0;
  virtual Task<void> mark_read(const std::string& message_id) = 0;
};

// The conversations. On the SQLite adapter every call runs on the database
// strand; a use case may await them from any executor.
class IDialogRepository {
 public:
  virtual ~IDialogRepository() = default;
  virtual Task<std::optional<domain::Dialog>> load(const std::string& user_id) = 0;
  // The dialog whose current or last issue is `issue_id`.
  virtual Task<std::optional<domain::Dialog>> find_by_issue(const std::string& issue_id) = 0;
  // Stores `dialog` and advances its version. Throws ConcurrentUpdate when the
  // stored version is no longer dialog.version (someone saved in between).
  virtual Task<void> save(domain::Dialog& dialog) = 0;
};

struct IssueRequest {
  domain::Issue issue;
  domain::User client;
  std::string company;
};

struct CreatedIssue {
  std::string id;
  std::string link;
};

// Opens tickets in the helpdesk. create_issue throws DeliveryError.
class IIssueCreator {
 public:
  virtual ~IIssueCreator() = default;
  virtual Task<CreatedIssue> create_issue(const IssueRequest& request) = 0;
  // The link a client can follow to see the issue.
  [[nodiscard]] virtual std::string generate_ticket_link(const std::string& issue_id) const = 0;
};

struct InvoiceRequest {
  std::string issue_id;
  domain::User client;
  std::string company;
};

struct PaymentStatus {
  std::string invoice_number;
  std::string status;
  std::string amount_paid;
  std::string amount_due;
  std::string currency;
};

// Accounting (1C). Payment notices arrive through the accounting webhook; these
// calls are what the service asks of accounting itself.
class IAccountingConnector {
 public:
  virtual ~IAccountingConnector() = default;
  virtual Task<void> request_invoice(const InvoiceRequest& request) = 0;
  virtual Task<void> receive_payment_status(const PaymentStatus& status) = 0;
};

// Where the actions a flow step decided go to be executed later, durably.
class IActionQueue {
 public:
  virtual ~IActionQueue() = default;
  virtual Task<void> enqueue(const domain::Dialog& dialog,
                             const std::vector<domain::DialogAction>& actions,
                             const domain::DomainEvent& cause) = 0;
};

struct StoreResult {
  std::size_t accepted = 0;    // new events, now stored
  std::size_t duplicates = 0;  // events already stored earlier
};

// The inbox of received events. store() completes only once the events are
// durably stored: a webhook answers 200 after it and never before.
class IEventInbox {
 public:
  virtual ~IEventInbox() = default;
  virtual Task<StoreResult> store(std::vector<domain::DomainEvent> events) = 0;
};

}  // namespace fixit::application
