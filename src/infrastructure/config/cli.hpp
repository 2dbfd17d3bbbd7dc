#pragma once

// The command line of fixit-exchange. Parsing only: the composition root acts
// on the result.

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "infrastructure/config/settings.hpp"

namespace fixit::infrastructure {

struct CommandLine {
  enum class Action { run, help, version, check_config, healthcheck, print_flow, operator_command };

  Action action = Action::run;
  // --env-file PATH, else the default file when it exists, else none.
  std::optional<std::filesystem::path> env_file;
  // For Action::operator_command: the command and its value, e.g.
  // {"--requeue-actions", "all"}.
  std::vector<std::string> operator_args;
  // A usage mistake (unknown option, missing value); print it with the usage
  // text and exit with 2.
  std::string error;
};

// Reads argv[1..argc). `default_env_file` (./.env in the service) is used when
// --env-file is not given and the file exists.
CommandLine parse_command_line(int argc, const char* const* argv,
                               const std::filesystem::path& default_env_file = ".env");

std::string usage_text(std::string_view program);
std::string version_text();

// --check-config: every setting (secrets only as set / not set), then the
// warnings and errors. Returns the exit code: 0 when usable, 1 when not.
int check_config(const Settings& settings, std::ostream& out);

// The same, starting from the command line: loads the environment over the
// .env file and the flow file named by FLOW_FILE, reporting a file that
// cannot be read as an error.
int check_config(const CommandLine& command_line, std::ostream& out);

}  // namespace fixit::infrastructure
