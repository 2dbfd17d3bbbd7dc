#include "infrastructure/config/settings.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "infrastructure/outbound/http_client.hpp"
#include "infrastructure/outbound/okdesk_issue_creator.hpp"

extern char** environ;

namespace fixit::infrastructure {

namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

template <typename Number>
void read_number(const Environment& env, const char* name, Number& into, Number min, Number max,
                 std::vector<std::string>& errors) {
  const auto text = env.get(name);
  if (!text || text->empty()) {
    return;
  }
  Number value{};
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size() || value < min || value > max) {
    errors.push_back(std::string(name) + " must be a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", got \"" + *text + "\"");
    return;
  }
  into = value;
}

void read_millis(const Environment& env, const char* name, std::chrono::milliseconds& into,
                 std::vector<std::string>& errors) {
  auto count = into.count();
  read_number<std::int64_t>(env, name, count, 1, 3'600'000, errors);
  into = std::chrono::milliseconds(count);
}

}  // namespace

std::map<std::string, std::string> parse_env_file(const std::string& text,
                                                  const std::string& name) {
  std::map<std::string, std::string> values;
  std::istringstream lines(text);
  std::string line;
  std::size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    auto entry = trim(line);
    if (entry.empty() || entry.front() == '#') {
      continue;
    }
    if (entry.starts_with("export ")) {
      entry = trim(entry.substr(7));
    }
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw std::runtime_error(name + ":" + std::to_string(number) +
                               ": expected KEY=VALUE, got \"" + entry + "\"");
    }
    const auto key = trim(entry.substr(0, eq));
    auto value = trim(entry.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (const auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(value.substr(0, hash));
    }
    values[key] = value;
  }
  return values;
}

std::optional<std::filesystem::path> env_file_or_default(std::optional<std::filesystem::path> given,
                                                         const std::filesystem::path& fallback) {
  std::error_code ec;
  if (!given && !fallback.empty() && std::filesystem::is_regular_file(fallback, ec)) {
    return fallback;
  }
  return given;
}

Environment Environment::load(const std::optional<std::filesystem::path>& env_file) {
  Environment env;
  if (env_file) {
    std::ifstream in(*env_file, std::ios::binary);
    if (!in) {
      throw std::runtime_error(env_file->string() + ": cannot be read");
    }
    std::ostringstream content;
    content << in.rdbuf();
    env.values_ = parse_env_file(content.str(), env_file->string());
  }
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq != std::string_view::npos) {
      env.values_[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
    }
  }
  return env;
}

Environment Environment::from(std::map<std::string, std::string> values) {
  Environment env;
  env.values_ = std::move(values);
  return env;
}

