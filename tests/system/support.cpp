#include "system/support.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <csignal>
#include <ctime>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "domain/default_flow.hpp"
#include "infrastructure/outbound/http_client.hpp"
#include "infrastructure/outbound/okdesk_issue_creator.hpp"
#include "infrastructure/outbound/onec_connector.hpp"
#include "infrastructure/outbound/whatsapp_sender.hpp"
#include "infrastructure/sandbox/sandbox_server.hpp"
#include "infrastructure/web/webhook_server.hpp"

namespace fixit::system_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
namespace infra = fixit::infrastructure;
using asio::ip::tcp;

namespace {

std::string unix_seconds_now() {
  return std::to_string(std::time(nullptr));
}

std::string text_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string{};
}

// Waits for `future` at most `limit`; true when it became ready.
template <typename T>
bool ready_within(std::future<T>& future, std::chrono::milliseconds limit) {
  return future.wait_for(limit) == std::future_status::ready;
}

}  // namespace

// ---- HTTP

Reply http(std::uint16_t port, const std::string& method, const std::string& target,
           const std::string& body, const Headers& headers, std::chrono::milliseconds guard) {
  namespace bhttp = beast::http;
  asio::io_context io;
  beast::tcp_stream stream(io);
  Reply reply;

  auto exchange = [&]() -> asio::awaitable<void> {
    stream.expires_after(guard);
    co_await stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                                  asio::use_awaitable);
    bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
    request.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
    for (const auto& [name, value] : headers) {
      request.set(name, value);
    }
    request.body() = body;
    request.prepare_payload();
    co_await bhttp::async_write(stream, request, asio::use_awaitable);

    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    co_await bhttp::async_read(stream, buffer, response, asio::use_awaitable);
    reply.status = response.result_int();
    reply.body = std::move(response.body());
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  };
  auto done = asio::co_spawn(io, exchange(), asio::use_future);
  io.run();
  done.get();  // rethrows a connection error or the guard's timeout
  return reply;
}

std::string hub_signature(const std::string& secret, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xF];
  }
  return out;
}

std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return acceptor.local_endpoint().port();
}

// ---- Waiting

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// ---- Files

