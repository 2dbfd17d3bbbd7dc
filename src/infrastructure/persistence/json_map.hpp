#pragma once

// Flat JSON objects of string values: how payloads, contexts and actions are
// kept in TEXT columns. Written with Boost.JSON, read with simdjson.

#include <map>
#include <string>
#include <string_view>

namespace fixit::infrastructure::persistence {

using TextMap = std::map<std::string, std::string, std::less<>>;

std::string to_json(const TextMap& values);
std::string to_json(const std::map<std::string, std::string>& values);

// Throws std::runtime_error when `json` is not an object of string values.
TextMap text_map_from_json(std::string_view json);

}  // namespace fixit::infrastructure::persistence
