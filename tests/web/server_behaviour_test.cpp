// How the server behaves as an HTTP server: routing, limits, timeouts,
// keep-alive and a graceful stop.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <future>
#include <sstream>
#include <thread>

#include "web/http_client.hpp"
#include "web/test_server.hpp"

namespace fixit::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

std::string signed_post(const std::string& body, const std::string& extra_headers = {}) {
  return "POST /webhook/waba HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "X-Hub-Signature-256: " +
         sign(body) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra_headers + "\r\n" + body;
}

TEST(WebhookServer, AnswersHealthz) {
  TestServer server;

  const auto reply = http_request(server.port(), "GET", "/healthz");

  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.body, R"({"status":"ok"})");
}

TEST(WebhookServer, AnswersHeadWithHeadersOnlyAndKeepsTheConnectionUsable) {
  TestServer server;
  HttpClient client(server.port());

  client.send_raw("HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const auto head = client.read_head_reply();
  const auto next = client.request("GET", "/healthz");

  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("content-length"), "15");
  EXPECT_EQ(next.status, 200u);
  EXPECT_EQ(next.body, R"({"status":"ok"})");
}

TEST(WebhookServer, AnswersReadyzFromTheReadinessCheck) {
  TestServer ready(test_settings(), []() -> application::Task<std::optional<std::string>> {
    co_return std::nullopt;
  });
  TestServer not_ready(test_settings(), []() -> application::Task<std::optional<std::string>> {
    co_return std::string("database unreachable");
  });

  EXPECT_EQ(http_request(ready.port(), "GET", "/readyz").status, 200u);
  const auto reply = http_request(not_ready.port(), "GET", "/readyz");
  EXPECT_EQ(reply.status, 503u);
  EXPECT_THAT(reply.body, HasSubstr("database unreachable"));
}

TEST(WebhookServer, AnswersNotFoundWithAJsonError) {
  TestServer server;

  const auto reply = http_request(server.port(), "GET", "/webhook/unknown?x=1");

  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_THAT(reply.body, HasSubstr(R"("error":)"));
  EXPECT_THAT(reply.body, HasSubstr("/webhook/unknown"));
}

TEST(WebhookServer, AnswersAWrongMethodWithTheAllowedOnes) {
  TestServer server;

  const auto waba = http_request(server.port(), "PUT", "/webhook/waba", "{}");
  const auto okdesk = http_request(server.port(), "GET", "/webhook/okdesk");
  const auto accounting = http_request(server.port(), "DELETE", "/webhook/accounting");
  const auto health = http_request(server.port(), "POST", "/healthz", "{}");

  EXPECT_EQ(waba.status, 405u);
  EXPECT_EQ(waba.header("allow"), "GET, POST");
  EXPECT_EQ(okdesk.status, 405u);
  EXPECT_EQ(okdesk.header("allow"), "POST");
  EXPECT_EQ(accounting.status, 405u);
  EXPECT_EQ(accounting.header("allow"), "POST");
  EXPECT_EQ(health.status, 405u);
  EXPECT_EQ(health.header("allow"), "GET, HEAD");
  EXPECT_THAT(waba.body, HasSubstr("method not allowed"));
}

TEST(WebhookServer, ServesSeveralRequestsOnOneKeptAliveConnection) {
  TestServer server;
  HttpClient client(server.port());
  const auto body = read_fixture("waba/text.json");

  for (int i = 0; i < 3; ++i) {
    const auto reply =
        client.request("POST", "/webhook/waba", body, {{"X-Hub-Signature-256", sign(body)}});
    EXPECT_EQ(reply.status, 200u);
    EXPECT_TRUE(reply.keep_alive);
  }
  EXPECT_EQ(client.request("GET", "/healthz").status, 200u);
}

