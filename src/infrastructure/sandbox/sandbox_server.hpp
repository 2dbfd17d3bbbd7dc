#pragma once

// The sandbox's HTTP(S) server: serves a SandboxApi on a loopback port, on the
// caller's executor, so a test can run it in-process beside the client.

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "infrastructure/sandbox/sandbox_api.hpp"

namespace fixit::infrastructure::sandbox {

struct SandboxServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 picks a free one; see SandboxServer::port()
  // Both set: serve HTTPS with this PEM certificate chain and key.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class SandboxServer {
 public:
  // Binds and listens at once (throws when it cannot); `api` must outlive the server.
  SandboxServer(const boost::asio::any_io_executor& executor, SandboxApi& api,
                SandboxServerOptions options);
  ~SandboxServer();
  SandboxServer(const SandboxServer&) = delete;
  SandboxServer& operator=(const SandboxServer&) = delete;

  // Starts accepting connections.
  void start();
  // Stops accepting, closes open connections and drops hung answers.
  void stop();

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] bool tls() const;
  // "http://127.0.0.1:PORT" (or https://localhost:PORT with TLS, the name a test
  // certificate is made for).
  [[nodiscard]] std::string base_url() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixit::infrastructure::sandbox
