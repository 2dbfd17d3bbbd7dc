#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

#include "application/ports.hpp"

namespace fixit::infrastructure::pipeline {

// Wakes a loop that waits for work. notify() may be called from any thread;
// wait_for() only on the signal's executor (a strand or a one-thread context).
// A notification that arrives while nobody waits is kept for the next wait.
class Signal {
 public:
  explicit Signal(const boost::asio::any_io_executor& executor) : timer_(executor) {}

  void notify() {
    boost::asio::post(timer_.get_executor(), [this] {
      pending_ = true;
      timer_.cancel();
    });
  }

  // Returns when notified or after `timeout`, whichever comes first.
  application::Task<void> wait_for(std::chrono::steady_clock::duration timeout) {
    if (!pending_) {
      timer_.expires_after(timeout);
      co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    pending_ = false;
  }

 private:
  boost::asio::steady_timer timer_;
  bool pending_ = false;
};

}  // namespace fixit::infrastructure::pipeline
