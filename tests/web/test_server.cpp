#include "web/test_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

namespace fixit::test {

TestServer::TestServer(infrastructure::Settings settings,
                       infrastructure::web::ReadinessCheck readiness,
                       infrastructure::web::IoThreads mode, int threads)
    : server_(std::make_unique<infrastructure::web::WebhookServer>(
          io_.get_executor(), std::move(settings), inbox_, std::move(readiness), mode)) {
  port_ = server_->start();
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      auto work = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
}

TestServer::~TestServer() {
  inbox_.release();
  if (!stopped_) {
    begin_stop().wait();
  }
  io_.stop();
  for (auto& thread : threads_) {
    thread.join();
  }
}

std::future<void> TestServer::begin_stop() {
  stopped_ = true;
  return boost::asio::co_spawn(io_, server_->stop(), boost::asio::use_future);
}

}  // namespace fixit::test