TEST(WebhookServer, AnswersHttp10InKindAndClosesUnlessAskedToKeepAlive) {
  TestServer server;
  HttpClient plain(server.port());
  HttpClient kept(server.port());

  plain.send_raw("GET /healthz HTTP/1.0\r\n\r\n");
  const auto closing = plain.read_reply();
  kept.send_raw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const auto kept_alive = kept.read_reply();

  ASSERT_TRUE(closing);
  EXPECT_EQ(closing->status, 200u);
  EXPECT_FALSE(closing->keep_alive);
  EXPECT_TRUE(plain.wait_until_closed());
  ASSERT_TRUE(kept_alive);
  EXPECT_TRUE(kept_alive->keep_alive);
  EXPECT_EQ(kept.request("GET", "/healthz").status, 200u);
}

TEST(WebhookServer, EchoesAPlainRequestIdAndReplacesOthers) {
  TestServer server;

  const auto given =
      http_request(server.port(), "GET", "/healthz", {}, {{"X-Request-Id", "abc-123"}});
  const auto odd = http_request(server.port(), "GET", "/healthz", {},
                                {{"X-Request-Id", "has spaces and \"quotes\""}});

  EXPECT_EQ(given.header("x-request-id"), "abc-123");
  EXPECT_FALSE(odd.header("x-request-id").empty());
  EXPECT_EQ(odd.header("x-request-id").find(' '), std::string::npos);
}

TEST(WebhookServer, RefusesABodyOverTheLimitBeforeReadingIt) {
  TestServer server;
  HttpClient client(server.port());

  client.send_raw(
      "POST /webhook/waba HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hub-Signature-256: sha256=00\r\n"
      "Content-Length: 10000000\r\n\r\n");
  const auto reply = client.read_reply();

  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413u);
  EXPECT_THAT(reply->body, HasSubstr("exceeds"));
  EXPECT_TRUE(client.wait_until_closed());
  EXPECT_EQ(server.inbox().calls(), 0u);
}

TEST(WebhookServer, RefusesAChunkedBodyThatGrowsOverTheLimit) {
  auto settings = test_settings();
  settings.max_body_bytes = 1024;
  TestServer server(settings);
  HttpClient client(server.port());
  const std::string chunk(800, 'x');

  client.send_raw(
      "POST /webhook/waba HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "320\r\n" +
      chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n");
  const auto reply = client.read_reply();

  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413u);
}

TEST(WebhookServer, ReadsAChunkedBodyWithinTheLimit) {
  TestServer server;
  HttpClient client(server.port());
  const auto body = read_fixture("waba/text_wire_escaped.json");
  const auto half = body.size() / 2;
  const auto hex = [](std::size_t n) {
    char buffer[16];
    return std::string(buffer,
                       static_cast<std::size_t>(std::snprintf(buffer, sizeof buffer, "%zx", n)));
  };

  client.send_raw(
      "POST /webhook/waba HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
      "X-Hub-Signature-256: " +
      sign(body) + "\r\n\r\n" + hex(half) + "\r\n" + body.substr(0, half) + "\r\n" +
      hex(body.size() - half) + "\r\n" + body.substr(half) + "\r\n0\r\n\r\n");
  const auto reply = client.read_reply();

  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200u);
  EXPECT_EQ(server.inbox().events().size(), 1u);
}

TEST(WebhookServer, RefusesHeadersOverTheLimit) {
  TestServer server;
  HttpClient client(server.port());

  client.send_raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " +
                  std::string(20000, 'a') + "\r\n\r\n");
  const auto reply = client.read_reply();

  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 431u);
}

TEST(WebhookServer, AnswersBadRequestToMalformedHttp) {
  TestServer server;
  HttpClient client(server.port());

  client.send_raw("THIS IS NOT HTTP\r\n\r\n");
  const auto reply = client.read_reply();

  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400u);
  EXPECT_THAT(reply->body, HasSubstr("malformed HTTP request"));
}

