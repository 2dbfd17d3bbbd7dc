#pragma once

// Accounting (1C) as the service asks it for things. 1C has no API the service
// calls yet: payment notices arrive through the accounting webhook, and an
// invoice request is only recorded in the log for the accountant. Each call
// succeeds.

#include "application/ports.hpp"

namespace fixit::infrastructure::outbound {

class OneCConnector final : public application::IAccountingConnector {
 public:
  application::Task<void> request_invoice(const application::InvoiceRequest& request) override;
  application::Task<void> receive_payment_status(const application::PaymentStatus& status) override;

  // Calls made so far (lets tests and the readiness page see the stub works).
  [[nodiscard]] std::size_t invoice_requests() const { return invoice_requests_; }
  [[nodiscard]] std::size_t payment_statuses() const { return payment_statuses_; }

 private:
  std::size_t invoice_requests_ = 0;
  std::size_t payment_statuses_ = 0;
};

}  // namespace fixit::infrastructure::outbound