std::string read_fixture(const std::string& relative) {
  std::ifstream in(std::string(FIXIT_FIXTURES_DIR) + "/" + relative, std::ios::binary);
  if (!in) {
    throw std::runtime_error("missing fixture " + relative);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json::value fixture_json(const std::string& relative) {
  return json::parse(read_fixture(relative));
}

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() /
          ("fixit-system-" + std::to_string(random()) + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

// ---- Logs

struct LogCapture::State {
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(8192);
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
};

LogCapture::LogCapture() : state_(std::make_unique<State>()) {
  auto logger = std::make_shared<spdlog::logger>("capture", state_->sink);
  logger->set_pattern("%l %v");
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

LogCapture::~LogCapture() {
  spdlog::set_default_logger(state_->previous);
}

std::vector<std::string> LogCapture::lines_with(
    std::initializer_list<std::string_view> parts) const {
  std::vector<std::string> found;
  for (const auto& line : state_->sink->last_formatted()) {
    bool all = true;
    for (const auto part : parts) {
      all = all && line.find(part) != std::string::npos;
    }
    if (all) {
      found.push_back(line);
    }
  }
  return found;
}

std::vector<std::string> LogCapture::lines_at(std::string_view level) const {
  const auto prefix = std::string(level) + " ";
  std::vector<std::string> found;
  for (const auto& line : state_->sink->last_formatted()) {
    if (line.starts_with(prefix)) {
      found.push_back(line);
    }
  }
  return found;
}

// ---- Sandbox

struct Sandbox::Impl {
  static infra::sandbox::SandboxConfig config() {
    infra::sandbox::SandboxConfig config;
    config.waba_access_token = waba_token;
    config.okdesk_api_token = okdesk_token;
    config.waba_phone_number_id = phone_number_id;
    return config;
  }

  asio::io_context io{1};
  infra::sandbox::SandboxApi api{config()};
  infra::sandbox::SandboxServer server{io.get_executor(), api, {}};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::promise<void> finished;
  std::thread thread;
};

Sandbox::Sandbox() : impl_(std::make_unique<Impl>()) {
  impl_->server.start();
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->io.run();
    impl->finished.set_value();
  });
}

Sandbox::~Sandbox() {
  auto finished = impl_->finished.get_future();
  asio::post(impl_->io, [impl = impl_.get()] { impl->server.stop(); });
  impl_->work.reset();
  if (!ready_within(finished, 10s)) {
    impl_->io.stop();
  }
  impl_->thread.join();
}

std::string Sandbox::base_url() const {
  return impl_->server.base_url();
}

void Sandbox::fail(const json::object& rule) {
  const auto answer = impl_->api.handle({"POST", "/_sandbox/fail", "", json::serialize(rule)});
  if (answer.status != 200) {
    throw std::runtime_error("sandbox refused the rule: " + answer.body);
  }
}

std::vector<json::object> Sandbox::messages_to(const std::string& user) const {
  std::vector<json::object> found;
  for (const auto& message : impl_->api.messages()) {
    if (text_at(message.as_object(), "to") == user) {
      found.push_back(message.as_object());
    }
  }
  return found;
}

std::vector<std::string> Sandbox::texts_to(const std::string& user) const {
  std::vector<std::string> texts;
  for (const auto& message : messages_to(user)) {
    if (text_at(message, "type") == "text") {
      texts.push_back(text_at(message, "text"));
    }
  }
  return texts;
}

std::vector<json::object> Sandbox::templates_to(const std::string& user) const {
  std::vector<json::object> found;
  for (const auto& message : messages_to(user)) {
    if (text_at(message, "type") == "template") {
      found.push_back(message.at("template").as_object());
    }
  }
  return found;
}

std::size_t Sandbox::read_receipts_for(const std::string& message_id) const {
  std::size_t count = 0;
  for (const auto& request : requests("waba.messages")) {
    const auto& body = request.at("body");
    if (body.is_object() && text_at(body.as_object(), "status") == "read" &&
        text_at(body.as_object(), "message_id") == message_id && request.at("status") == 200) {
      ++count;
    }
  }
  return count;
}

std::vector<json::object> Sandbox::requests(const std::string& endpoint) const {
  std::vector<json::object> found;
  for (const auto& request : impl_->api.requests()) {
    if (text_at(request.as_object(), "endpoint") == endpoint) {
      found.push_back(request.as_object());
    }
  }
  return found;
}

json::array Sandbox::issues() const {
  return impl_->api.issues();
}

json::array Sandbox::contacts() const {
  return impl_->api.contacts();
}

// ---- Configuration

infra::Settings Config::settings() const {
  auto settings = infra::Settings::from(infra::Environment::from(env));
  if (!settings.errors.empty()) {
    throw std::runtime_error("bad test configuration: " + settings.errors.front());
  }
  return settings;
}

std::string Config::env_file() const {
  std::string text;
  for (const auto& [name, value] : env) {
    text += name + "=\"" + value + "\"\n";
  }
  return text;
}

Config service_config(const Sandbox& sandbox, const TempDir& dir) {
  Config config;
  config.env = {
      {"BIND_ADDRESS", "127.0.0.1"},
      {"PORT", "0"},
      {"LOG_LEVEL", "info"},
      {"WABA_APP_SECRET", "system-app-secret-3b9d"},
      {"WABA_VERIFY_TOKEN", "system-verify-token"},
      {"WABA_API_URL", sandbox.base_url() + "/v21.0"},
      {"WABA_PHONE_NUMBER_ID", phone_number_id},
      {"WABA_ACCESS_TOKEN", waba_token},
      {"WABA_TEMPLATE_NAME", "reply_to_continue"},
      {"WABA_TEMPLATE_LANG", "ru"},
      {"OKDESK_URL", sandbox.base_url()},
      {"OKDESK_API_TOKEN", okdesk_token},
      {"OKDESK_USER", "okdesk-hook"},
      {"OKDESK_PASS", "okdesk-hook-pass-81"},
      {"ACCOUNTING_TOKEN", "system-accounting-token-0d2f"},
      {"DB_PATH", dir.file("fixit.db")},
      {"CONNECT_TIMEOUT_MS", "2000"},
      // Generous against a loaded machine; tests of hung calls shorten it.
      {"REQUEST_TIMEOUT_MS", "10000"},
      {"DRAIN_TIMEOUT_MS", "5000"},
  };
  return config;
}

// ---- The service in-process

struct Service::Impl {
  explicit Impl(const Config& config)
      : settings(config.settings()),
        database(infra::persistence::Database::open(settings)),
        http(io.get_executor(), infra::outbound::HttpClientOptions::from(settings)),
        whatsapp(http, infra::outbound::WhatsAppConfig::from(settings)),
        okdesk(http, infra::outbound::OkdeskConfig::from(settings)) {}

  infra::Settings settings;
  domain::FlowEngine engine{domain::default_flow_rules(domain::FlowTexts::defaults())};
  asio::io_context io{1};
  std::unique_ptr<infra::persistence::Database> database;
  infra::outbound::HttpClient http;
  infra::outbound::WhatsAppSender whatsapp;
  infra::outbound::OkdeskIssueCreator okdesk;
  infra::outbound::OneCConnector accounting;
  std::unique_ptr<infra::pipeline::Pipeline> pipeline;
  std::unique_ptr<infra::web::WebhookServer> server;
  std::uint16_t port = 0;

  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::promise<void> finished;
  std::thread thread;
  bool running = false;

  // Runs `task` on the service's io_context and waits for it.
  void run(asio::awaitable<void> task) {
    auto done = asio::co_spawn(io, std::move(task), asio::use_future);
    if (!ready_within(done, 60s)) {
      throw std::runtime_error("the service did not finish a stop in time");
    }
    done.get();
  }
};

Service::Service(const Config& config,
                 const std::function<void(infra::pipeline::PipelineOptions&)>& tune)
    : impl_(std::make_unique<Impl>(config)) {
  auto& s = *impl_;
  auto options = infra::pipeline::PipelineOptions::from(s.settings);
  // Short pauses keep the suite fast; the behaviour under test does not change.
  options.retry.base = 20ms;
  options.retry.cap = 200ms;
  options.poll_interval = 100ms;
  if (tune) {
    tune(options);
  }
  s.pipeline = std::make_unique<infra::pipeline::Pipeline>(
      *s.database, s.engine, s.whatsapp, s.okdesk, s.accounting, s.io.get_executor(), options);

  auto readiness = [&s]() -> application::Task<std::optional<std::string>> {
    if (auto problem = co_await s.database->check_ready()) {
      co_return problem;
    }
    if (auto problem = s.whatsapp.problem()) {
      co_return "whatsapp: " + *problem;
    }
    if (auto problem = s.okdesk.problem()) {
      co_return "okdesk: " + *problem;
    }
    co_return std::nullopt;
  };
  s.server = std::make_unique<infra::web::WebhookServer>(s.io.get_executor(), s.settings,
                                                         s.database->inbox(), readiness);

  s.pipeline->start();
  s.port = s.server->start();
  s.work.emplace(s.io.get_executor());
  s.running = true;
  s.thread = std::thread([&s] {
    s.io.run();
    s.finished.set_value();
  });
}

Service::~Service() {
  try {
    stop();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stopping the service failed: " << e.what();
    impl_->io.stop();
    if (impl_->thread.joinable()) {
      impl_->thread.join();
    }
  }
}

std::uint16_t Service::port() const {
  return impl_->port;
}

infra::persistence::Database& Service::database() {
  return *impl_->database;
}

infra::pipeline::PipelineStats Service::stats() const {
  return impl_->pipeline->stats();
}

void Service::stop_pipeline() {
  impl_->run(impl_->pipeline->stop());
}

void Service::stop() {
  auto& s = *impl_;
  if (!s.running) {
    return;
  }
  s.running = false;
  s.run([&s]() -> asio::awaitable<void> {
    co_await s.server->stop();
    co_await s.pipeline->stop();
    s.http.close();
  }());
  auto finished = s.finished.get_future();
  s.work.reset();
  if (!ready_within(finished, 10s)) {
    ADD_FAILURE() << "the service's io_context still had work after the stop";
    s.io.stop();
  }
  s.thread.join();
}

bool Service::idle() {
  return count_rows(database(),
                    "SELECT (SELECT count(*) FROM inbox WHERE state = 'pending') + "
                    "(SELECT count(*) FROM outbox WHERE state IN ('pending', 'running'))") == 0;
}

std::size_t count_rows(infra::persistence::Database& database, const std::string& sql) {
  return database.call([&](infra::persistence::Connection& connection) {
    auto query = connection.query(sql);
    return query.step() ? static_cast<std::size_t>(query.integer(0)) : std::size_t{0};
  });
}

// ---- The real binary

ServiceProcess::ServiceProcess(const Config& config, const std::filesystem::path& env_file,
                               const std::filesystem::path& log_file)
    : log_file_(log_file) {
  {
    std::ofstream out(env_file);
    out << config.env_file();
  }
  const std::string binary = std::string(FIXIT_BIN_DIR) + "/fixit-exchange";
  if (access(binary.c_str(), X_OK) != 0) {
    throw std::runtime_error(binary + " is missing: build the fixit-exchange target");
  }
  const std::string env_path = env_file.string();
  const std::string log_path = log_file.string();
  std::vector<char*> argv{const_cast<char*>(binary.c_str()), const_cast<char*>("--env-file"),
                          const_cast<char*>(env_path.c_str()), nullptr};
  std::vector<char*> envp{nullptr};

  pid_ = fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec.
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

// Not const: it acts on the process this object owns.
void ServiceProcess::signal(int signal_number) {  // NOLINT(readability-make-member-function-const)
  if (pid_ > 0) {
    kill(pid_, signal_number);
  }
}

std::optional<int> ServiceProcess::wait_exit(std::chrono::milliseconds limit) {
  if (pid_ <= 0) {
    return std::nullopt;
  }
  std::optional<int> code;
  eventually(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) != pid_) {
          return false;
        }
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        return true;
      },
      limit);
  if (code) {
    pid_ = -1;
  }
  return code;
}

