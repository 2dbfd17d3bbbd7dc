#pragma once

// The real WebhookServer on an ephemeral loopback port, its io_context on a
// thread of its own, storing into a FakeInbox.

#include <boost/asio/io_context.hpp>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "infrastructure/web/webhook_server.hpp"
#include "web/fake_inbox.hpp"
#include "web/test_support.hpp"

namespace fixit::test {

class TestServer {
 public:
  explicit TestServer(infrastructure::Settings settings = test_settings(),
                      infrastructure::web::ReadinessCheck readiness = {},
                      infrastructure::web::IoThreads mode = infrastructure::web::IoThreads::several,
                      int threads = 1);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  FakeInbox& inbox() { return inbox_; }
  infrastructure::web::WebhookServer& server() { return *server_; }

  // Starts the graceful stop; the future is ready when it completed.
  std::future<void> begin_stop();
  void stop() { begin_stop().get(); }

 private:
  boost::asio::io_context io_;
  FakeInbox inbox_;
  std::unique_ptr<infrastructure::web::WebhookServer> server_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

}  // namespace fixit::test
