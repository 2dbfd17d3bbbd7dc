#pragma once

// The fixture of the in-process system tests: a sandbox, a database file in a
// temporary folder, the service wired as main() wires it, and the outside
// world posting webhooks to it over real sockets.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <functional>
#include <memory>
#include <string>

#include "infrastructure/persistence/operations.hpp"
#include "system/support.hpp"

namespace fixit::system_test {

using ::testing::HasSubstr;

// A client: her WhatsApp id is her phone number.
inline const std::string olga = "79165550123";
inline const std::string problem =
    "Здравствуйте! После обновления не печатает кассовый аппарат, чеки не выходят.";
inline const std::string client_name = "Ольга Смирнова";
inline const std::string company = "ООО «Ромашка-Трейд»";

class SystemTest : public ::testing::Test {
 protected:
  using Tune = std::function<void(infrastructure::pipeline::PipelineOptions&)>;

  ~SystemTest() override {
    service_.reset();
    if (::testing::Test::HasFailure()) {
      // What the service logged helps to see why; the sandbox's record too.
      for (const auto& line : log_.lines_with({""})) {
        std::cerr << line << "\n";
      }
    }
  }

  void start(Tune tune = {}) {
    service_ = std::make_unique<Service>(config_, tune);
    world_ = std::make_unique<World>(config_, service_->port());
  }

  void restart(Tune tune = {}) {
    service_.reset();
    start(std::move(tune));
  }

  // Waits until `user` received `count` texts (or more).
  bool texts_reach(const std::string& user, std::size_t count) {
    return eventually([&] { return sandbox_.texts_to(user).size() >= count; });
  }

  // Waits until nothing is left to process or send.
  bool settled() {
    return eventually([&] { return service_->idle(); });
  }

  std::vector<infrastructure::persistence::OutboxEntry> failed_actions() {
    return infrastructure::persistence::list_failed_actions(service_->database());
  }

  std::string issue_link(const std::string& id) const {
    return sandbox_.base_url() + "/issues/" + id;
  }

  // Walks `user` through name and company, up to the issue's link.
  void open_issue(const std::string& user, const std::string& id_prefix) {
    ASSERT_EQ(world_->client_writes(user, id_prefix + ".1", problem), 200U);
    ASSERT_TRUE(texts_reach(user, 1));
    ASSERT_EQ(world_->client_writes(user, id_prefix + ".2", client_name), 200U);
    ASSERT_TRUE(texts_reach(user, 2));
    ASSERT_EQ(world_->client_writes(user, id_prefix + ".3", company), 200U);
    ASSERT_TRUE(texts_reach(user, 4));
  }

  LogCapture log_;
  Sandbox sandbox_;
  TempDir dir_;
  Config config_ = service_config(sandbox_, dir_);
  std::unique_ptr<Service> service_;
  std::unique_ptr<World> world_;
};

}  // namespace fixit::system_test
