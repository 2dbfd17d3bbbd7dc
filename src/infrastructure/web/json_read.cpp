#include "infrastructure/web/json_read.hpp"

#include "infrastructure/web/http_types.hpp"

namespace fixit::infrastructure::web::json {

static_assert(body_padding >= simdjson::SIMDJSON_PADDING,
              "request bodies must keep simdjson's padding");

simdjson::ondemand::parser& thread_parser() {
  thread_local simdjson::ondemand::parser parser;
  return parser;
}

simdjson::ondemand::document iterate(std::string_view body, std::size_t capacity,
                                     simdjson::padded_string& copy) {
  auto& parser = thread_parser();
  if (capacity >= body.size() + simdjson::SIMDJSON_PADDING) {
    return parser.iterate(simdjson::padded_string_view(body.data(), body.size(), capacity));
  }
  copy = simdjson::padded_string(body);
  return parser.iterate(copy);
}

std::string_view scalar(simdjson::ondemand::value value) {
  switch (value.type()) {
    case simdjson::ondemand::json_type::string:
      return value.get_string();
    case simdjson::ondemand::json_type::number:
    case simdjson::ondemand::json_type::boolean:
      return trim(value.raw_json_token());
    default:
      return {};
  }
}

bool truthy(simdjson::ondemand::value value) {
  const auto text = scalar(value);
  return text == "true" || text == "1";
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

bool at_end(simdjson::ondemand::document& document) {
  return document.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

std::string invalid_json_message(const simdjson::simdjson_error& error) {
  return std::string("body is not valid JSON: ") + simdjson::error_message(error.error());
}

}  // namespace fixit::infrastructure::web::json
