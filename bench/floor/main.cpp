// fixit-bench-floor: the HTTP floor the webhook service is measured against. A
// bare Beast coroutine server on one thread: it reads each request whole and
// answers 200 with a fixed body without looking at the request. Whatever the
// service does beyond this (signature, parsing, storing, logging) shows as the
// distance between the two under the same load.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

constexpr auto nothrow = net::as_tuple(net::use_awaitable);
constexpr std::size_t body_limit = 4 * 1024 * 1024;

net::awaitable<void> serve(tcp::socket socket) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    auto [read_error, read_bytes] = co_await http::async_read(socket, buffer, parser, nothrow);
    if (read_error) {
      break;
    }
    const auto& request = parser.get();
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "application/json");
    response.body() = R"({"status":"ok"})";
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    auto [write_error, written] = co_await http::async_write(socket, response, nothrow);
    if (write_error || !response.keep_alive()) {
      break;
    }
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(nothrow);
    if (error) {
      if (!acceptor.is_open()) {
        co_return;
      }
      continue;
    }
    socket.set_option(tcp::no_delay(true), error);
    net::co_spawn(acceptor.get_executor(), serve(std::move(socket)), net::detached);
  }
}

int usage() {
  std::fprintf(stderr, "usage: fixit-bench-floor [--port N] [--bind ADDRESS]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned port = 0;
  std::string bind = "127.0.0.1";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    }
    if (i + 1 >= argc) {
      return usage();
    }
    const std::string_view value(argv[++i]);
    if (arg == "--port") {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (ec != std::errc{} || end != value.data() + value.size() || port > 65535) {
        return usage();
      }
    } else if (arg == "--bind") {
      bind = value;
    } else {
      return usage();
    }
  }
  try {
    net::io_context io(1);
    const tcp::endpoint endpoint{net::ip::make_address(bind), static_cast<unsigned short>(port)};
    tcp::acceptor acceptor(io);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      boost::system::error_code ignored;
      acceptor.close(ignored);
      io.stop();
    });
    net::co_spawn(io, accept_loop(acceptor), net::detached);
    std::printf("listening on %u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fixit-bench-floor: %s\n", e.what());
    return 1;
  }
}
