#pragma once

// An HTTP(S) client for the service's outbound calls (the messenger, the helpdesk).
//
// Runs on the caller's executor without blocking: resolve, connect, TLS and the
// exchange are coroutines. TLS always verifies the server's certificate and host
// name, against the system CA store or, when a CA file is configured, against
// that file alone; there is deliberately no switch to turn verification off.
// Plain http:// is accepted only for loopback hosts (a local sandbox).
//
// Connections are kept alive in a bounded pool per origin (scheme, host, port).
// A connection that failed in any way is closed, never pooled again.
//
// Use it from one thread: the io_context that owns the executor runs on a
// single thread (the service's design), so the pool needs no lock.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fixit::infrastructure {
struct Settings;
}

namespace fixit::infrastructure::outbound {

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, PATCH or DELETE
  std::string url;             // absolute http(s) URL, already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;  // set with a body
  std::string body;
};

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;  // the Retry-After header, when the server sent one
};

// The request got no HTTP answer. Messages name the origin and path, never the
// query string (which may hold an API token).
class TransportError : public std::runtime_error {
 public:
  enum class Kind {
    bad_url,   // not an absolute http(s) URL, or http:// to a host that is not loopback
    timeout,   // connect or whole-request deadline passed
    connect,   // resolve or TCP connect failed
    tls,       // handshake or certificate verification failed
    protocol,  // the connection broke or the answer was not valid HTTP
  };

  TransportError(Kind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  [[nodiscard]] Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{15000};  // from send() to the last byte of the answer
  std::string ca_file;  // trust only this PEM bundle instead of the system store
  std::size_t max_connections_per_origin = 8;
  std::chrono::seconds max_idle{30};  // an idle connection older than this is closed, not reused
  std::size_t max_response_bytes = 8 * 1024 * 1024;

  static HttpClientOptions from(const Settings& settings);
};

class HttpClient {
 public:
  // Throws std::runtime_error when the CA file cannot be loaded.
  HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole answer, whatever its status.
  // Throws TransportError when no answer came. Waiting for a free pooled
  // connection counts against the request timeout.
  boost::asio::awaitable<HttpResponse> send(HttpRequest request);

  // Closes idle connections and makes waiting requests fail; requests in
  // flight finish or fail on their own deadline.
  void close();

  // Why `url` cannot be used by this client; nullopt when it can.
  static std::optional<std::string> unusable_url_reason(std::string_view url);

  // Connections opened since construction (lets tests see keep-alive reuse).
  [[nodiscard]] std::size_t connections_opened() const;
  [[nodiscard]] std::size_t idle_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// `url` with its query string cut off, for logs and error messages.
std::string without_query(std::string_view url);

}  // namespace fixit::infrastructure::outbound