TEST(WebhookServer, AnswersAnExpectContinueBeforeTheBody) {
  TestServer server;
  HttpClient client(server.port());
  const auto body = read_fixture("waba/text.json");
  const auto request = signed_post(body, "Expect: 100-continue\r\n");
  const auto headers_end = request.find("\r\n\r\n") + 4;

  client.send_raw(request.substr(0, headers_end));
  const auto interim = client.read_reply();
  client.send_raw(request.substr(headers_end));
  const auto reply = client.read_reply();

  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100u);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200u);
}

TEST(WebhookServer, ClosesTheConnectionOfAClientTooSlowToSendItsRequest) {
  auto settings = test_settings();
  settings.read_timeout = 300ms;
  TestServer server(settings);
  HttpClient headers_only(server.port());
  HttpClient half_body(server.port());

  headers_only.send_raw("POST /webhook/waba HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  half_body.send_raw(
      "POST /webhook/waba HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"entry\":");

  EXPECT_TRUE(headers_only.wait_until_closed());
  EXPECT_TRUE(half_body.wait_until_closed());
  EXPECT_EQ(server.inbox().calls(), 0u);
}

TEST(WebhookServer, ClosesAKeptAliveConnectionLeftIdle) {
  auto settings = test_settings();
  settings.idle_timeout = 300ms;
  TestServer server(settings);
  HttpClient client(server.port());

  EXPECT_EQ(client.request("GET", "/healthz").status, 200u);
  EXPECT_TRUE(client.wait_until_closed());
}

TEST(WebhookServer, KeepsNewConnectionsWaitingBeyondTheCap) {
  auto settings = test_settings();
  settings.max_connections = 1;
  TestServer server(settings);
  auto first = std::make_unique<HttpClient>(server.port());
  ASSERT_EQ(first->request("GET", "/healthz").status, 200u);
  HttpClient second(server.port());

  second.send_raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(server.server().connections(), 1u);
  first.reset();
  const auto reply = second.read_reply();

  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200u);
}

TEST(WebhookServer, FinishesARequestInFlightWhenStoppedAndAcceptsNoMore) {
  TestServer server;
  server.inbox().block();
  HttpClient idle(server.port());
  ASSERT_EQ(idle.request("GET", "/healthz").status, 200u);
  HttpClient in_flight(server.port());
  in_flight.send_raw(signed_post(read_fixture("waba/text.json")));
  ASSERT_TRUE(server.inbox().wait_for_held(1));

  auto stopped = server.begin_stop();

  EXPECT_TRUE(idle.wait_until_closed());
  EXPECT_THROW(HttpClient{server.port()}, std::runtime_error);
  EXPECT_EQ(stopped.wait_for(100ms), std::future_status::timeout);
  server.inbox().release();
  const auto reply = in_flight.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200u);
  EXPECT_FALSE(reply->keep_alive);
  EXPECT_EQ(server.inbox().events().size(), 1u);
  EXPECT_EQ(stopped.wait_for(15s), std::future_status::ready);
  EXPECT_EQ(server.server().connections(), 0u);
}

TEST(WebhookServer, ClosesConnectionsStillBusyWhenTheDrainTimesOut) {
  auto settings = test_settings();
  settings.drain_timeout = 200ms;
  TestServer server(settings);
  server.inbox().block();
  HttpClient in_flight(server.port());
  in_flight.send_raw(signed_post(read_fixture("waba/text.json")));
  ASSERT_TRUE(server.inbox().wait_for_held(1));

  auto stopped = server.begin_stop();

  EXPECT_EQ(stopped.wait_for(15s), std::future_status::ready);
  EXPECT_FALSE(in_flight.read_reply());
}

