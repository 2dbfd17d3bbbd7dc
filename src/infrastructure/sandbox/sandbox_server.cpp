#include "infrastructure/sandbox/sandbox_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
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
#include <set>

namespace fixit::infrastructure::sandbox {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_body_bytes = 16 * 1024 * 1024;
}  // namespace

struct SandboxServer::Impl {
  asio::any_io_executor executor;
  SandboxApi& api;
  SandboxServerOptions options;
  tcp::acceptor acceptor;
  std::unique_ptr<ssl::context> tls_context;
  std::set<beast::tcp_stream*> connections;
  std::set<asio::steady_timer*> hangs;
  bool stopped = false;
  std::uint16_t port = 0;

  Impl(const asio::any_io_executor& ex, SandboxApi& served, SandboxServerOptions opts)
      : executor(ex), api(served), options(std::move(opts)), acceptor(ex) {
    if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
      tls_context = std::make_unique<ssl::context>(ssl::context::tls_server);
      tls_context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                               ssl::context::no_sslv3);
      tls_context->use_certificate_chain_file(options.tls_cert_file);
      tls_context->use_private_key_file(options.tls_key_file, ssl::context::pem);
    }
    const tcp::endpoint endpoint(asio::ip::make_address(options.bind_address), options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
  }

  // Keeps a connection known to stop() while it is served.
  struct Registration {
    Impl& impl;
    beast::tcp_stream* stream;
    Registration(Impl& owner, beast::tcp_stream* s) : impl(owner), stream(s) {
      impl.connections.insert(stream);
    }
    ~Registration() { impl.connections.erase(stream); }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
  };

  template <typename Stream>
  static asio::awaitable<void> serve(std::shared_ptr<Impl> self, Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(max_body_bytes);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
      auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (read_ec) {
        co_return;
      }
      auto request = parser.release();
      SandboxRequest incoming{std::string(request.method_string()), std::string(request.target()),
                              std::string(request[http::field::authorization]),
                              std::move(request.body())};
      auto answer = self->api.handle(incoming);
      spdlog::debug("sandbox request method={} path={} status={}", incoming.method,
                    incoming.target.substr(0, incoming.target.find('?')), answer.status);

      if (answer.hang) {
        asio::steady_timer timer(self->executor, *answer.hang);
        self->hangs.insert(&timer);
        struct Unhang {
          Impl& impl;
          asio::steady_timer* timer;
          ~Unhang() { impl.hangs.erase(timer); }
        } unhang{*self, &timer};
        co_await timer.async_wait(use_tuple);
        if (self->stopped) {
          co_return;
        }
      }

      http::response<http::string_body> response{static_cast<http::status>(answer.status),
                                                 request.version()};
      response.set(http::field::server, "fixit-sandbox");
      response.set(http::field::content_type, answer.content_type);
      response.keep_alive(request.keep_alive());
      response.body() = std::move(answer.body);
      response.prepare_payload();
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
      auto [write_ec, written] = co_await http::async_write(stream, response, use_tuple);
      if (write_ec || !response.keep_alive()) {
        co_return;
      }
    }
  }

  static asio::awaitable<void> plain_session(std::shared_ptr<Impl> self, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    const Registration registration(*self, &stream);
    co_await serve(self, stream);
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  static asio::awaitable<void> tls_session(std::shared_ptr<Impl> self, tcp::socket socket) {
    ssl::stream<beast::tcp_stream> stream(std::move(socket), *self->tls_context);
    const Registration registration(*self, &stream.next_layer());
    stream.next_layer().expires_after(std::chrono::seconds(10));
    auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (handshake_ec) {
      spdlog::debug("sandbox tls handshake failed error=\"{}\"", handshake_ec.message());
      co_return;
    }
    co_await serve(self, stream);
    if (!self->stopped) {
      stream.next_layer().expires_after(std::chrono::seconds(2));
      co_await stream.async_shutdown(use_tuple);
    }
  }

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      auto [ec, socket] = co_await self->acceptor.async_accept(use_tuple);
      if (self->stopped || ec == asio::error::operation_aborted) {
        co_return;
      }
      if (ec) {
        spdlog::warn("sandbox accept failed error=\"{}\"", ec.message());
        continue;
      }
      auto session = self->tls_context ? tls_session(self, std::move(socket))
                                       : plain_session(self, std::move(socket));
      asio::co_spawn(self->executor, std::move(session), [](const std::exception_ptr& failure) {
        if (failure) {
          try {
            std::rethrow_exception(failure);
          } catch (const std::exception& e) {
            spdlog::warn("sandbox connection failed error=\"{}\"", e.what());
          }
        }
      });
    }
  }
};

SandboxServer::SandboxServer(const asio::any_io_executor& executor, SandboxApi& api,
                             SandboxServerOptions options)
    : impl_(std::make_shared<Impl>(executor, api, std::move(options))) {}

SandboxServer::~SandboxServer() {
  stop();
}

void SandboxServer::start() {
  asio::co_spawn(impl_->executor, Impl::accept_loop(impl_), [](const std::exception_ptr& failure) {
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        spdlog::error("sandbox stopped accepting error=\"{}\"", e.what());
      }
    }
  });
}

void SandboxServer::stop() {
  auto& impl = *impl_;
  if (impl.stopped) {
    return;
  }
  impl.stopped = true;
  boost::system::error_code ec;
  impl.acceptor.close(ec);
  for (auto* timer : impl.hangs) {
    timer->cancel();
  }
  for (auto* stream : impl.connections) {
    stream->socket().shutdown(tcp::socket::shutdown_both, ec);
    stream->socket().close(ec);
  }
}

std::uint16_t SandboxServer::port() const {
  return impl_->port;
}

bool SandboxServer::tls() const {
  return impl_->tls_context != nullptr;
}

std::string SandboxServer::base_url() const {
  return tls() ? "https://localhost:" + std::to_string(port())
               : "http://127.0.0.1:" + std::to_string(port());
}

}  // namespace fixit::infrastructure::sandbox
