#include "infrastructure/config/flow_file.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace fixit::infrastructure {

namespace json = boost::json;

namespace {

std::size_t line_at(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(
                 text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// The line where `"key"` first appears after `from`: JSON values carry no
// positions, so a fault in a value is placed at its key.
std::size_t line_of_key(std::string_view text, std::string_view key, std::size_t from = 0) {
  const auto quoted = "\"" + std::string(key) + "\"";
  const auto at = text.find(quoted, from);
  return at == std::string_view::npos ? 1 : line_at(text, at);
}

class Reader {
 public:
  Reader(std::string_view text, std::string name) : text_(text), name_(std::move(name)) {}

  [[noreturn]] void fail(std::string_view key, const std::string& problem) const {
    throw FlowFileError(name_, key.empty() ? 1 : line_of_key(text_, key), problem);
  }

  domain::FlowTexts read(const json::value& root) const {
    auto texts = domain::FlowTexts::defaults();
    if (!root.is_object()) {
      fail({}, "the flow file must hold a JSON object");
    }
    for (const auto& [name, value] : root.as_object()) {
      if (name == "texts") {
        read_strings(name, value, texts.texts, true);
      } else if (name == "status_names") {
        read_strings(name, value, texts.status_names, false);
      } else if (name == "done_statuses") {
        texts.done_statuses = read_list(name, value);
      } else if (name == "acknowledgements") {
        texts.acknowledgements = read_list(name, value);
      } else {
        fail(name, "unknown key \"" + std::string(name) +
                       "\" (expected texts, status_names, done_statuses or acknowledgements)");
      }
    }
    return texts;
  }

 private:
  void read_strings(std::string_view section, const json::value& value,
                    std::map<std::string, std::string>& into, bool known_ids_only) const {
    if (!value.is_object()) {
      fail(section, "\"" + std::string(section) + "\" must be an object of strings");
    }
    for (const auto& [id, text] : value.as_object()) {
      const std::string key(id);
      if (known_ids_only && !into.contains(key)) {
        fail(id, "unknown text id \"" + key + "\" in \"" + std::string(section) + "\"");
      }
      if (!text.is_string()) {
        fail(id, "\"" + key + "\" must be a string");
      }
      into[key] = std::string(text.as_string());
    }
  }

  std::set<std::string> read_list(std::string_view section, const json::value& value) const {
    if (!value.is_array()) {
      fail(section, "\"" + std::string(section) + "\" must be an array of strings");
    }
    std::set<std::string> out;
    for (const auto& item : value.as_array()) {
      if (!item.is_string()) {
        fail(section, "\"" + std::string(section) + "\" must hold only strings");
      }
      out.emplace(item.as_string());
    }
    return out;
  }

  std::string_view text_;
  std::string name_;
};

// One member or element per line, so an operator can edit the printed file.
void write_pretty(std::string& out, const json::value& value, std::size_t depth) {
  const std::string indent(2 * (depth + 1), ' ');
  const std::string closing(2 * depth, ' ');
  if (value.is_object() && !value.as_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [name, member] : value.as_object()) {
      out += first ? "" : ",\n";
      first = false;
      out += indent + json::serialize(json::string(name)) + ": ";
      write_pretty(out, member, depth + 1);
    }
    out += "\n" + closing + "}";
  } else if (value.is_array() && !value.as_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& element : value.as_array()) {
      out += first ? "" : ",\n";
      first = false;
      out += indent;
      write_pretty(out, element, depth + 1);
    }
    out += "\n" + closing + "]";
  } else {
    out += json::serialize(value);
  }
}

}  // namespace

FlowFileError::FlowFileError(const std::string& file, std::size_t line, const std::string& problem)
    : std::runtime_error(line == 0 ? file + ": " + problem
                                   : file + ":" + std::to_string(line) + ": " + problem),
      line_(line) {}

domain::FlowTexts parse_flow_texts(std::string_view json, const std::string& name) {
  json::stream_parser parser;
  json::error_code ec;
  const auto consumed = parser.write_some(json.data(), json.size(), ec);
  if (!ec) {
    parser.finish(ec);
  }
  if (ec) {
    throw FlowFileError(name, line_at(json, consumed), "invalid JSON: " + ec.message());
  }
  return Reader(json, name).read(parser.release());
}

domain::FlowTexts load_flow_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw FlowFileError(path.string(), 0, "cannot be opened");
  }
  std::ostringstream content;
  content << in.rdbuf();
  return parse_flow_texts(content.str(), path.string());
}

std::string default_flow_file() {
  const auto texts = domain::FlowTexts::defaults();
  json::object root;
  json::object messages;
  for (const auto& [id, text] : texts.texts) {
    messages[id] = text;
  }
  json::object statuses;
  for (const auto& [code, words] : texts.status_names) {
    statuses[code] = words;
  }
  json::array done;
  for (const auto& code : texts.done_statuses) {
    done.emplace_back(code);
  }
  root["texts"] = std::move(messages);
  root["status_names"] = std::move(statuses);
  root["done_statuses"] = std::move(done);
  json::array thanks;
  for (const auto& words : texts.acknowledgements) {
    thanks.emplace_back(words);
  }
  root["acknowledgements"] = std::move(thanks);
  std::string out;
  write_pretty(out, root, 0);
  return out;
}

}  // namespace fixit::infrastructure
