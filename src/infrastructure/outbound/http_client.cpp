#include "infrastructure/outbound/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <deque>
#include <exception>
#include <list>
#include <map>
#include <variant>

#include "infrastructure/config/settings.hpp"

namespace fixit::infrastructure::outbound {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Kind = TransportError::Kind;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_header_bytes = 64 * 1024;

struct Target {
  bool tls = false;
  std::string host;         // as given to the resolver and to TLS (no IPv6 brackets)
  std::string host_header;  // as sent in Host:
  std::string port;
  std::string origin;  // scheme://host:port, the pool key
  std::string path_and_query;
  std::string printable;  // origin + path, no query
  bool ip_literal = false;
};

bool is_loopback(const std::string& host) {
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "localhost" || lower.ends_with(".localhost")) {
    return true;
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

std::variant<Target, std::string> parse_target(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return std::string("not an absolute URL");
  }
  const auto& u = *parsed;
  Target t;
  const auto scheme = u.scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) {
    return std::string("only http and https URLs are supported");
  }
  t.tls = scheme == boost::urls::scheme::https;
  if (!u.has_authority() || u.encoded_host().empty()) {
    return std::string("the URL has no host");
  }
  if (u.has_userinfo()) {
    return std::string("credentials in the URL are not supported");
  }
  t.host = u.host_address();
  t.ip_literal = u.host_type() != boost::urls::host_type::name;
  const std::string encoded_host(u.encoded_host());
  t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
  t.host_header = encoded_host + (u.has_port() ? ":" + t.port : "");
  t.origin = std::string(t.tls ? "https://" : "http://") + encoded_host + ":" + t.port;
  t.path_and_query = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  t.printable = t.origin + t.path_and_query;
  if (u.has_query()) {
    t.path_and_query += "?" + std::string(u.encoded_query());
  }
  if (!t.tls && !is_loopback(t.host)) {
    return std::string("plain http is allowed only for loopback hosts; use https");
  }
  return t;
}

struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<ssl::stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;
  bool reused = false;

  // Not const: it hands out the stream for I/O.
  beast::tcp_stream& tcp() {  // NOLINT(readability-make-member-function-const)
    return secure ? secure->next_layer() : *plain;
  }

  void close() {
    boost::system::error_code ec;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp().close();
  }
};

struct Waiter {
  asio::steady_timer timer;
  bool woken = false;
};

struct Pool {
  std::deque<std::unique_ptr<Connection>> idle;
  std::size_t open = 0;  // idle plus in use, the number the bound applies to
  std::list<Waiter*> waiters;

  void wake_one() {
    if (waiters.empty()) {
      return;
    }
    auto* waiter = waiters.front();
    waiters.pop_front();
    waiter->woken = true;
    waiter->timer.cancel();
  }
};

// An exchange's result: the answer, or why there is none.
struct Outcome {
  HttpResponse response;
  std::optional<TransportError> error;
  bool answer_started = false;  // some bytes of an answer arrived
  bool keep_alive = false;
};

std::string describe(const boost::system::error_code& ec) {
  return ec.message();
}

}  // namespace

struct HttpClient::Impl {
  asio::any_io_executor executor;
  HttpClientOptions options;
  ssl::context tls_context{ssl::context::tls_client};
  std::map<std::string, Pool> pools;
  std::size_t opened = 0;
  bool closed = false;

  Impl(asio::any_io_executor ex, HttpClientOptions opts)
      : executor(std::move(ex)), options(std::move(opts)) {
    tls_context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
    if (options.ca_file.empty()) {
      tls_context.set_default_verify_paths();
    } else {
      boost::system::error_code ec;
      tls_context.load_verify_file(options.ca_file, ec);
      if (ec) {
        throw std::runtime_error("CA file " + options.ca_file +
                                 " cannot be loaded: " + ec.message());
      }
    }
    tls_context.set_verify_mode(ssl::verify_peer);
    options.max_connections_per_origin =
        std::max<std::size_t>(1, options.max_connections_per_origin);
  }

