#include "infrastructure/outbound/onec_connector.hpp"

#include <spdlog/spdlog.h>

#include "infrastructure/logging.hpp"

namespace fixit::infrastructure::outbound {

application::Task<void> OneCConnector::request_invoice(const application::InvoiceRequest& request) {
  ++invoice_requests_;
  spdlog::info("1c invoice requested issue_id={} client={} company=\"{}\"", request.issue_id,
               mask_phone(request.client.phone.empty() ? request.client.id : request.client.phone),
               request.company);
  co_return;
}

application::Task<void> OneCConnector::receive_payment_status(
    const application::PaymentStatus& status) {
  ++payment_statuses_;
  spdlog::info("1c payment status invoice={} status={} paid={} due={} currency={}",
               status.invoice_number, status.status, status.amount_paid, status.amount_due,
               status.currency);
  co_return;
}

}  // namespace fixit::infrastructure::outbound
