#pragma once

// Shared by the outbound tests: an in-process sandbox on a loopback port and a
// way to run one coroutine to its end on the same io_context.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "infrastructure/outbound/http_client.hpp"
#include "infrastructure/sandbox/sandbox_api.hpp"
#include "infrastructure/sandbox/sandbox_server.hpp"

namespace fixit::testing {

inline constexpr const char* waba_token = "test-waba-token-7f3a";
inline constexpr const char* okdesk_token = "test+okdesk/token=91";
inline constexpr const char* phone_number_id = "106540352242922";

inline std::string read_fixture(const std::string& relative) {
  std::ifstream in(std::string(FIXIT_FIXTURES_DIR) + "/" + relative, std::ios::binary);
  if (!in) {
    throw std::runtime_error("missing fixture " + relative);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `task` on `io` until it completes; rethrows what it threw.
template <typename T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr failure;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) {
      result = std::move(value);
    }
    done = true;
  });
  if (io.stopped()) {
    io.restart();
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done && std::chrono::steady_clock::now() < give_up) {
    io.run_one_for(std::chrono::seconds(1));
  }
  if (!done) {
    throw std::runtime_error("the coroutine under test never finished");
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
  return std::move(*result);
}

inline void run(boost::asio::io_context& io, boost::asio::awaitable<void> task) {
  std::exception_ptr failure;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  if (io.stopped()) {
    io.restart();
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done && std::chrono::steady_clock::now() < give_up) {
    io.run_one_for(std::chrono::seconds(1));
  }
  if (!done) {
    throw std::runtime_error("the coroutine under test never finished");
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
}

inline infrastructure::sandbox::SandboxConfig sandbox_config() {
  infrastructure::sandbox::SandboxConfig config;
  config.waba_access_token = waba_token;
  config.okdesk_api_token = okdesk_token;
  config.waba_phone_number_id = phone_number_id;
  return config;
}

// A sandbox served on a free loopback port, and an HTTP client to reach it.
class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<infrastructure::sandbox::SandboxServer>(io_.get_executor(), api_,
                                                                       server_options());
    server_->start();
    http_ = std::make_unique<infrastructure::outbound::HttpClient>(io_.get_executor(),
                                                                   client_options());
  }

  void TearDown() override {
    http_->close();
    server_->stop();
    io_.restart();
    io_.run_for(std::chrono::seconds(5));
  }

  virtual infrastructure::sandbox::SandboxServerOptions server_options() { return {}; }

  virtual infrastructure::outbound::HttpClientOptions client_options() {
    infrastructure::outbound::HttpClientOptions options;
    options.connect_timeout = std::chrono::seconds(5);
    options.request_timeout = std::chrono::seconds(10);
    return options;
  }

  // Tells the sandbox something through its control endpoints; returns the answer.
  boost::json::value control(const std::string& method, const std::string& path,
                             const std::string& body = {}) {
    const auto reply = api_.handle({method, path, "", body});
    EXPECT_EQ(reply.status, 200u) << method << " " << path << ": " << reply.body;
    return boost::json::parse(reply.body);
  }

  void fail_next(const std::string& endpoint, const std::string& how, int times = 1) {
    control(
        "POST", "/_sandbox/fail",
        R"({"endpoint":")" + endpoint + R"(","times":)" + std::to_string(times) + "," + how + "}");
  }

  // The requests the sandbox received for one endpoint (e.g. "okdesk.issues.create").
  boost::json::array received(const std::string& endpoint) {
    boost::json::array found;
    for (const auto& entry : api_.requests()) {
      if (entry.at("endpoint").as_string() == endpoint) {
        found.push_back(entry);
      }
    }
    return found;
  }

  std::string base_url() const { return server_->base_url(); }

  boost::asio::io_context io_;
  infrastructure::sandbox::SandboxApi api_{sandbox_config()};
  std::unique_ptr<infrastructure::sandbox::SandboxServer> server_;
  std::unique_ptr<infrastructure::outbound::HttpClient> http_;
};

}  // namespace fixit::testing
