#pragma once

// The service's HTTP front door: Boost.Beast on coroutines, one coroutine per
// connection with keep-alive, every request handed to WebhookRoutes.
//
// Limits come from Settings: body size (413 before the rest is read), header
// size (431), a read timeout for each request (a slow client loses its
// connection), an idle timeout between requests, a cap on open connections
// (beyond it new connections wait in the listen backlog).
//
// Lifetime: construct, start(), and co_await stop() before destroying it.

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "application/ports.hpp"
#include "infrastructure/config/settings.hpp"
#include "infrastructure/web/webhook_routes.hpp"

namespace fixit::infrastructure::web {

// How many threads run the io_context behind the executor the server is given.
// With one, a connection's coroutine runs on the executor itself; with several,
// each connection gets a strand, which every completion then passes through
// (measurably slower per request, so say `one` when it is true).
enum class IoThreads { one, several };

class WebhookServer {
 public:
  WebhookServer(const boost::asio::any_io_executor& executor, Settings settings,
                application::IEventInbox& inbox, ReadinessCheck readiness = {},
                IoThreads threads = IoThreads::several);
  ~WebhookServer();
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  // Binds BIND_ADDRESS:PORT and starts accepting. Returns the bound port (PORT
  // 0 picks a free one). Throws std::system_error when the address cannot be
  // bound and std::invalid_argument when it is no IP address.
  std::uint16_t start();

  // Graceful stop, for SIGINT/SIGTERM: stops accepting, closes idle
  // connections, lets each request in flight finish and answers it with
  // `Connection: close`. Completes when no connection is left, or after
  // Settings::drain_timeout, when the remaining connections are closed (a
  // request still waiting for its events to be stored then gets no answer, so
  // its sender retries). May be awaited from any executor; calling it again
  // waits again.
  application::Task<void> stop();

  // Open connections right now.
  [[nodiscard]] std::size_t connections() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixit::infrastructure::web
