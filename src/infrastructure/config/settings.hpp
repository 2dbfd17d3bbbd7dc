#pragma once

// The service's configuration: environment variables, also read from a .env
// file (the environment wins over the file). Read once by the composition root.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fixit::infrastructure {

// Variables by name, as read from the environment and an optional .env file.
class Environment {
 public:
  // The process environment over the .env file at `env_file` (when present).
  static Environment load(const std::optional<std::filesystem::path>& env_file);
  // Only the given values (tests).
  static Environment from(std::map<std::string, std::string> values);

  [[nodiscard]] std::optional<std::string> get(const std::string& name) const;
  [[nodiscard]] std::string get_or(const std::string& name, const std::string& fallback) const;

 private:
  std::map<std::string, std::string> values_;
};

// The env file to read: `given` when there is one, else `fallback` when that file
// exists (./.env for the service and the sandbox), else none.
std::optional<std::filesystem::path> env_file_or_default(std::optional<std::filesystem::path> given,
                                                         const std::filesystem::path& fallback);

// Parses KEY=VALUE lines (comments with #, optional `export `, single or double
// quotes). Throws std::runtime_error naming the line of a malformed entry.
std::map<std::string, std::string> parse_env_file(const std::string& text, const std::string& name);

struct Settings {
  // HTTP server
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8000;
  std::size_t max_body_bytes = std::size_t{4} * 1024 * 1024;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_connections = 1024;
  std::chrono::milliseconds read_timeout{15000};
  std::chrono::milliseconds idle_timeout{60000};
  // On SIGINT/SIGTERM, how long requests in flight may take to finish.
  std::chrono::milliseconds drain_timeout{10000};
  std::string log_level = "info";

  // Inbound secrets; an empty one closes its route.
  std::string waba_app_secret;
  std::string waba_verify_token;
  std::string okdesk_user;
  std::string okdesk_pass;
  std::string accounting_user;
  std::string accounting_pass;
  std::string accounting_token;

  // WhatsApp Cloud API (outbound)
  std::string waba_api_url = "https://graph.facebook.com/v21.0";
  std::string waba_phone_number_id;
  std::string waba_access_token;
  std::string waba_template_name;
  std::string waba_template_lang = "ru";

  // Okdesk (outbound)
  std::string okdesk_url;
  std::string okdesk_api_token;
  // The link clients get, {id} for the issue number: an http(s) URL or a path on
  // OKDESK_URL (e.g. /portal/issues/{id}); default {OKDESK_URL}/issues/{id}.
  std::string okdesk_ticket_link;

  // Outbound HTTP
  std::string ca_file;  // trust only this CA bundle instead of the system store
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{15000};

  // Storage and pipeline
  std::filesystem::path db_path = "./data/fixit-exchange.db";
  std::string db_synchronous = "NORMAL";  // NORMAL or FULL
  std::chrono::seconds max_reply_age{24 * 3600};
  int max_attempts = 12;

  // The dialog texts; empty means the built-in ones.
  std::filesystem::path flow_file;

  // Everything wrong with the values (bad numbers, unknown levels...).
  std::vector<std::string> errors;
  // Warnings worth logging at start (closed routes, missing outbound settings).
  std::vector<std::string> warnings;

  static Settings from(const Environment& env);

  // One line per setting, secrets shown only as "set" or "not set".
  [[nodiscard]] std::vector<std::string> describe() const;
};

}  // namespace fixit::infrastructure