  // A pooled connection, or nullptr when the caller may open a new one (its slot
  // is then counted already).
  static asio::awaitable<std::unique_ptr<Connection>> acquire(std::shared_ptr<Impl> self,
                                                              const Target& target,
                                                              Clock::time_point deadline) {
    auto& pool = self->pools[target.origin];
    for (;;) {
      if (self->closed) {
        throw TransportError(Kind::protocol, "http client closed: " + target.printable);
      }
      while (!pool.idle.empty()) {
        auto conn = std::move(pool.idle.back());
        pool.idle.pop_back();
        if (Clock::now() - conn->idle_since < self->options.max_idle &&
            conn->tcp().socket().is_open()) {
          conn->reused = true;
          co_return conn;
        }
        conn->close();
        --pool.open;
      }
      if (pool.open < self->options.max_connections_per_origin) {
        ++pool.open;
        co_return nullptr;
      }

      Waiter waiter{asio::steady_timer(self->executor, deadline)};
      pool.waiters.push_back(&waiter);
      struct Unlist {
        Pool& pool;
        Waiter* waiter;
        ~Unlist() { pool.waiters.remove(waiter); }
      } unlist{pool, &waiter};
      co_await waiter.timer.async_wait(use_tuple);
      if (!waiter.woken) {
        throw TransportError(Kind::timeout,
                             "timed out waiting for a free connection to " + target.origin);
      }
    }
  }

  void release(const Target& target, std::unique_ptr<Connection> conn, bool reusable) {
    auto& pool = pools[target.origin];
    if (reusable && !closed) {
      conn->idle_since = Clock::now();
      pool.idle.push_back(std::move(conn));
    } else {
      if (conn) {
        conn->close();
      }
      --pool.open;
    }
    pool.wake_one();
  }

  asio::awaitable<std::unique_ptr<Connection>> open(const Target& target,
                                                    Clock::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    const auto connect_deadline = std::min(deadline, Clock::now() + options.connect_timeout);

    tcp::resolver resolver(executor);
    asio::steady_timer timer(executor, connect_deadline);
    auto resolved = co_await (resolver.async_resolve(target.host, target.port, use_tuple) ||
                              timer.async_wait(use_tuple));
    if (resolved.index() == 1) {
      throw TransportError(Kind::timeout, "timed out resolving " + target.host);
    }
    auto [resolve_ec, endpoints] = std::get<0>(std::move(resolved));
    if (resolve_ec) {
      throw TransportError(Kind::connect,
                           "cannot resolve " + target.host + ": " + describe(resolve_ec));
    }

    auto conn = std::make_unique<Connection>();
    if (target.tls) {
      conn->secure = std::make_unique<ssl::stream<beast::tcp_stream>>(executor, tls_context);
    } else {
      conn->plain = std::make_unique<beast::tcp_stream>(executor);
    }
    auto& stream = conn->tcp();
    stream.expires_at(connect_deadline);
    auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
    if (connect_ec == beast::error::timeout) {
      throw TransportError(Kind::timeout, "timed out connecting to " + target.origin);
    }
    if (connect_ec) {
      throw TransportError(Kind::connect,
                           "cannot connect to " + target.origin + ": " + describe(connect_ec));
    }
    ++opened;

    if (target.tls) {
      SSL* handle = conn->secure->native_handle();
      if (target.ip_literal) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), target.host.c_str());
      } else {
        // SNI, and the name the certificate must carry.
        SSL_set_tlsext_host_name(handle, target.host.c_str());
        SSL_set1_host(handle, target.host.c_str());
      }
      auto [handshake_ec] =
          co_await conn->secure->async_handshake(ssl::stream_base::client, use_tuple);
      if (handshake_ec == beast::error::timeout) {
        throw TransportError(Kind::timeout, "timed out in the TLS handshake with " + target.origin);
      }
      if (handshake_ec) {
        const auto verify = SSL_get_verify_result(handle);
        const std::string why =
            verify != X509_V_OK ? X509_verify_cert_error_string(verify) : describe(handshake_ec);
        throw TransportError(Kind::tls, "TLS handshake with " + target.origin + " failed: " + why);
      }
    }
    spdlog::debug("http connection opened origin={} endpoint={}", target.origin,
                  endpoint.address().to_string());
    co_return conn;
  }

  template <typename Stream>
  asio::awaitable<Outcome> exchange_on(Stream& stream, Connection& conn,
                                       const http::request<http::string_body>& request,
                                       const Target& target, Clock::time_point deadline) {
    Outcome outcome;
    const auto fail = [&](const boost::system::error_code& ec, const char* step) {
      if (ec == beast::error::timeout) {
        outcome.error.emplace(Kind::timeout,
                              "timed out " + std::string(step) + " " + target.printable);
      } else if (ec == http::error::body_limit || ec == http::error::header_limit) {
        outcome.error.emplace(Kind::protocol, "answer too large from " + target.printable);
      } else {
        outcome.error.emplace(Kind::protocol, std::string(step) + " " + target.printable +
                                                  " failed: " + describe(ec));
      }
    };

    conn.tcp().expires_at(deadline);
    auto [write_ec, written] = co_await http::async_write(stream, request, use_tuple);
    if (write_ec) {
      fail(write_ec, "sending to");
      co_return outcome;
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(max_header_bytes);
    auto [read_ec, read] = co_await http::async_read(stream, conn.buffer, parser, use_tuple);
    outcome.answer_started = parser.got_some();
    if (read_ec) {
      fail(read_ec, "reading the answer from");
      co_return outcome;
    }
    auto message = parser.release();
    outcome.response.status = message.result_int();
    outcome.response.content_type = std::string(message[http::field::content_type]);
    outcome.response.retry_after = std::string(message[http::field::retry_after]);
    outcome.keep_alive = message.keep_alive() && conn.buffer.size() == 0;
    outcome.response.body = std::move(message.body());
    co_return outcome;
  }

  asio::awaitable<Outcome> exchange(Connection& conn,
                                    const http::request<http::string_body>& request,
                                    const Target& target, Clock::time_point deadline) {
    if (conn.secure) {
      co_return co_await exchange_on(*conn.secure, conn, request, target, deadline);
    }
    co_return co_await exchange_on(*conn.plain, conn, request, target, deadline);
  }
};

