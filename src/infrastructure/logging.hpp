#pragma once

// Logging conventions: a short lower-case event phrase, then key=value fields.
// Phone numbers are masked and secrets never logged, at any level.

#include <string>
#include <string_view>

namespace fixit::infrastructure {

// Sets up spdlog's default logger for the service (stderr, level by name).
void setup_logging(std::string_view level);

// "79161234567" -> "7916***4567": enough to tell clients apart, not to call them.
std::string mask_phone(std::string_view phone);

// `text` with every occurrence of `secret` replaced by "***".
std::string redact(std::string text, std::string_view secret);

}  // namespace fixit::infrastructure
