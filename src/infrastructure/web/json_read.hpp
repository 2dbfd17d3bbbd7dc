#pragma once

// Reading JSON with simdjson's on-demand API: one parser per thread, the body
// parsed in place when it carries the padding, and tolerant scalar access.
// Views returned here point into the parser and live until its next parse.

#include <simdjson.h>

#include <string>
#include <string_view>

namespace fixit::infrastructure::web::json {

// This thread's parser; its buffers grow to the largest body seen and stay.
simdjson::ondemand::parser& thread_parser();

// Starts parsing `body`: in place when its capacity leaves the padding, else
// through a padded copy kept in `copy` (which must outlive the document).
simdjson::ondemand::document iterate(std::string_view body, std::size_t capacity,
                                     simdjson::padded_string& copy);

// The text of a scalar: a string's unescaped value, a number's or boolean's
// token as written, empty for null, objects and arrays (which stay unread).
std::string_view scalar(simdjson::ondemand::value value);

// True for `true`, "true", 1 and "1".
bool truthy(simdjson::ondemand::value value);

std::string_view trim(std::string_view text);

// True when nothing but white space follows what has been read.
bool at_end(simdjson::ondemand::document& document);

// "body is not valid JSON: <simdjson's reason>".
std::string invalid_json_message(const simdjson::simdjson_error& error);

}  // namespace fixit::infrastructure::web::json
