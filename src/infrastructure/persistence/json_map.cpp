#include "infrastructure/persistence/json_map.hpp"

#include <simdjson.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace fixit::infrastructure::persistence {

namespace {

template <typename Map>
std::string write_object(const Map& values) {
  unsigned char buffer[2048];
  boost::json::monotonic_resource resource(buffer, sizeof buffer);
  boost::json::object object(&resource);
  object.reserve(values.size());
  for (const auto& [name, value] : values) {
    object.emplace(name, value);
  }
  return boost::json::serialize(object);
}

}  // namespace

std::string to_json(const TextMap& values) {
  return write_object(values);
}

std::string to_json(const std::map<std::string, std::string>& values) {
  return write_object(values);
}

TextMap text_map_from_json(std::string_view json) {
  // One parser per thread: it keeps its buffers between documents.
  thread_local simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(json);

  TextMap values;
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
      document.get_object().get(object) != simdjson::SUCCESS) {
    throw std::runtime_error("stored JSON is not an object");
  }
  for (auto field : object) {
    std::string_view name;
    std::string_view value;
    if (field.unescaped_key().get(name) != simdjson::SUCCESS) {
      throw std::runtime_error("stored JSON has a malformed key");
    }
    std::string key(name);
    if (field.value().get_string().get(value) != simdjson::SUCCESS) {
      throw std::runtime_error("stored JSON value of \"" + key + "\" is not a string");
    }
    values.insert_or_assign(std::move(key), std::string(value));
  }
  return values;
}

}  // namespace fixit::infrastructure::persistence
