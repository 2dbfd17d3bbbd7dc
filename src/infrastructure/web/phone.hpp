#pragma once

#include <string>
#include <string_view>

namespace fixit::infrastructure::web {

// The digits of a phone number as people write it ("+7 916 555-01-23" ->
// "79165550123"), which is how WhatsApp names a user (wa_id).
inline std::string phone_digits(std::string_view written) {
  std::string digits;
  digits.reserve(written.size());
  for (const char c : written) {
    if (c >= '0' && c <= '9') {
      digits += c;
    }
  }
  return digits;
}

}  // namespace fixit::infrastructure::web
