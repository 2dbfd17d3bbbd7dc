#include "infrastructure/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace fixit::infrastructure {

void setup_logging(std::string_view level) {
  auto logger = spdlog::stderr_color_mt("fixit");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
  spdlog::flush_on(spdlog::level::warn);
}

std::string mask_phone(std::string_view phone) {
  if (phone.size() <= 6) {
    std::string hidden;
    hidden.assign(phone.size(), '*');
    return hidden;
  }
  const std::size_t keep_head = phone.size() >= 10 ? 4 : 2;
  const std::size_t keep_tail = phone.size() >= 10 ? 4 : 2;
  std::string masked(phone.substr(0, keep_head));
  masked.append(phone.size() - keep_head - keep_tail, '*');
  masked.append(phone.substr(phone.size() - keep_tail));
  return masked;
}

std::string log_id(std::string_view key) {
  constexpr std::string_view prefix = "wamid.";
  constexpr std::size_t kept = 16;
  if (!key.starts_with(prefix)) {
    return std::string(key);
  }
  auto id = key.substr(prefix.size());
  std::string_view status;
  if (const auto colon = id.rfind(':'); colon != std::string_view::npos) {
    status = id.substr(colon);
    id = id.substr(0, colon);
  }
  if (id.size() <= kept) {
    return std::string(key);
  }
  std::string shown(prefix);
  shown.append("…").append(id.substr(id.size() - kept)).append(status);
  return shown;
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) {
    return text;
  }
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

}  // namespace fixit::infrastructure
