#include "infrastructure/web/webhook_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

namespace fixit::infrastructure::web {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

// A request body kept as a std::string with body_padding spare bytes after its
// end, so the JSON parser reads it where it lies.
struct PaddedBody {
  using value_type = std::string;

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      body_.clear();
      if (length) {
        if (*length > body_.max_size() - body_padding) {
          ec = http::error::buffer_overflow;
          return;
        }
        body_.reserve(static_cast<std::size_t>(*length) + body_padding);
      }
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      const auto extra = beast::buffer_bytes(buffers);
      const auto size = body_.size();
      if (extra > body_.max_size() - body_padding - size) {
        ec = http::error::buffer_overflow;
        return 0;
      }
      body_.resize(size + extra);
      net::buffer_copy(net::buffer(body_.data() + size, extra), buffers);
      ec = {};
      return extra;
    }

    void finish(beast::error_code& ec) {
      // A chunked body grew without knowing its length: make room now.
      if (body_.capacity() < body_.size() + body_padding) {
        body_.reserve(body_.size() + body_padding);
      }
      ec = {};
    }

   private:
    value_type& body_;
  };
};

using RequestParser = http::request_parser<PaddedBody>;

// What goes back to the client, before it is put in wire form.
struct Answer {
  unsigned version = 11;  // of the request: 10 or 11
  unsigned status = 200;
  std::string_view content_type = "application/json";
  std::string_view request_id;
  std::string_view allow;
  std::string_view www_authenticate;
  std::string_view body;
  bool keep_alive = false;
  bool head = false;  // headers only, describing the body a GET would get
};

// The answer in HTTP/1.x wire form, into `out` (reused, so no allocation once
// it has grown). Every header value is the service's own (constants, a checked
// request id), so nothing needs escaping; writing it by hand spares Beast's
// general serializer, which costs more than anything else in a small answer.
void write_answer(std::string& out, const Answer& answer) {
  out.clear();
  out += answer.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(answer.status);
  out += ' ';
  out += http::obsolete_reason(static_cast<http::status>(answer.status));
  out += "\r\nContent-Type: ";
  out += answer.content_type;
  out += "\r\nX-Request-Id: ";
  out += answer.request_id;
  if (!answer.allow.empty()) {
    out += "\r\nAllow: ";
    out += answer.allow;
  }
  if (!answer.www_authenticate.empty()) {
    out += "\r\nWWW-Authenticate: ";
    out += answer.www_authenticate;
  }
  if (!answer.keep_alive && answer.version == 11) {
    out += "\r\nConnection: close";
  } else if (answer.keep_alive && answer.version == 10) {
    out += "\r\nConnection: keep-alive";
  }
  out += "\r\nContent-Length: ";
  out += std::to_string(answer.body.size());
  out += "\r\n\r\n";
  if (!answer.head) {
    out += answer.body;
  }
}

// A body this large is not kept for the connection's next request.
constexpr std::size_t max_kept_body_capacity = 64 * 1024;

Method method_of(http::verb verb) {
  switch (verb) {
    case http::verb::get:
      return Method::get;
    case http::verb::head:
      return Method::head;
    case http::verb::post:
      return Method::post;
    case http::verb::put:
      return Method::put;
    case http::verb::patch:
      return Method::patch;
    case http::verb::delete_:
      return Method::del;
    case http::verb::options:
      return Method::options;
    default:
      return Method::other;
  }
}

// A client's X-Request-Id is kept when it is short and plain (it ends up in logs).
bool usable_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         id.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
             std::string_view::npos;
}

// "c<connection>-<request>" in hex, written into `buffer`.
std::string_view make_request_id(std::array<char, 40>& buffer, std::uint64_t connection,
                                 std::uint64_t request) {
  char* out = buffer.data();
  *out++ = 'c';
  out = std::to_chars(out, buffer.data() + buffer.size(), connection, 16).ptr;
  *out++ = '-';
  out = std::to_chars(out, buffer.data() + buffer.size(), request, 16).ptr;
  return {buffer.data(), static_cast<std::size_t>(out - buffer.data())};
}

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream;
}

bool is_quiet_close(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::operation_aborted ||
         ec == net::error::broken_pipe || ec == http::error::partial_message;
}

struct Connection {
  explicit Connection(tcp::socket socket, std::uint64_t id) : stream(std::move(socket)), id(id) {}

