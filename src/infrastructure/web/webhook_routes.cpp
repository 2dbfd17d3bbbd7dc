#include "infrastructure/web/webhook_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "infrastructure/web/credentials.hpp"
#include "infrastructure/web/okdesk_parser.hpp"
#include "infrastructure/web/onec_parser.hpp"
#include "infrastructure/web/waba_parser.hpp"

namespace fixit::infrastructure::web {

namespace {

using application::Task;

constexpr std::string_view waba_path = "/webhook/waba";
constexpr std::string_view okdesk_path = "/webhook/okdesk";
constexpr std::string_view accounting_path = "/webhook/accounting";
constexpr std::string_view health_path = "/healthz";
constexpr std::string_view ready_path = "/readyz";

constexpr std::string_view ok_body = R"({"status":"ok"})";
constexpr std::string_view basic_challenge = R"(Basic realm="fixit-exchange", charset="UTF-8")";

void answer(HttpResponse& response, unsigned status, std::string_view message) {
  response.status = status;
  response.content_type = "application/json";
  response.body = error_body(message);
}

void method_not_allowed(HttpResponse& response, std::string_view allow) {
  answer(response, 405, "method not allowed; use " + std::string(allow));
  response.allow = allow;
}

void route_closed(const HttpRequest& request, HttpResponse& response, std::string_view setting) {
  spdlog::warn("webhook refused: route not configured path={} missing={} request_id={}",
               path_of(request.target), setting, request.request_id);
  answer(response, 503, "this webhook is not configured on the server");
}

void refused(const HttpRequest& request, HttpResponse& response, unsigned status,
             std::string_view reason) {
  spdlog::warn("webhook refused path={} status={} reason=\"{}\" request_id={}",
               path_of(request.target), status, reason, request.request_id);
  answer(response, status, reason);
}

// "/webhook/waba/" is the same route as "/webhook/waba".
std::string_view route_of(std::string_view target) {
  auto path = path_of(target);
  if (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  return path;
}

}  // namespace

std::string error_body(std::string_view message) {
  return boost::json::serialize(boost::json::object{{"error", message}});
}

WebhookRoutes::WebhookRoutes(const Settings& settings, application::IEventInbox& inbox,
                             ReadinessCheck readiness)
    : waba_app_secret_(settings.waba_app_secret),
      waba_verify_token_(settings.waba_verify_token),
      okdesk_user_(settings.okdesk_user),
      okdesk_pass_(settings.okdesk_pass),
      accounting_user_(settings.accounting_user),
      accounting_pass_(settings.accounting_pass),
      accounting_token_(settings.accounting_token),
      signature_(std::make_unique<WabaSignature>(settings.waba_app_secret)),
      inbox_(inbox),
      readiness_(std::move(readiness)) {}

WebhookRoutes::~WebhookRoutes() = default;

Task<void> WebhookRoutes::handle(const HttpRequest& request, HttpResponse& response) {
  // One coroutine frame per request: the routes decide synchronously, the
  // awaiting happens here.
  std::vector<domain::DomainEvent> events;
  auto next = Next::answer;
  try {
    next = route(request, response, events);
  } catch (const RequestError& error) {
    spdlog::info("request rejected path={} status={} reason=\"{}\" request_id={}",
                 route_of(request.target), error.status(), log_text(error.what(), 300),
                 request.request_id);
    answer(response, error.status(), error.what());
  } catch (const std::exception& error) {
    spdlog::error("request failed path={} error=\"{}\" request_id={}", route_of(request.target),
                  error.what(), request.request_id);
    answer(response, 500, "internal error");
  }

  if (next == Next::store) {
    // An empty batch (only updates this service does not use) is acknowledged
    // without a trip to the store.
    if (!events.empty()) {
      const auto count = events.size();
      std::string failure;
      try {
        const auto result = co_await inbox_.store(std::move(events));
        response.events = result.accepted;
        response.duplicates = result.duplicates;
      } catch (const std::exception& error) {
        failure = error.what();
      }
      if (!failure.empty()) {
        spdlog::error("events not stored path={} events={} error=\"{}\" request_id={}",
                      route_of(request.target), count, failure, request.request_id);
        answer(response, 503, "events could not be stored; retry later");
        co_return;
      }
    }
    response.status = 200;
    response.body = ok_body;
  } else if (next == Next::check_readiness) {
    std::optional<std::string> problem;
    if (draining_) {
      problem = "shutting down";
    } else if (readiness_) {
      try {
        problem = co_await readiness_();
      } catch (const std::exception& error) {
        problem = error.what();
      }
    }
    if (problem) {
      spdlog::warn("not ready reason=\"{}\" request_id={}", *problem, request.request_id);
      answer(response, 503, *problem);
    } else {
      response.body = R"({"status":"ready"})";
    }
  }
}

WebhookRoutes::Next WebhookRoutes::route(const HttpRequest& request, HttpResponse& response,
                                         std::vector<domain::DomainEvent>& events) const {
  const auto path = route_of(request.target);
  if (path == waba_path) {
    if (request.method == Method::post) {
      return receive_waba(request, response, events);
    }
    if (request.method == Method::get) {
      verify_waba(request, response);
    } else {
      method_not_allowed(response, "GET, POST");
    }
  } else if (path == okdesk_path) {
    if (request.method == Method::post) {
      return receive_okdesk(request, response, events);
    }
    method_not_allowed(response, "POST");
  } else if (path == accounting_path) {
    if (request.method == Method::post) {
      return receive_accounting(request, response, events);
    }
    method_not_allowed(response, "POST");
  } else if (path == health_path) {
    if (request.method == Method::get || request.method == Method::head) {
      response.body = ok_body;
    } else {
      method_not_allowed(response, "GET, HEAD");
    }
  } else if (path == ready_path) {
    if (request.method == Method::get || request.method == Method::head) {
      return Next::check_readiness;
    }
    method_not_allowed(response, "GET, HEAD");
  } else {
    answer(response, 404, "no such path: " + std::string(path.substr(0, 200)));
  }
  return Next::answer;
}

void WebhookRoutes::verify_waba(const HttpRequest& request, HttpResponse& response) const {
  if (waba_verify_token_.empty()) {
    spdlog::warn("webhook refused: route not configured path={} missing=WABA_VERIFY_TOKEN",
                 waba_path);
    answer(response, 403, "verification is not configured on the server");
    return;
  }
  const auto url = boost::urls::parse_origin_form(request.target);
  if (!url) {
    answer(response, 400, "request target is not a valid URL");
    return;
  }
  std::string mode;
  std::string token;
  std::string challenge;
  bool has_challenge = false;
  for (const auto param : url->params()) {
    if (param.key == "hub.mode") {
      mode = param.value;
    } else if (param.key == "hub.verify_token") {
      token = param.value;
    } else if (param.key == "hub.challenge") {
      challenge = param.value;
      has_challenge = true;
    }
  }
  // Both checks run whatever the mode, so timing tells nothing about the token.
  const bool token_ok = constant_time_equal(token, waba_verify_token_);
  if (mode != "subscribe" || !token_ok || !has_challenge) {
    refused(request, response, 403,
            mode != "subscribe" ? "hub.mode must be subscribe"
            : !token_ok         ? "hub.verify_token does not match"
                                : "hub.challenge is missing");
    return;
  }
  spdlog::info("whatsapp webhook verified request_id={}", request.request_id);
  response.status = 200;
  response.content_type = "text/plain";
  response.body = std::move(challenge);
}

WebhookRoutes::Next WebhookRoutes::receive_waba(const HttpRequest& request, HttpResponse& response,
                                                std::vector<domain::DomainEvent>& events) const {
  if (waba_app_secret_.empty()) {
    route_closed(request, response, "WABA_APP_SECRET");
    return Next::answer;
  }
  if (request.hub_signature.empty()) {
    refused(request, response, 401, "X-Hub-Signature-256 header is missing");
    return Next::answer;
  }
  const auto claimed = parse_hub_signature(request.hub_signature);
  if (!claimed) {
    refused(request, response, 401, "X-Hub-Signature-256 must be sha256=<64 hex digits>");
    return Next::answer;
  }
  if (!signature_->matches(*claimed, *request.body)) {
    refused(request, response, 401, "X-Hub-Signature-256 does not match the body");
    return Next::answer;
  }

  auto notification = parse_waba_notification(*request.body);
  if (notification.skipped > 0) {
    spdlog::debug("whatsapp updates not used skipped={} request_id={}", notification.skipped,
                  request.request_id);
  }
  events = std::move(notification.events);
  return Next::store;
}

WebhookRoutes::Next WebhookRoutes::receive_okdesk(const HttpRequest& request,
                                                  HttpResponse& response,
                                                  std::vector<domain::DomainEvent>& events) const {
  if (okdesk_user_.empty() || okdesk_pass_.empty()) {
    route_closed(request, response, "OKDESK_USER/OKDESK_PASS");
    return Next::answer;
  }
  if (!basic_auth_matches(request.authorization, okdesk_user_, okdesk_pass_)) {
    refused(request, response, 401,
            request.authorization.empty() ? "authorization is required" : "wrong user or password");
    response.www_authenticate = basic_challenge;
    return Next::answer;
  }

  auto notification = parse_okdesk_webhook(*request.body);
  if (!notification.event) {
    spdlog::info(
        "okdesk event acknowledged without action event_type={} issue_id={} reason=\"{}\" "
        "request_id={}",
        log_text(notification.event_type), log_text(notification.issue_id), notification.ignored,
        request.request_id);
    return Next::store;
  }
  events.push_back(std::move(*notification.event));
  return Next::store;
}

WebhookRoutes::Next WebhookRoutes::receive_accounting(
    const HttpRequest& request, HttpResponse& response,
    std::vector<domain::DomainEvent>& events) const {
  const bool basic_configured = !accounting_user_.empty() && !accounting_pass_.empty();
  if (!basic_configured && accounting_token_.empty()) {
    route_closed(request, response, "ACCOUNTING_TOKEN or ACCOUNTING_USER/ACCOUNTING_PASS");
    return Next::answer;
  }
  const bool authorized =
      (basic_configured &&
       basic_auth_matches(request.authorization, accounting_user_, accounting_pass_)) ||
      bearer_matches(request.authorization, accounting_token_);
  if (!authorized) {
    refused(request, response, 401,
            request.authorization.empty() ? "authorization is required" : "wrong credentials");
    response.www_authenticate =
        basic_configured ? basic_challenge : std::string_view(R"(Bearer realm="fixit-exchange")");
    return Next::answer;
  }

  events.push_back(parse_payment_notice(*request.body, request.content_type));
  spdlog::debug("payment notice read key={} status={} request_id={}", log_text(events.front().key),
                events.front().get(domain::key::status), request.request_id);
  return Next::store;
}

}  // namespace fixit::infrastructure::web