TEST(WebhookServer, LogsOneLinePerRequestAndNeverASecretOrPhone) {
  CapturedLog log;
  {
    TestServer server;
    const auto body = read_fixture("waba/text.json");
    http_request(server.port(), "POST", "/webhook/waba", body,
                 {{"X-Hub-Signature-256", sign(body)}});
    http_request(server.port(), "POST", "/webhook/waba", body,
                 {{"X-Hub-Signature-256", sign(body, "guess")}});
    http_request(server.port(), "GET",
                 "/webhook/waba?hub.mode=subscribe&hub.challenge=42&hub.verify_token=" +
                     std::string(verify_token));
    http_request(
        server.port(), "GET",
        "/webhook/waba?hub.mode=subscribe&hub.challenge=42&hub.verify_token=guessed-token");
    http_request(server.port(), "POST", "/webhook/okdesk",
                 read_fixture("okdesk/webhook_new_comment_employee.json"),
                 {{"Authorization", basic_auth(okdesk_user, okdesk_pass)}});
    http_request(server.port(), "POST", "/webhook/okdesk", "{}",
                 {{"Authorization", basic_auth(okdesk_user, "guessed-password")}});
    http_request(server.port(), "POST", "/webhook/accounting",
                 read_fixture("onec/payment_paid_bp.json"),
                 {{"Authorization", "Bearer " + std::string(accounting_token)}});
    http_request(server.port(), "POST", "/webhook/accounting", "{}",
                 {{"Authorization", "Bearer guessed-token-2"}});
  }
  const auto text = log.text();
  const auto encoded_credentials = basic_auth(okdesk_user, okdesk_pass).substr(6);

  EXPECT_THAT(text, HasSubstr("request method=POST path=/webhook/waba status=200"));
  EXPECT_THAT(text, HasSubstr("request method=GET path=/webhook/waba status=403"));
  for (const std::string_view secret :
       {app_secret, verify_token, okdesk_pass, accounting_token, std::string_view("guessed"),
        std::string_view("79990000001"), std::string_view("79165550123"),
        std::string_view(encoded_credentials)}) {
    EXPECT_THAT(text, Not(HasSubstr(std::string(secret)))) << secret;
  }
  std::size_t request_lines = 0;
  for (auto at = text.find("] request method="); at != std::string::npos;
       at = text.find("] request method=", at + 1)) {
    ++request_lines;
  }
  EXPECT_EQ(request_lines, 8u);
}

// Many clients at once, each posting several notifications on its own
// kept-alive connection.
void post_concurrently(TestServer& server, int clients, int per_client) {
  std::vector<std::future<int>> done;
  done.reserve(static_cast<std::size_t>(clients));
  for (int c = 0; c < clients; ++c) {
    done.push_back(std::async(std::launch::async, [&server, c, per_client] {
      HttpClient client(server.port());
      int ok = 0;
      for (int i = 0; i < per_client; ++i) {
        const auto id = "wamid.c" + std::to_string(c) + "." + std::to_string(i);
        const auto body = R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[)"
                          R"({"field":"messages","value":{"messages":[{"from":"7999","id":")" +
                          id + R"(","timestamp":"1","type":"text","text":{"body":"hi"}}]}}]}]})";
        ok += client.request("POST", "/webhook/waba", body, {{"X-Hub-Signature-256", sign(body)}})
                  .status == 200;
      }
      return ok;
    }));
  }
  int ok = 0;
  for (auto& result : done) {
    ok += result.get();
  }
  EXPECT_EQ(ok, clients * per_client);
  EXPECT_EQ(server.inbox().events().size(), static_cast<std::size_t>(clients * per_client));
}

TEST(WebhookServer, ServesConcurrentClientsOnASingleThreadWithoutStrands) {
  TestServer server(test_settings(), {}, infrastructure::web::IoThreads::one);

  post_concurrently(server, 8, 25);
}

TEST(WebhookServer, ServesConcurrentClientsOnAnIoContextRunByFourThreads) {
  TestServer server(test_settings(), {}, infrastructure::web::IoThreads::several, 4);

  post_concurrently(server, 8, 25);
  server.stop();
  EXPECT_EQ(server.server().connections(), 0u);
}

}  // namespace
}  // namespace fixit::test
