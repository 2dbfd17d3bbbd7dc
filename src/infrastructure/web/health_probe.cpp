#include "infrastructure/web/health_probe.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <string>

namespace fixit::infrastructure::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string probe_host(const std::string& bind_address) {
  if (bind_address.empty() || bind_address == "0.0.0.0") {
    return "127.0.0.1";
  }
  if (bind_address == "::") {
    return "::1";
  }
  return bind_address;
}

asio::awaitable<unsigned> get_healthz(asio::ip::tcp::endpoint endpoint) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(std::chrono::seconds(3));
  co_await stream.async_connect(endpoint, asio::use_awaitable);

  http::request<http::empty_body> request{http::verb::get, "/healthz", 11};
  request.set(http::field::host, endpoint.address().to_string());
  request.set(http::field::connection, "close");
  co_await http::async_write(stream, request, asio::use_awaitable);

  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, asio::use_awaitable);
  co_return response.result_int();
}

}  // namespace

int probe_health(const Settings& settings, std::ostream& out, std::ostream& err) {
  const auto host = probe_host(settings.bind_address);
  const auto url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                   ":" + std::to_string(settings.port) + "/healthz";
  if (!settings.errors.empty()) {
    err << "unhealthy: configuration error: " << settings.errors.front() << "\n";
    return 1;
  }

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    err << "unhealthy: BIND_ADDRESS \"" << host << "\" is not an IP address\n";
    return 1;
  }

  asio::io_context io;
  auto status = asio::co_spawn(io, get_healthz({address, settings.port}), asio::use_future);
  io.run();
  try {
    const auto code = status.get();
    if (code == 200) {
      out << "healthy: 200 from " << url << "\n";
      return 0;
    }
    err << "unhealthy: " << code << " from " << url << "\n";
  } catch (const boost::system::system_error& error) {
    err << "unhealthy: " << url << ": " << error.code().message() << "\n";
  }
  return 1;
}

}  // namespace fixit::infrastructure::web
