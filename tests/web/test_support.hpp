#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "infrastructure/config/settings.hpp"

namespace fixit::test {

inline constexpr std::string_view app_secret = "test_app_secret_do_not_use";
inline constexpr std::string_view verify_token = "verify-token-for-tests";
inline constexpr std::string_view okdesk_user = "okdesk-hook";
inline constexpr std::string_view okdesk_pass = "okdesk-pass-for-tests";
inline constexpr std::string_view accounting_user = "buh";
inline constexpr std::string_view accounting_pass = "buh-pass-for-tests";
inline constexpr std::string_view accounting_token = "accounting-token-for-tests";

// A fixture's bytes exactly as stored (tests/fixtures/<name>).
std::string read_fixture(const std::string& name);

// `text` in a string whose capacity leaves the JSON parser's padding, as the
// server's bodies do.
std::string padded(std::string_view text);

// "sha256=<hex>" of HMAC-SHA256(secret, body), computed with OpenSSL's one-shot
// HMAC (independent of the code under test).
std::string sign(std::string_view body, std::string_view secret = app_secret);

// "Basic <base64(user:password)>".
std::string basic_auth(std::string_view user, std::string_view password);

// Settings with every secret set, loopback, port 0, short but safe limits.
infrastructure::Settings test_settings();

// Everything the server logs, at every level, while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() {
    spdlog::default_logger()->flush();
    return out_.str();
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

}  // namespace fixit::test