std::string ServiceProcess::log() const {
  std::ifstream in(log_file_);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- What the outside world sends

std::string World::text_notification(const std::string& from, const std::string& message_id,
                                     const std::string& text) {
  auto notification = fixture_json("waba/text.json");
  auto& value = notification.at("entry").at(0).at("changes").at(0).at("value").as_object();
  value.at("contacts").at(0).as_object()["wa_id"] = from;
  auto& message = value.at("messages").at(0).as_object();
  message["from"] = from;
  message["id"] = message_id;
  message["timestamp"] = unix_seconds_now();
  message["text"].as_object()["body"] = text;
  return json::serialize(notification);
}

std::string World::failed_receipt(const std::string& message_id, const std::string& recipient) {
  auto notification = fixture_json("waba/status_failed.json");
  auto& status = notification.at("entry")
                     .at(0)
                     .at("changes")
                     .at(0)
                     .at("value")
                     .at("statuses")
                     .at(0)
                     .as_object();
  status["id"] = message_id;
  status["recipient_id"] = recipient;
  status["timestamp"] = unix_seconds_now();
  return json::serialize(notification);
}

Reply World::post_waba(const std::string& body) const {
  return http(port_, "POST", "/webhook/waba", body,
              {{"Content-Type", "application/json"},
               {"X-Hub-Signature-256", hub_signature(config_["WABA_APP_SECRET"], body)}});
}

unsigned World::client_writes(const std::string& from, const std::string& message_id,
                              const std::string& text) const {
  return post_waba(text_notification(from, message_id, text)).status;
}

unsigned World::accounting_reports_paid(const std::string& issue_id,
                                        const std::string& phone) const {
  // Edited as text: parsing and writing it again would turn 15000.00 into 1.5E4,
  // which no 1C sends.
  auto notice = read_fixture("onec/payment_paid_bp.json");
  const auto replace = [&notice](const std::string& from, const std::string& to) {
    const auto at = notice.find(from);
    if (at == std::string::npos) {
      throw std::runtime_error("payment fixture lacks " + from);
    }
    notice.replace(at, from.size(), to);
  };
  replace("\"okdesk_issue_id\": 1042", "\"okdesk_issue_id\": " + issue_id);
  replace("\"client_phone\": \"+79165550123\"", "\"client_phone\": \"+" + phone + "\"");
  return http(port_, "POST", "/webhook/accounting", notice,
              {{"Content-Type", "application/json"},
               {"Authorization", "Bearer " + config_["ACCOUNTING_TOKEN"]}})
      .status;
}

unsigned World::okdesk_changes_status(const std::string& issue_id, const std::string& from_code,
                                      const std::string& to_code, const std::string& to_name,
                                      const std::string& comment_html) const {
  auto hook = fixture_json("okdesk/webhook_new_ticket_status.json");
  auto& event = hook.at("event").as_object();
  event["old_status"] = json::object{{"code", from_code}, {"name", from_code}};
  event["new_status"] = json::object{{"code", to_code}, {"name", to_name}};
  auto& comment = event["comment"].as_object();
  comment["id"] = issue_id + "-" + to_code;
  comment["content"] = comment_html;
  auto& issue = hook.at("issue").as_object();
  issue["id"] = issue_id;
  issue["status"] = json::object{{"code", to_code}, {"name", to_name}};

  const std::string credentials = config_["OKDESK_USER"] + ":" + config_["OKDESK_PASS"];
  std::string encoded(4 * ((credentials.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                  reinterpret_cast<const unsigned char*>(credentials.data()),
                  static_cast<int>(credentials.size()));
  return http(port_, "POST", "/webhook/okdesk", json::serialize(hook),
              {{"Content-Type", "application/json"}, {"Authorization", "Basic " + encoded}})
      .status;
}

Reply World::get(const std::string& target) const {
  return http(port_, "GET", target);
}

}  // namespace fixit::system_test