std::optional<std::string> Environment::get(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::string Environment::get_or(const std::string& name, const std::string& fallback) const {
  auto value = get(name);
  return value && !value->empty() ? *value : fallback;
}

Settings Settings::from(const Environment& env) {
  Settings s;
  auto& errors = s.errors;

  s.bind_address = env.get_or("BIND_ADDRESS", s.bind_address);
  read_number<std::uint16_t>(env, "PORT", s.port, 0, 65535, errors);
  read_number<std::size_t>(env, "MAX_BODY_BYTES", s.max_body_bytes, 1024,
                           std::size_t{64} * 1024 * 1024, errors);
  read_number<std::size_t>(env, "MAX_HEADER_BYTES", s.max_header_bytes, 1024, 1024 * 1024, errors);
  read_number<std::size_t>(env, "MAX_CONNECTIONS", s.max_connections, 1, 100000, errors);
  read_millis(env, "READ_TIMEOUT_MS", s.read_timeout, errors);
  read_millis(env, "IDLE_TIMEOUT_MS", s.idle_timeout, errors);
  read_millis(env, "DRAIN_TIMEOUT_MS", s.drain_timeout, errors);
  s.log_level = env.get_or("LOG_LEVEL", s.log_level);
  static constexpr std::array levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (std::find(levels.begin(), levels.end(), s.log_level) == levels.end()) {
    errors.push_back(
        "LOG_LEVEL must be one of trace, debug, info, warn, error, critical, off; "
        "got \"" +
        s.log_level + "\"");
  }

  s.waba_app_secret = env.get_or("WABA_APP_SECRET", "");
  s.waba_verify_token = env.get_or("WABA_VERIFY_TOKEN", "");
  s.okdesk_user = env.get_or("OKDESK_USER", "");
  s.okdesk_pass = env.get_or("OKDESK_PASS", "");
  s.accounting_user = env.get_or("ACCOUNTING_USER", "");
  s.accounting_pass = env.get_or("ACCOUNTING_PASS", "");
  s.accounting_token = env.get_or("ACCOUNTING_TOKEN", "");

  s.waba_api_url = env.get_or("WABA_API_URL", s.waba_api_url);
  while (s.waba_api_url.ends_with('/')) {
    s.waba_api_url.pop_back();
  }
  s.waba_phone_number_id = env.get_or("WABA_PHONE_NUMBER_ID", "");
  s.waba_access_token = env.get_or("WABA_ACCESS_TOKEN", "");
  s.waba_template_name = env.get_or("WABA_TEMPLATE_NAME", "");
  s.waba_template_lang = env.get_or("WABA_TEMPLATE_LANG", s.waba_template_lang);

  s.okdesk_url = env.get_or("OKDESK_URL", "");
  while (s.okdesk_url.ends_with('/')) {
    s.okdesk_url.pop_back();
  }
  s.okdesk_api_token = env.get_or("OKDESK_API_TOKEN", "");
  s.okdesk_ticket_link = env.get_or("OKDESK_TICKET_LINK", "");

  s.ca_file = env.get_or("CA_FILE", "");
  read_millis(env, "CONNECT_TIMEOUT_MS", s.connect_timeout, errors);
  read_millis(env, "REQUEST_TIMEOUT_MS", s.request_timeout, errors);

  s.db_path = env.get_or("DB_PATH", s.db_path.string());
  s.db_synchronous = env.get_or("DB_SYNCHRONOUS", s.db_synchronous);
  std::transform(s.db_synchronous.begin(), s.db_synchronous.end(), s.db_synchronous.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (s.db_synchronous != "NORMAL" && s.db_synchronous != "FULL") {
    errors.push_back("DB_SYNCHRONOUS must be NORMAL or FULL; got \"" + s.db_synchronous + "\"");
  }
  auto max_age = static_cast<std::int64_t>(s.max_reply_age.count());
  read_number<std::int64_t>(env, "MAX_REPLY_AGE_SECONDS", max_age, 0, 30LL * 24 * 3600, errors);
  s.max_reply_age = std::chrono::seconds(max_age);
  read_number<int>(env, "MAX_ATTEMPTS", s.max_attempts, 1, 1000, errors);
  s.flow_file = env.get_or("FLOW_FILE", "");

  // Values the adapters would refuse at start: found here, so --check-config
  // reports them before a deployment does.
  boost::system::error_code address_error;
  boost::asio::ip::make_address(s.bind_address, address_error);
  if (address_error) {
    errors.push_back("BIND_ADDRESS must be an IP address (0.0.0.0, 127.0.0.1, ::); got \"" +
                     s.bind_address + "\"");
  }
  for (const auto& [name, url] :
       {std::pair{"WABA_API_URL", s.waba_api_url}, std::pair{"OKDESK_URL", s.okdesk_url}}) {
    if (url.empty()) {
      continue;
    }
    if (const auto reason = outbound::HttpClient::unusable_url_reason(url)) {
      errors.push_back(std::string(name) + " cannot be used (" + *reason + "): \"" + url + "\"");
    }
  }
  if (const auto reason = outbound::ticket_link_problem(s.okdesk_ticket_link)) {
    errors.push_back("OKDESK_TICKET_LINK cannot be used (" + *reason + "): \"" +
                     s.okdesk_ticket_link + "\"");
  }
  if (!s.ca_file.empty() && !std::filesystem::is_regular_file(s.ca_file)) {
    errors.push_back("CA_FILE names no readable file: \"" + s.ca_file + "\"");
  }

  auto& warnings = s.warnings;
  if (s.waba_app_secret.empty()) {
    warnings.push_back("WABA_APP_SECRET is not set: POST /webhook/waba refuses every request");
  }
  if (s.waba_verify_token.empty()) {
    warnings.push_back("WABA_VERIFY_TOKEN is not set: GET /webhook/waba refuses every request");
  }
  if (s.okdesk_user.empty() || s.okdesk_pass.empty()) {
    warnings.push_back(
        "OKDESK_USER/OKDESK_PASS are not set: /webhook/okdesk refuses every request");
  }
  if (s.accounting_token.empty() && (s.accounting_user.empty() || s.accounting_pass.empty())) {
    warnings.push_back(
        "neither ACCOUNTING_TOKEN nor ACCOUNTING_USER/ACCOUNTING_PASS is set: "
        "/webhook/accounting refuses every request");
  }
  if (s.waba_phone_number_id.empty() || s.waba_access_token.empty()) {
    warnings.push_back(
        "WABA_PHONE_NUMBER_ID/WABA_ACCESS_TOKEN are not set: replies cannot be sent");
  }
  if (s.okdesk_url.empty() || s.okdesk_api_token.empty()) {
    warnings.push_back("OKDESK_URL/OKDESK_API_TOKEN are not set: issues cannot be created");
  }
  return s;
}

std::vector<std::string> Settings::describe() const {
  const auto secret = [](const std::string& value) { return value.empty() ? "not set" : "set"; };
  // "NAME=value" for plain settings, "NAME: set" for secrets; an empty plain
  // setting reads "(not set)", never as if "not set" were its value.
  const auto plain = [](const std::string& value) {
    return value.empty() ? std::string("(not set)") : value;
  };
  return {
      "BIND_ADDRESS=" + bind_address,
      "PORT=" + std::to_string(port),
      "LOG_LEVEL=" + log_level,
      "MAX_BODY_BYTES=" + std::to_string(max_body_bytes),
      "MAX_HEADER_BYTES=" + std::to_string(max_header_bytes),
      "MAX_CONNECTIONS=" + std::to_string(max_connections),
      "READ_TIMEOUT_MS=" + std::to_string(read_timeout.count()),
      "IDLE_TIMEOUT_MS=" + std::to_string(idle_timeout.count()),
      "DRAIN_TIMEOUT_MS=" + std::to_string(drain_timeout.count()),
      std::string("WABA_APP_SECRET: ") + secret(waba_app_secret),
      std::string("WABA_VERIFY_TOKEN: ") + secret(waba_verify_token),
      "OKDESK_USER=" + plain(okdesk_user),
      std::string("OKDESK_PASS: ") + secret(okdesk_pass),
      "ACCOUNTING_USER=" + plain(accounting_user),
      std::string("ACCOUNTING_PASS: ") + secret(accounting_pass),
      std::string("ACCOUNTING_TOKEN: ") + secret(accounting_token),
      "WABA_API_URL=" + waba_api_url,
      "WABA_PHONE_NUMBER_ID=" + plain(waba_phone_number_id),
      std::string("WABA_ACCESS_TOKEN: ") + secret(waba_access_token),
      "WABA_TEMPLATE_NAME=" + plain(waba_template_name),
      "WABA_TEMPLATE_LANG=" + waba_template_lang,
      "OKDESK_URL=" + plain(okdesk_url),
      std::string("OKDESK_API_TOKEN: ") + secret(okdesk_api_token),
      "OKDESK_TICKET_LINK=" + plain(okdesk_ticket_link),
      "CA_FILE=" + (ca_file.empty() ? std::string("system store") : ca_file),
      "CONNECT_TIMEOUT_MS=" + std::to_string(connect_timeout.count()),
      "REQUEST_TIMEOUT_MS=" + std::to_string(request_timeout.count()),
      "DB_PATH=" + db_path.string(),
      "DB_SYNCHRONOUS=" + db_synchronous,
      "MAX_REPLY_AGE_SECONDS=" + std::to_string(max_reply_age.count()),
      "MAX_ATTEMPTS=" + std::to_string(max_attempts),
      "FLOW_FILE=" + (flow_file.empty() ? std::string("built-in") : flow_file.string()),
  };
}

}  // namespace fixit::infrastructure
