#include "infrastructure/config/cli.hpp"

#include <exception>
#include <system_error>

#include "infrastructure/config/flow_file.hpp"

namespace fixit::infrastructure {

CommandLine parse_command_line(int argc, const char* const* argv,
                               const std::filesystem::path& default_env_file) {
  CommandLine result;
  bool action_given = false;
  const auto set_action = [&](CommandLine::Action action, std::string_view option) {
    if (action_given && result.action != action) {
      result.error = "option " + std::string(option) + " cannot be combined with another action";
    }
    result.action = action;
    action_given = true;
  };

  for (int i = 1; i < argc && result.error.empty(); ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      set_action(CommandLine::Action::help, arg);
    } else if (arg == "--version" || arg == "-V") {
      set_action(CommandLine::Action::version, arg);
    } else if (arg == "--check-config") {
      set_action(CommandLine::Action::check_config, arg);
    } else if (arg == "--healthcheck") {
      set_action(CommandLine::Action::healthcheck, arg);
    } else if (arg == "--print-flow") {
      set_action(CommandLine::Action::print_flow, arg);
    } else if (arg == "--failed-actions" || arg == "--failed-events") {
      set_action(CommandLine::Action::operator_command, arg);
      result.operator_args = {std::string(arg)};
    } else if (arg == "--requeue-actions" || arg == "--requeue-events") {
      set_action(CommandLine::Action::operator_command, arg);
      if (i + 1 >= argc || std::string_view(argv[i + 1]).empty()) {
        result.error = "option " + std::string(arg) + " needs \"all\" or a list of ids";
      } else {
        result.operator_args = {std::string(arg), std::string(argv[++i])};
      }
    } else if (arg == "--env-file") {
      if (i + 1 >= argc || std::string_view(argv[i + 1]).empty()) {
        result.error = "option --env-file needs a file name";
      } else {
        result.env_file = std::filesystem::path(argv[++i]);
      }
    } else if (arg.starts_with("--env-file=")) {
      const auto path = arg.substr(std::string_view("--env-file=").size());
      if (path.empty()) {
        result.error = "option --env-file needs a file name";
      } else {
        result.env_file = std::filesystem::path(path);
      }
    } else {
      result.error = "unknown argument \"" + std::string(arg) + "\"";
    }
  }

  result.env_file = env_file_or_default(std::move(result.env_file), default_env_file);
  return result;
}

std::string usage_text(std::string_view program) {
  std::string text =
      "usage: " + std::string(program) +
      " [--env-file PATH] [--check-config | --healthcheck | --print-flow |\n"
      "        --failed-actions | --requeue-actions all|ID,... |\n"
      "        --failed-events | --requeue-events all|ID,... | --help | --version]\n";
  text +=
      "\n"
      "Receives WhatsApp, Okdesk and 1C webhooks and runs the client dialog.\n"
      "\n"
      "  --env-file PATH  read variables from PATH (default: ./.env when present);\n"
      "                   variables set in the environment win over the file\n"
      "  --check-config   print the configuration (secrets as set / not set) and\n"
      "                   exit with 1 when it has errors\n"
      "  --healthcheck    GET /healthz of the service running with this configuration;\n"
      "                   exit 0 when it answers 200 within 3 s (container HEALTHCHECK)\n"
      "  --print-flow     print the built-in dialog texts as a flow file (FLOW_FILE)\n"
      "  --failed-actions, --requeue-actions all|ID,...\n"
      "                   list outbound actions that failed for good / queue them again\n"
      "  --failed-events, --requeue-events all|ID,...\n"
      "                   list received events that failed / process them again\n"
      "  -h, --help       show this help\n"
      "  -V, --version    show the version\n"
      "\n"
      "Every variable is listed with a comment in .env.example.\n";
  return text;
}

std::string version_text() {
  return std::string("fixit-exchange ") + FIXIT_VERSION + "\n";
}

int check_config(const Settings& settings, std::ostream& out) {
  for (const auto& line : settings.describe()) {
    out << line << '\n';
  }
  for (const auto& warning : settings.warnings) {
    out << "warning: " << warning << '\n';
  }
  for (const auto& error : settings.errors) {
    out << "error: " << error << '\n';
  }
  out << (settings.errors.empty() ? "configuration is usable\n" : "configuration has errors\n");
  return settings.errors.empty() ? 0 : 1;
}

int check_config(const CommandLine& command_line, std::ostream& out) {
  Settings settings;
  try {
    settings = Settings::from(Environment::load(command_line.env_file));
  } catch (const std::exception& error) {
    out << "error: " << error.what() << '\n' << "configuration has errors\n";
    return 1;
  }
  if (!settings.flow_file.empty()) {
    try {
      (void)load_flow_file(settings.flow_file);
    } catch (const std::exception& error) {
      settings.errors.push_back(std::string("FLOW_FILE: ") + error.what());
    }
  }
  if (command_line.env_file) {
    out << "env file: " << command_line.env_file->string() << '\n';
  }
  return check_config(settings, out);
}

}  // namespace fixit::infrastructure