  beast::tcp_stream stream;
  std::uint64_t id;
  // Whether a request is being read or served. Touched only on the
  // connection's executor.
  bool busy = false;
};

}  // namespace

class WebhookServer::Impl : public std::enable_shared_from_this<WebhookServer::Impl> {
 public:
  Impl(const net::any_io_executor& executor, Settings settings, application::IEventInbox& inbox,
       ReadinessCheck readiness, IoThreads threads)
      : executor_(executor),
        threads_(threads),
        strand_(net::make_strand(executor)),
        settings_(std::move(settings)),
        routes_(settings_, inbox, std::move(readiness)),
        acceptor_(strand_),
        slot_free_(strand_),
        drained_(strand_) {}

  std::uint16_t start() {
    boost::system::error_code ec;
    const auto address = net::ip::make_address(settings_.bind_address, ec);
    if (ec) {
      throw std::invalid_argument("BIND_ADDRESS \"" + settings_.bind_address +
                                  "\" is not an IP address");
    }
    const tcp::endpoint endpoint{address, settings_.port};
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    const auto port = acceptor_.local_endpoint().port();

    spdlog::info("listening address={} port={} max_connections={} max_body_bytes={}",
                 settings_.bind_address, port, settings_.max_connections, settings_.max_body_bytes);
    net::co_spawn(strand_, accept_loop(shared_from_this()), net::detached);
    return port;
  }

  application::Task<void> stop() {
    co_await net::co_spawn(strand_, drain(shared_from_this()), net::use_awaitable);
  }

  [[nodiscard]] std::size_t connections() const { return active_.load(); }

 private:
  net::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    net::steady_timer backoff(strand_);
    for (;;) {
      while (active_.load() >= settings_.max_connections && !stopping_) {
        slot_free_.expires_at(net::steady_timer::time_point::max());
        co_await slot_free_.async_wait(nothrow);
      }
      if (stopping_) {
        break;
      }
      auto [ec, socket] = co_await acceptor_.async_accept(connection_executor(), nothrow);
      if (ec) {
        if (stopping_ || ec == net::error::operation_aborted || !acceptor_.is_open()) {
          break;
        }
        // Out of file descriptors and the like: give the system a moment.
        spdlog::warn("accept failed error=\"{}\"", ec.message());
        backoff.expires_after(std::chrono::milliseconds(50));
        co_await backoff.async_wait(nothrow);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto connection = std::make_shared<Connection>(std::move(socket), ++next_connection_id_);
      {
        const std::lock_guard lock(mutex_);
        open_.emplace(connection->id, connection);
      }
      ++active_;
      net::co_spawn(connection->stream.get_executor(), session(self, connection), net::detached);
    }
    spdlog::info("stopped accepting connections");
  }

  net::awaitable<void> drain(std::shared_ptr<Impl> self) {
    if (!stopping_.exchange(true)) {
      spdlog::info("shutting down open_connections={}", active_.load());
    }
    routes_.set_draining();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    slot_free_.cancel();

    // Idle connections go now; busy ones finish their request first.
    for (const auto& connection : snapshot()) {
      net::post(connection->stream.get_executor(), [connection] {
        if (!connection->busy) {
          connection->stream.cancel();
        }
      });
    }

    drained_.expires_after(settings_.drain_timeout);
    while (active_.load() > 0) {
      auto [ec] = co_await drained_.async_wait(nothrow);
      if (!ec) {
        spdlog::warn("drain timed out, closing connections remaining={}", active_.load());
        for (const auto& connection : snapshot()) {
          net::post(connection->stream.get_executor(), [connection] {
            boost::system::error_code close_error;
            connection->stream.socket().close(close_error);
          });
        }
        break;
      }
    }
    if (active_.load() == 0) {
      spdlog::info("all connections closed");
    }
    (void)self;
  }

  // Where a new connection's coroutine runs: see IoThreads.
  net::any_io_executor connection_executor() const {
    if (threads_ == IoThreads::one) {
      return executor_;
    }
    return net::make_strand(executor_);
  }

  std::vector<std::shared_ptr<Connection>> snapshot() {
    std::vector<std::shared_ptr<Connection>> connections;
    const std::lock_guard lock(mutex_);
    connections.reserve(open_.size());
    for (const auto& [id, connection] : open_) {
      connections.push_back(connection);
    }
    return connections;
  }

