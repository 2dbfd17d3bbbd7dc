#pragma once

// What the system tests share: the outside world (an in-process sandbox for
// the WhatsApp and Okdesk APIs, a client that sends signed webhooks over real
// sockets), the service assembled as the composition root assembles it, the
// real binary as a child process, and waiting on conditions with deadlines.

#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infrastructure/config/settings.hpp"
#include "infrastructure/persistence/database.hpp"
#include "infrastructure/pipeline/pipeline.hpp"
#include "infrastructure/sandbox/sandbox_api.hpp"

namespace fixit::system_test {

using namespace std::chrono_literals;

// ---- Plain HTTP over a real socket

struct Reply {
  unsigned status = 0;
  std::string body;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One request to 127.0.0.1:`port` on a fresh connection. Throws when no answer
// came within `guard`.
Reply http(std::uint16_t port, const std::string& method, const std::string& target,
           const std::string& body = {}, const Headers& headers = {},
           std::chrono::milliseconds guard = 15s);

// `sha256=<hex>`: the X-Hub-Signature-256 of `body` under `secret`.
std::string hub_signature(const std::string& secret, const std::string& body);

// A port nobody listens on right now (for the real binary, which cannot be told
// to pick one itself and report it).
std::uint16_t free_port();

// ---- Waiting

// Polls `condition` until it holds; false when `limit` passed first.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 20s);

// ---- Files

std::string read_fixture(const std::string& relative);
boost::json::value fixture_json(const std::string& relative);

class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// ---- Logs

// Replaces the default logger while alive (the in-process service logs to it).
class LogCapture {
 public:
  LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  ~LogCapture();

  // Captured lines that contain every one of `parts`.
  [[nodiscard]] std::vector<std::string> lines_with(
      std::initializer_list<std::string_view> parts) const;
  // Captured lines logged at `level`, as spdlog names it ("error", "warning", "info"...).
  [[nodiscard]] std::vector<std::string> lines_at(std::string_view level) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// ---- The outside world's APIs

inline constexpr const char* waba_token = "system-waba-token-5c1e";
inline constexpr const char* okdesk_token = "system-okdesk+token/77";
inline constexpr const char* phone_number_id = "100000000000001";

// The sandbox served in-process on a loopback port, on its own thread.
class Sandbox {
 public:
  Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  ~Sandbox();

  [[nodiscard]] std::string base_url() const;

  // POST /_sandbox/fail with `rule` (see sandbox_api.hpp).
  void fail(const boost::json::object& rule);

  // Texts and templates the Graph endpoint accepted for `user`, in order.
  [[nodiscard]] std::vector<std::string> texts_to(const std::string& user) const;
  [[nodiscard]] std::vector<boost::json::object> templates_to(const std::string& user) const;
  [[nodiscard]] std::vector<boost::json::object> messages_to(const std::string& user) const;
  // Read receipts sent for an inbound message id.
  [[nodiscard]] std::size_t read_receipts_for(const std::string& message_id) const;
  // Every request received for `endpoint` (e.g. "okdesk.issues.create").
  [[nodiscard]] std::vector<boost::json::object> requests(const std::string& endpoint) const;
  [[nodiscard]] boost::json::array issues() const;
  [[nodiscard]] boost::json::array contacts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- Configuration

// What the service is configured with, as its environment.
struct Config {
  std::map<std::string, std::string> env;

  [[nodiscard]] infrastructure::Settings settings() const;
  [[nodiscard]] const std::string& operator[](const std::string& name) const {
    return env.at(name);
  }
  // KEY=VALUE lines for an env file.
  [[nodiscard]] std::string env_file() const;
};

// Secrets, the sandbox's URLs, a database in `dir`.
Config service_config(const Sandbox& sandbox, const TempDir& dir);

// ---- The service in-process, wired as src/app/main.cpp wires it

class Service {
 public:
  // Builds and starts everything: database, outbound adapters, pipeline,
  // webhook server on a free port. The io_context runs on its own thread.
  explicit Service(
      const Config& config,
      const std::function<void(infrastructure::pipeline::PipelineOptions&)>& tune = {});
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  // Stops what still runs, as SIGTERM does.
  ~Service();

  [[nodiscard]] std::uint16_t port() const;
  infrastructure::persistence::Database& database();
  [[nodiscard]] infrastructure::pipeline::PipelineStats stats() const;

  // The pipeline stops taking work; the webhook server keeps storing events.
  void stop_pipeline();
  // Graceful stop of everything: server, pipeline, outbound connections.
  void stop();

  // Nothing pending in the inbox or the outbox.
  bool idle();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Counts and lookups straight from the database file.
std::size_t count_rows(infrastructure::persistence::Database& database, const std::string& sql);

// ---- The real binary

class ServiceProcess {
 public:
  // Starts FIXIT_BIN_DIR/fixit-exchange with `config` as its env file (an empty
  // process environment otherwise); output goes to `log_file`.
  ServiceProcess(const Config& config, const std::filesystem::path& env_file,
                 const std::filesystem::path& log_file);
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;
  // Kills the process if it still runs.
  ~ServiceProcess();

  void signal(int signal_number);
  // The exit status once it exited within `limit`; -signal when a signal ended it.
  std::optional<int> wait_exit(std::chrono::milliseconds limit);
  [[nodiscard]] std::string log() const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_file_;
};

// ---- What the outside world sends

// Sends what WhatsApp, Okdesk and 1C send, to a service listening on a port.
class World {
 public:
  World(const Config& config, std::uint16_t port) : config_(config), port_(port) {}

  void set_port(std::uint16_t port) { port_ = port; }

  // The WhatsApp notification of one text message (text.json with these values).
  static std::string text_notification(const std::string& from, const std::string& message_id,
                                       const std::string& text);
  // status_failed.json naming `message_id` and `recipient`.
  static std::string failed_receipt(const std::string& message_id, const std::string& recipient);

  // POST /webhook/waba, signed with the app secret.
  Reply post_waba(const std::string& body) const;
  // A client's text message; returns the answer's status.
  unsigned client_writes(const std::string& from, const std::string& message_id,
                         const std::string& text) const;
  // 1C reports the invoice of `issue_id` paid in full.
  unsigned accounting_reports_paid(const std::string& issue_id, const std::string& phone) const;
  // Okdesk reports a status change of `issue_id`.
  unsigned okdesk_changes_status(const std::string& issue_id, const std::string& from_code,
                                 const std::string& to_code, const std::string& to_name,
                                 const std::string& comment_html) const;
  Reply get(const std::string& target) const;

 private:
  const Config& config_;
  std::uint16_t port_;
};

}  // namespace fixit::system_test