HttpClientOptions HttpClientOptions::from(const Settings& settings) {
  HttpClientOptions options;
  options.connect_timeout = settings.connect_timeout;
  options.request_timeout = settings.request_timeout;
  options.ca_file = settings.ca_file;
  return options;
}

HttpClient::HttpClient(asio::any_io_executor executor, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() {
  close();
}

void HttpClient::close() {
  impl_->closed = true;
  for (auto& [origin, pool] : impl_->pools) {
    for (auto& conn : pool.idle) {
      conn->close();
      --pool.open;
    }
    pool.idle.clear();
    while (!pool.waiters.empty()) {
      pool.wake_one();
    }
  }
}

std::optional<std::string> HttpClient::unusable_url_reason(std::string_view url) {
  auto parsed = parse_target(url);
  if (const auto* reason = std::get_if<std::string>(&parsed)) {
    return *reason;
  }
  return std::nullopt;
}

std::size_t HttpClient::connections_opened() const {
  return impl_->opened;
}

std::size_t HttpClient::idle_connections() const {
  std::size_t idle = 0;
  for (const auto& [origin, pool] : impl_->pools) {
    idle += pool.idle.size();
  }
  return idle;
}

asio::awaitable<HttpResponse> HttpClient::send(HttpRequest request) {
  auto self = impl_;
  auto parsed = parse_target(request.url);
  if (const auto* reason = std::get_if<std::string>(&parsed)) {
    throw TransportError(Kind::bad_url, *reason + ": " + without_query(request.url));
  }
  const auto target = std::get<Target>(std::move(parsed));
  const auto started = Clock::now();
  const auto deadline = started + self->options.request_timeout;

  const auto verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    throw std::invalid_argument("unknown HTTP method " + request.method);
  }
  http::request<http::string_body> message{verb, target.path_and_query, 11};
  message.set(http::field::host, target.host_header);
  message.set(http::field::user_agent, "fixit-exchange/" FIXIT_VERSION);
  message.set(http::field::accept, "application/json");
  for (const auto& [name, value] : request.headers) {
    message.set(name, value);
  }
  if (!request.body.empty() || verb == http::verb::post || verb == http::verb::put ||
      verb == http::verb::patch) {
    if (!request.content_type.empty()) {
      message.set(http::field::content_type, request.content_type);
    }
    message.body() = std::move(request.body);
    message.prepare_payload();
  }
  message.keep_alive(true);

  // A pooled connection the server has meanwhile closed fails before any answer
  // arrives, with nothing processed; such a request goes once more on a new one.
  for (int attempt = 0;; ++attempt) {
    auto conn = co_await Impl::acquire(self, target, deadline);
    if (!conn) {
      std::exception_ptr failure;
      try {
        conn = co_await self->open(target, deadline);
      } catch (...) {
        failure = std::current_exception();
      }
      if (failure) {
        self->release(target, nullptr, false);
        std::rethrow_exception(failure);
      }
    }

    auto outcome = co_await self->exchange(*conn, message, target, deadline);
    if (outcome.error) {
      const bool stale = conn->reused && !outcome.answer_started && attempt == 0 &&
                         outcome.error->kind() == Kind::protocol;
      self->release(target, std::move(conn), false);
      if (stale) {
        spdlog::debug("http pooled connection was closed by the server, retrying url={}",
                      target.printable);
        continue;
      }
      throw *outcome.error;
    }
    self->release(target, std::move(conn), outcome.keep_alive);
    spdlog::debug(
        "http exchange method={} url={} status={} ms={}", request.method, target.printable,
        outcome.response.status,
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    co_return std::move(outcome.response);
  }
}

std::string without_query(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

}  // namespace fixit::infrastructure::outbound
