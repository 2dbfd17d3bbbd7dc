#pragma once

// An in-memory IEventInbox: keeps what it is given (a key once), and can be
// told to fail or to hold every store until released.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "application/ports.hpp"

namespace fixit::test {

class FakeInbox : public application::IEventInbox {
 public:
  application::Task<application::StoreResult> store(
      std::vector<domain::DomainEvent> events) override {
    const auto executor = co_await boost::asio::this_coro::executor;
    std::shared_ptr<boost::asio::steady_timer> hold;
    {
      const std::lock_guard lock(mutex_);
      ++calls_;
      if (fail_) {
        throw std::runtime_error("database is locked");
      }
      if (block_) {
        hold = std::make_shared<boost::asio::steady_timer>(
            executor, boost::asio::steady_timer::time_point::max());
        held_.push_back(hold);
      }
    }
    changed_.notify_all();
    if (hold) {
      co_await hold->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    application::StoreResult result;
    const std::lock_guard lock(mutex_);
    for (auto& event : events) {
      if (keys_.insert(event.key).second) {
        events_.push_back(std::move(event));
        ++result.accepted;
      } else {
        ++result.duplicates;
      }
    }
    co_return result;
  }

  void fail(bool on) {
    const std::lock_guard lock(mutex_);
    fail_ = on;
  }

  void block() {
    const std::lock_guard lock(mutex_);
    block_ = true;
  }

  // Lets every held store finish, and the next ones pass.
  void release() {
    const std::lock_guard lock(mutex_);
    block_ = false;
    for (const auto& timer : held_) {
      boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    }
    held_.clear();
  }

  // Waits until `count` stores are held; false after the guard time.
  bool wait_for_held(std::size_t count,
                     std::chrono::milliseconds guard = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, guard, [&] { return held_.size() >= count; });
  }

  [[nodiscard]] std::vector<domain::DomainEvent> events() const {
    const std::lock_guard lock(mutex_);
    return events_;
  }

  [[nodiscard]] std::size_t calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<domain::DomainEvent> events_;
  std::set<std::string> keys_;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> held_;
  std::size_t calls_ = 0;
  bool fail_ = false;
  bool block_ = false;
};

}  // namespace fixit::test
