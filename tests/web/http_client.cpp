#include "web/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace fixit::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpClient::State {
  net::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  std::chrono::milliseconds guard;

  // Runs one asynchronous operation to completion within the guard time.
  template <typename Start>
  beast::error_code run(Start start) {
    beast::error_code result = net::error::would_block;
    stream.expires_after(guard);
    start([&result](beast::error_code ec, std::size_t) { result = ec; });
    io.restart();
    io.run();
    return result;
  }
};

HttpClient::HttpClient(std::uint16_t port, std::chrono::milliseconds guard)
    : state_(std::make_unique<State>()) {
  state_->guard = guard;
  const tcp::endpoint endpoint{net::ip::make_address("127.0.0.1"), port};
  beast::error_code result = net::error::would_block;
  state_->stream.expires_after(guard);
  state_->stream.async_connect(endpoint, [&result](beast::error_code ec) { result = ec; });
  state_->io.run();
  if (result) {
    throw std::runtime_error("cannot connect: " + result.message());
  }
}

HttpClient::~HttpClient() = default;

HttpReply HttpClient::request(const std::string& method, const std::string& target,
                              const std::string& body, const Headers& headers) {
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) {
    request.set(name, value);
  }
  request.body() = body;
  request.prepare_payload();
  if (const auto ec =
          state_->run([&](auto handler) { http::async_write(state_->stream, request, handler); })) {
    throw std::runtime_error("cannot send: " + ec.message());
  }
  auto reply = read_reply();
  if (!reply) {
    throw std::runtime_error("server closed the connection without answering");
  }
  return *reply;
}

void HttpClient::send_raw(std::string_view bytes) {
  if (const auto ec = state_->run([&](auto handler) {
        net::async_write(state_->stream, net::buffer(bytes.data(), bytes.size()), handler);
      })) {
    throw std::runtime_error("cannot send: " + ec.message());
  }
}

HttpReply HttpClient::read_head_reply() {
  auto reply = read(true);
  if (!reply) {
    throw std::runtime_error("server closed the connection without answering");
  }
  return *reply;
}

std::optional<HttpReply> HttpClient::read_reply() {
  return read(false);
}

std::optional<HttpReply> HttpClient::read(bool head) {
  http::response_parser<http::string_body> parser;
  parser.skip(head);
  parser.body_limit(64 * 1024 * 1024);
  const auto ec = state_->run(
      [&](auto handler) { http::async_read(state_->stream, state_->buffer, parser, handler); });
  if (ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::connection_reset) {
    return std::nullopt;
  }
  if (ec) {
    throw std::runtime_error("cannot read the answer: " + ec.message());
  }
  auto& response = parser.get();
  HttpReply reply;
  reply.status = response.result_int();
  for (const auto& field : response) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    reply.headers[name] = std::string(field.value());
  }
  reply.body = response.body();
  reply.keep_alive = response.keep_alive();
  return reply;
}

bool HttpClient::wait_until_closed() {
  for (;;) {
    char scratch[4096];
    std::size_t got = 0;
    beast::error_code result = net::error::would_block;
    state_->stream.expires_after(state_->guard);
    state_->stream.async_read_some(net::buffer(scratch), [&](beast::error_code ec, std::size_t n) {
      result = ec;
      got = n;
    });
    state_->io.restart();
    state_->io.run();
    if (result == beast::error::timeout) {
      return false;
    }
    if (result) {
      return true;  // end of stream or reset: the server let go
    }
    (void)got;
  }
}

HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body, const Headers& headers) {
  HttpClient client(port);
  return client.request(method, target, body, headers);
}

}  // namespace fixit::test