  void closed(const std::shared_ptr<Impl>& self, std::uint64_t id) {
    {
      const std::lock_guard lock(mutex_);
      open_.erase(id);
    }
    --active_;
    net::post(strand_, [self] {
      self->slot_free_.cancel();
      if (self->stopping_ && self->active_.load() == 0) {
        self->drained_.cancel();
      }
    });
  }

  net::awaitable<void> session(std::shared_ptr<Impl> self, std::shared_ptr<Connection> connection) {
    try {
      co_await serve(*connection);
    } catch (const std::exception& error) {
      spdlog::error("connection failed connection={} error=\"{}\"", connection->id, error.what());
    }
    boost::system::error_code ignored;
    connection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    connection->stream.socket().close(ignored);
    closed(self, connection->id);
  }

  net::awaitable<void> serve(Connection& connection) {
    auto& stream = connection.stream;
    beast::flat_buffer buffer;  // lives across the keep-alive loop
    std::string spare_body;     // its allocation is reused by the next request
    std::string wire;           // the answer in wire form, reused likewise
    std::uint64_t sequence = 0;

    for (;;) {
      if (buffer.size() == 0) {
        connection.busy = false;
        if (stopping_) {
          co_return;
        }
        stream.expires_after(settings_.idle_timeout);
        auto [ec, bytes] = co_await stream.async_read_some(buffer.prepare(4096), nothrow);
        if (ec) {
          spdlog::debug("connection closed connection={} reason=\"{}\"", connection.id,
                        ec == beast::error::timeout ? "idle timeout" : ec.message());
          co_return;
        }
        buffer.commit(bytes);
      }
      connection.busy = true;
      const auto started = std::chrono::steady_clock::now();
      std::array<char, 40> id_buffer{};
      auto request_id = make_request_id(id_buffer, connection.id, ++sequence);

      spare_body.clear();
      RequestParser parser(std::piecewise_construct, std::make_tuple(std::move(spare_body)));
      parser.header_limit(static_cast<std::uint32_t>(settings_.max_header_bytes));
      parser.body_limit(settings_.max_body_bytes);
      // Parse the body in the same pass as the header when it has arrived with it.
      parser.eager(true);
      stream.expires_after(settings_.read_timeout);

      // Most requests arrive whole in one read: parse them where they lie and
      // start an asynchronous read only for what is still missing.
      beast::error_code header_error = parse_buffered(parser, buffer);
      if (!header_error && !parser.is_header_done()) {
        auto [error, bytes] = co_await http::async_read_header(stream, buffer, parser, nothrow);
        header_error = error;
      }
      if (!header_error && !parser.is_done()) {
        if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
          auto [continue_error, continue_bytes] =
              co_await net::async_write(stream, net::buffer(go_on.data(), go_on.size()), nothrow);
          header_error = continue_error;
        }
      }
      beast::error_code read_error = header_error;
      if (!read_error && !parser.is_done()) {
        auto [body_error, body_bytes] = co_await http::async_read(stream, buffer, parser, nothrow);
        read_error = body_error;
      }
      if (read_error) {
        co_await refuse_unreadable(connection, parser, read_error, request_id, started);
        co_return;
      }

      auto& message = parser.get();
      if (const auto given = message["X-Request-Id"]; usable_request_id(given)) {
        request_id = given;
      }
      HttpRequest request;
      request.method = method_of(message.method());
      request.target = message.target();
      request.content_type = message[http::field::content_type];
      request.authorization = message[http::field::authorization];
      request.hub_signature = message["X-Hub-Signature-256"];
      request.request_id = request_id;
      request.body = &message.body();

      HttpResponse reply;
      co_await routes_.handle(request, reply);

      const bool keep_alive = message.keep_alive() && !stopping_;
      Answer answer;
      answer.version = message.version() == 10 ? 10 : 11;
      answer.status = reply.status;
      answer.content_type = reply.content_type;
      answer.request_id = request_id;
      answer.allow = reply.allow;
      answer.www_authenticate = reply.www_authenticate;
      answer.body = reply.body;
      answer.keep_alive = keep_alive;
      answer.head = request.method == Method::head;
      write_answer(wire, answer);

      stream.expires_after(settings_.read_timeout);
      auto [write_error, written] =
          co_await net::async_write(stream, net::buffer(wire.data(), wire.size()), nothrow);
      log_request(message.method_string(), request.target, reply.status, message.body().size(),
                  written, started, reply.events, reply.duplicates, request_id);
      if (write_error) {
        spdlog::debug("answer not delivered connection={} reason=\"{}\" request_id={}",
                      connection.id, write_error.message(), request_id);
        co_return;
      }

      spare_body = std::move(message.body());
      if (spare_body.capacity() > max_kept_body_capacity) {
        spare_body = std::string();
      }
      if (!keep_alive) {
        co_return;
      }
    }
  }

  // Feeds the parser what the buffer holds. need_more is no error here: the
  // asynchronous read that follows waits for the rest.
  static beast::error_code parse_buffered(RequestParser& parser, beast::flat_buffer& buffer) {
    beast::error_code ec;
    while (buffer.size() > 0 && !parser.is_done()) {
      const auto used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more) {
        return {};
      }
      if (ec || used == 0) {
        return ec;
      }
    }
    return ec;
  }

  // The request could not be read whole: answer what can be answered, then close.
  net::awaitable<void> refuse_unreadable(Connection& connection, RequestParser& parser,
                                         const beast::error_code& error,
                                         std::string_view request_id,
                                         std::chrono::steady_clock::time_point started) const {
    unsigned status = 0;
    std::string message;
    if (error == http::error::body_limit) {
      status = 413;
      message = "body exceeds " + std::to_string(settings_.max_body_bytes) + " bytes";
    } else if (error == http::error::header_limit) {
      status = 431;
      message = "headers exceed " + std::to_string(settings_.max_header_bytes) + " bytes";
    } else if (error == beast::error::timeout) {
      spdlog::info("connection timed out reading a request connection={} request_id={}",
                   connection.id, request_id);
      co_return;
    } else if (is_quiet_close(error) || !is_http_parse_error(error)) {
      spdlog::debug("connection closed mid-request connection={} reason=\"{}\"", connection.id,
                    error.message());
      co_return;
    } else {
      status = 400;
      message = "malformed HTTP request: " + error.message();
    }

    const auto body = error_body(message);
    Answer answer;
    answer.version = parser.is_header_done() && parser.get().version() == 10 ? 10 : 11;
    answer.status = status;
    answer.request_id = request_id;
    answer.body = body;
    std::string wire;
    write_answer(wire, answer);
    connection.stream.expires_after(settings_.read_timeout);
    auto [write_error, written] = co_await net::async_write(
        connection.stream, net::buffer(wire.data(), wire.size()), nothrow);
    (void)write_error;
    const auto target =
        parser.is_header_done() ? std::string_view(parser.get().target()) : std::string_view("-");
    const auto method = parser.is_header_done() ? std::string_view(parser.get().method_string())
                                                : std::string_view("-");
    log_request(method, target, status, 0, written, started, 0, 0, request_id);
  }

  static void log_request(std::string_view method, std::string_view target, unsigned status,
                          std::size_t bytes_in, std::size_t bytes_out,
                          std::chrono::steady_clock::time_point started, std::size_t events,
                          std::size_t duplicates, std::string_view request_id) {
    const auto elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
    // The path only: a query may carry a verify token.
    spdlog::info(
        "request method={} path={} status={} bytes_in={} bytes_out={} duration_ms={:.3f} "
        "events={} duplicates={} request_id={}",
        method, path_of(target).substr(0, 200), status, bytes_in, bytes_out, elapsed.count(),
        events, duplicates, request_id);
  }

  net::any_io_executor executor_;
  IoThreads threads_;
  net::strand<net::any_io_executor> strand_;
  Settings settings_;
  WebhookRoutes routes_;
  tcp::acceptor acceptor_;
  net::steady_timer slot_free_;
  net::steady_timer drained_;
  std::atomic<std::size_t> active_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> next_connection_id_{0};
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> open_;
};

WebhookServer::WebhookServer(const boost::asio::any_io_executor& executor, Settings settings,
                             application::IEventInbox& inbox, ReadinessCheck readiness,
                             IoThreads threads)
    : impl_(std::make_shared<Impl>(executor, std::move(settings), inbox, std::move(readiness),
                                   threads)) {}

WebhookServer::~WebhookServer() = default;

std::uint16_t WebhookServer::start() {
  return impl_->start();
}

application::Task<void> WebhookServer::stop() {
  return impl_->stop();
}

std::size_t WebhookServer::connections() const {
  return impl_->connections();
}

}  // namespace fixit::infrastructure::web
