#include "infrastructure/outbound/http_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include "outbound/support.hpp"

namespace fixit::testing {
namespace {

using infrastructure::outbound::HttpClient;
using infrastructure::outbound::HttpRequest;
using infrastructure::outbound::HttpResponse;
using infrastructure::outbound::TransportError;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(HttpClientUrls, AllowsPlainHttpOnlyForLoopbackHosts) {
  EXPECT_FALSE(HttpClient::unusable_url_reason("http://127.0.0.1:8080/v21.0"));
  EXPECT_FALSE(HttpClient::unusable_url_reason("http://localhost:9000"));
  EXPECT_FALSE(HttpClient::unusable_url_reason("http://[::1]:9000/api"));
  EXPECT_FALSE(HttpClient::unusable_url_reason("https://graph.facebook.com/v21.0"));
  EXPECT_THAT(HttpClient::unusable_url_reason("http://fixit.okdesk.ru").value_or(""),
              HasSubstr("loopback"));
  EXPECT_THAT(HttpClient::unusable_url_reason("http://10.0.0.5").value_or(""),
              HasSubstr("loopback"));
}

TEST(HttpClientUrls, RefusesWhatIsNotAnHttpUrl) {
  EXPECT_TRUE(HttpClient::unusable_url_reason("ftp://example.com/file"));
  EXPECT_TRUE(HttpClient::unusable_url_reason("graph.facebook.com/v21.0"));
  EXPECT_TRUE(HttpClient::unusable_url_reason("https://user:pass@example.com/"));
  EXPECT_TRUE(HttpClient::unusable_url_reason(""));
}

TEST(HttpClientUrls, CutsTheQueryOffForMessages) {
  EXPECT_EQ(infrastructure::outbound::without_query("https://a.ru/api/v1/issues/?api_token=s"),
            "https://a.ru/api/v1/issues/");
}

TEST(HttpClientSetup, FailsClearlyOnAMissingCaFile) {
  boost::asio::io_context io;
  infrastructure::outbound::HttpClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(HttpClient(io.get_executor(), options), std::runtime_error);
}

class HttpClientTest : public SandboxTest {
 protected:
  HttpResponse get(HttpClient& client, const std::string& path) {
    HttpRequest request;
    request.url = base_url() + path;
    return run(io_, client.send(request));
  }

  TransportError get_failing(HttpClient& client, const std::string& url) {
    try {
      HttpRequest request;
      request.url = url;
      run(io_, client.send(request));
    } catch (const TransportError& e) {
      return e;
    }
    ADD_FAILURE() << "the request did not fail";
    return TransportError(TransportError::Kind::protocol, "none");
  }
};

TEST_F(HttpClientTest, KeepsOneConnectionAliveForSuccessiveRequests) {
  for (int i = 0; i < 3; ++i) {
    const auto response = get(*http_, "/_sandbox/health");
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.body, R"({"ok":true})");
    EXPECT_EQ(response.content_type, "application/json");
  }
  EXPECT_EQ(http_->connections_opened(), 1u);
  EXPECT_EQ(http_->idle_connections(), 1u);
}

TEST_F(HttpClientTest, OpensNoMoreConnectionsPerOriginThanItsBound) {
  auto options = client_options();
  options.max_connections_per_origin = 2;
  HttpClient bounded(io_.get_executor(), options);

  int finished = 0;
  int succeeded = 0;
  for (int i = 0; i < 6; ++i) {
    HttpRequest request;
    request.url = base_url() + "/_sandbox/health";
    boost::asio::co_spawn(io_, bounded.send(request),
                          [&](const std::exception_ptr& failure, const HttpResponse& response) {
                            ++finished;
                            succeeded += !failure && response.status == 200 ? 1 : 0;
                          });
  }
  while (finished < 6) {
    io_.run_one();
  }

  EXPECT_EQ(succeeded, 6);
  EXPECT_LE(bounded.connections_opened(), 2u);
  bounded.close();
}

TEST_F(HttpClientTest, ReturnsErrorStatusesAsAnswers) {
  const auto response = get(*http_, "/nowhere");
  EXPECT_EQ(response.status, 404u);
  EXPECT_THAT(response.body, HasSubstr("Unknown path"));
}

TEST_F(HttpClientTest, ClosesAConnectionThatTimedOutAndOpensANewOne) {
  fail_next("okdesk.issues.get", R"("hang":true)");
  auto options = client_options();
  options.request_timeout = std::chrono::milliseconds(300);
  HttpClient impatient(io_.get_executor(), options);

  const auto error =
      get_failing(impatient, base_url() + "/api/v1/issues/7?api_token=" + std::string("x"));
  EXPECT_EQ(error.kind(), TransportError::Kind::timeout);
  EXPECT_THAT(error.what(), Not(HasSubstr("api_token")));
  EXPECT_EQ(impatient.idle_connections(), 0u);

  EXPECT_EQ(get(impatient, "/_sandbox/health").status, 200u);
  EXPECT_EQ(impatient.connections_opened(), 2u);
  impatient.close();
}

TEST_F(HttpClientTest, RetriesOnceOnAPooledConnectionTheServerClosed) {
  EXPECT_EQ(get(*http_, "/_sandbox/health").status, 200u);
  ASSERT_EQ(http_->idle_connections(), 1u);

  // The server goes away and comes back on the same port: the pooled
  // connection is dead, which only shows when it is used.
  const auto port = server_->port();
  server_->stop();
  io_.restart();
  io_.poll();
  infrastructure::sandbox::SandboxServerOptions same_port;
  same_port.port = port;
  server_ =
      std::make_unique<infrastructure::sandbox::SandboxServer>(io_.get_executor(), api_, same_port);
  server_->start();

  EXPECT_EQ(get(*http_, "/_sandbox/health").status, 200u);
  EXPECT_EQ(http_->connections_opened(), 2u);
}

TEST_F(HttpClientTest, ReportsARefusedConnection) {
  const auto error = get_failing(*http_, "http://127.0.0.1:9/health?api_token=secret");
  EXPECT_EQ(error.kind(), TransportError::Kind::connect);
  EXPECT_THAT(error.what(), Not(HasSubstr("secret")));
}

TEST_F(HttpClientTest, RefusesPlainHttpToAPublicHostWithoutConnecting) {
  const auto error = get_failing(*http_, "http://graph.facebook.com/v21.0/1/messages");
  EXPECT_EQ(error.kind(), TransportError::Kind::bad_url);
  EXPECT_EQ(http_->connections_opened(), 0u);
}

TEST_F(HttpClientTest, SendsAJsonBodyWithItsContentType) {
  HttpRequest request;
  request.method = "POST";
  request.url =
      base_url() + "/api/v1/issues/?api_token=" + std::string("test%2Bokdesk%2Ftoken%3D91");
  request.content_type = "application/json";
  request.body = R"({"issue":{"title":"Касса"}})";

  const auto response = run(io_, http_->send(request));

  EXPECT_EQ(response.status, 200u);
  ASSERT_EQ(api_.issues().size(), 1u);
  EXPECT_EQ(api_.issues()[0].at("title").as_string(), "Касса");
}

}  // namespace
}  // namespace fixit::testing
