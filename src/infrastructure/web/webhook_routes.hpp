#pragma once

// What each path of the service answers. The HTTP server reads a request and
// hands it here; the routes verify the sender, turn the body into events, store
// them and only then answer 200. No Beast in sight, so the routes are tested
// without sockets too.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "application/ports.hpp"
#include "infrastructure/config/settings.hpp"
#include "infrastructure/web/http_types.hpp"

namespace fixit::infrastructure::web {

class WabaSignature;

// Why the service is not ready (the database cannot be reached...), or nullopt
// when it is.
using ReadinessCheck = std::function<application::Task<std::optional<std::string>>()>;

class WebhookRoutes {
 public:
  WebhookRoutes(const Settings& settings, application::IEventInbox& inbox,
                ReadinessCheck readiness);
  ~WebhookRoutes();
  WebhookRoutes(const WebhookRoutes&) = delete;
  WebhookRoutes& operator=(const WebhookRoutes&) = delete;

  // Fills `response` for `request`. Never throws for bad input: that is a 4xx.
  application::Task<void> handle(const HttpRequest& request, HttpResponse& response);

  // While draining for shutdown /readyz answers 503, so a load balancer stops
  // sending new work.
  void set_draining() { draining_ = true; }

 private:
  // What a request needs once it has been read and checked.
  enum class Next { answer, store, check_readiness };

  // The synchronous part of every route: authenticate, parse, fill `events`.
  Next route(const HttpRequest& request, HttpResponse& response,
             std::vector<domain::DomainEvent>& events) const;
  Next receive_waba(const HttpRequest& request, HttpResponse& response,
                    std::vector<domain::DomainEvent>& events) const;
  void verify_waba(const HttpRequest& request, HttpResponse& response) const;
  Next receive_okdesk(const HttpRequest& request, HttpResponse& response,
                      std::vector<domain::DomainEvent>& events) const;
  Next receive_accounting(const HttpRequest& request, HttpResponse& response,
                          std::vector<domain::DomainEvent>& events) const;

  std::string waba_app_secret_;
  std::string waba_verify_token_;
  std::string okdesk_user_;
  std::string okdesk_pass_;
  std::string accounting_user_;
  std::string accounting_pass_;
  std::string accounting_token_;
  std::unique_ptr<WabaSignature> signature_;
  application::IEventInbox& inbox_;
  ReadinessCheck readiness_;
  std::atomic<bool> draining_{false};
};

// `{"error":"<message>"}`, the message escaped as JSON.
std::string error_body(std::string_view message);

}  // namespace fixit::infrastructure::web
