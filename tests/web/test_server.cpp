#include "web/test_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

namespace fixit::test {

TestServer::TestServer(infrastructure::Settings settings,
                       infrastructure::web::ReadinessCheck readiness)
    : server_(std::make_unique<infrastructure::web::WebhookServer>(
          io_.get_executor(), std::move(settings), inbox_, std::move(readiness))) {
  port_ = server_->start();
  thread_ = std::thread([this] {
    auto work = boost::asio::make_work_guard(io_);
    io_.run();
  });
}

TestServer::~TestServer() {
  inbox_.release();
  if (!stopped_) {
    begin_stop().wait();
  }
  io_.stop();
  thread_.join();
}

std::future<void> TestServer::begin_stop() {
  stopped_ = true;
  return boost::asio::co_spawn(io_, server_->stop(), boost::asio::use_future);
}

}  // namespace fixit::test
