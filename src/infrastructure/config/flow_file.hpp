#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "domain/default_flow.hpp"

namespace fixit::infrastructure {

// A flow file that cannot be used; what() names the file, the line and the fault.
class FlowFileError : public std::runtime_error {
 public:
  FlowFileError(const std::string& file, std::size_t line, const std::string& problem);
  [[nodiscard]] std::size_t line() const { return line_; }

 private:
  std::size_t line_;
};

// Reads the flow texts from a JSON file of the form
//   {"texts": {"ask_name": "...", ...}, "status_names": {"in_progress": "..."},
//    "done_statuses": ["completed", "closed"], "acknowledgements": ["спасибо", ...]}
// Every key is optional; what the file leaves out keeps its built-in value. An
// unknown key or text id, a value of the wrong type or broken JSON is an error.
domain::FlowTexts load_flow_file(const std::filesystem::path& path);

// The same, from text already in memory; `name` is used in error messages.
domain::FlowTexts parse_flow_texts(std::string_view json, const std::string& name);

// The built-in texts as a flow file, a starting point for an operator's own.
std::string default_flow_file();

}  // namespace fixit::infrastructure
