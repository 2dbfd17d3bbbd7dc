#include "infrastructure/config/cli.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fixit::test {
namespace {

using infrastructure::check_config;
using infrastructure::CommandLine;
using infrastructure::parse_command_line;
using ::testing::HasSubstr;
using ::testing::Not;

CommandLine parse(std::vector<const char*> args, const std::filesystem::path& default_env = {}) {
  args.insert(args.begin(), "fixit-exchange");
  return parse_command_line(static_cast<int>(args.size()), args.data(), default_env);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fixit-cli-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(CommandLine, RunsByDefault) {
  const auto command = parse({});

  EXPECT_EQ(command.action, CommandLine::Action::run);
  EXPECT_FALSE(command.env_file);
  EXPECT_TRUE(command.error.empty());
}

TEST(CommandLine, ReadsHelpVersionAndCheckConfig) {
  EXPECT_EQ(parse({"--help"}).action, CommandLine::Action::help);
  EXPECT_EQ(parse({"-h"}).action, CommandLine::Action::help);
  EXPECT_EQ(parse({"--version"}).action, CommandLine::Action::version);
  EXPECT_EQ(parse({"--check-config"}).action, CommandLine::Action::check_config);
}

TEST(CommandLine, ReadsTheEnvFileInBothSpellings) {
  EXPECT_EQ(parse({"--env-file", "/etc/fixit.env"}).env_file, "/etc/fixit.env");
  EXPECT_EQ(parse({"--env-file=/etc/fixit.env", "--check-config"}).env_file, "/etc/fixit.env");
}

TEST(CommandLine, UsesTheDefaultEnvFileOnlyWhenItExists) {
  const TempDir dir;
  const auto env = dir.path() / ".env";

  EXPECT_FALSE(parse({}, env).env_file);
  std::ofstream(env) << "PORT=8001\n";
  EXPECT_EQ(parse({}, env).env_file, env);
  EXPECT_EQ(parse({"--env-file", "other.env"}, env).env_file, "other.env");
}

TEST(CommandLine, ReportsUsageMistakes) {
  EXPECT_THAT(parse({"--bogus"}).error, HasSubstr("--bogus"));
  EXPECT_THAT(parse({"--env-file"}).error, HasSubstr("--env-file"));
  EXPECT_THAT(parse({"--env-file="}).error, HasSubstr("--env-file"));
  EXPECT_FALSE(parse({"--help", "--version"}).error.empty());
}

TEST(CommandLine, UsageAndVersionNameTheProgram) {
  EXPECT_THAT(infrastructure::usage_text("fixit-exchange"), HasSubstr("--check-config"));
  EXPECT_THAT(infrastructure::usage_text("fixit-exchange"), HasSubstr("--env-file PATH"));
  EXPECT_THAT(infrastructure::version_text(), HasSubstr(FIXIT_VERSION));
}

TEST(CheckConfig, PrintsWhatIsSetWithoutSecretValues) {
  const auto settings = infrastructure::Settings::from(infrastructure::Environment::from({
      {"WABA_APP_SECRET", "very-secret-app-value"},
      {"OKDESK_PASS", "very-secret-okdesk-pass"},
      {"OKDESK_USER", "hook"},
      {"PORT", "8080"},
  }));
  std::ostringstream out;

  EXPECT_EQ(check_config(settings, out), 0);
  EXPECT_THAT(out.str(), HasSubstr("PORT=8080"));
  EXPECT_THAT(out.str(), HasSubstr("WABA_APP_SECRET: set"));
  EXPECT_THAT(out.str(), HasSubstr("WABA_VERIFY_TOKEN: not set"));
  EXPECT_THAT(out.str(), HasSubstr("OKDESK_URL=(not set)"));
  EXPECT_THAT(out.str(), HasSubstr("warning: WABA_VERIFY_TOKEN is not set"));
  EXPECT_THAT(out.str(), Not(HasSubstr("very-secret")));
}

TEST(CheckConfig, FailsOnErrors) {
  const auto settings = infrastructure::Settings::from(
      infrastructure::Environment::from({{"PORT", "eighty"}, {"LOG_LEVEL", "loud"}}));
  std::ostringstream out;

  EXPECT_EQ(check_config(settings, out), 1);
  EXPECT_THAT(out.str(), HasSubstr("error: PORT"));
  EXPECT_THAT(out.str(), HasSubstr("error: LOG_LEVEL"));
}

TEST(CheckConfig, ReportsAnEnvFileThatCannotBeReadOrParsed) {
  const TempDir dir;
  CommandLine missing;
  missing.env_file = dir.path() / "missing.env";
  CommandLine broken;
  broken.env_file = dir.path() / "broken.env";
  std::ofstream(*broken.env_file) << "this line has no equals sign\n";
  std::ostringstream out;

  EXPECT_EQ(check_config(missing, out), 1);
  EXPECT_EQ(check_config(broken, out), 1);
  EXPECT_THAT(out.str(), HasSubstr("broken.env:1"));
}

TEST(CheckConfig, ReportsAFlowFileThatCannotBeRead) {
  const TempDir dir;
  CommandLine command;
  command.env_file = dir.path() / "fixit.env";
  std::ofstream(*command.env_file)
      << "FLOW_FILE=" << (dir.path() / "no-such-flow.json").string() << "\n";
  std::ostringstream out;

  EXPECT_EQ(check_config(command, out), 1);
  EXPECT_THAT(out.str(), HasSubstr("error: FLOW_FILE"));
}

}  // namespace
}  // namespace fixit::test
