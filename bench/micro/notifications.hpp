#pragma once

// WhatsApp notifications as Meta sends them (non-ASCII escaped as \uXXXX, "/"
// as "\/"), built for the micro benchmarks.

#include <cstddef>
#include <string>
#include <string_view>

namespace fixit::bench {

// `text` (UTF-8) as a JSON string body the way Meta writes it: ASCII only.
std::string escape_like_meta(std::string_view text);

// One text message from user `user` with message number `n`.
std::string one_message_notification(std::size_t user, std::size_t n);

// `updates` updates in one POST: each entry carries one change with either a
// text message (three of four) or a delivery receipt (one of four).
std::string batch_notification(std::size_t updates);

// A body padded up to at least `size` bytes with messages.
std::string notification_of_size(std::size_t size);

// The body copied into a string whose capacity leaves the parser's padding,
// as the web server hands it over.
std::string with_padding(const std::string& body);

}  // namespace fixit::bench
