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

// A WhatsApp message id as logs show it. The id is base64 of a record that
// starts with the client's phone number, so only its tail is kept:
// "wamid.HBgLNzk5…QTI3RjJBQkMA" -> "wamid.…QTI3RjJBQkMA"; a receipt key keeps its
// ":status". Other event keys (Okdesk, 1C, follow-ups) are returned as they are.
std::string log_id(std::string_view key);

// `text` with every occurrence of `secret` replaced by "***".
std::string redact(std::string text, std::string_view secret);

}  // namespace fixit::infrastructure
