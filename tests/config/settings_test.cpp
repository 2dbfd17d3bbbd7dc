#include "infrastructure/config/settings.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "infrastructure/config/cli.hpp"
#include "infrastructure/logging.hpp"

namespace fixit::infrastructure {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Settings, DefaultsServeOnPort8000WithClosedRoutesAndWarnings) {
  const auto settings = Settings::from(Environment::from({}));

  EXPECT_EQ(settings.port, 8000);
  EXPECT_EQ(settings.bind_address, "0.0.0.0");
  EXPECT_EQ(settings.db_synchronous, "NORMAL");
  EXPECT_TRUE(settings.errors.empty());
  EXPECT_THAT(settings.warnings, Contains(HasSubstr("WABA_APP_SECRET is not set")));
}

TEST(Settings, BadNumbersAndLevelsAreReportedAsErrors) {
  const auto settings = Settings::from(
      Environment::from({{"PORT", "eighty"}, {"LOG_LEVEL", "loud"}, {"DB_SYNCHRONOUS", "off"}}));

  EXPECT_EQ(settings.errors.size(), 3U);
  EXPECT_THAT(settings.errors, Contains(HasSubstr("PORT must be a whole number")));
}

TEST(Settings, DescriptionNeverShowsASecretsValue) {
  const auto settings = Settings::from(Environment::from({{"WABA_APP_SECRET", "s3cr3t-value"},
                                                          {"OKDESK_PASS", "hunter2"},
                                                          {"OKDESK_USER", "okdesk"}}));
  for (const auto& line : settings.describe()) {
    EXPECT_THAT(line, Not(HasSubstr("s3cr3t-value")));
    EXPECT_THAT(line, Not(HasSubstr("hunter2")));
  }
  EXPECT_THAT(settings.describe(), Contains("WABA_APP_SECRET: set"));
}

TEST(Environment, ProcessEnvironmentWinsOverTheEnvFile) {
  const auto file =
      std::filesystem::temp_directory_path() / ("fixit-env-" + std::to_string(::getpid()) + ".env");
  std::ofstream(file) << "FIXIT_TEST_BOTH=from-file\nFIXIT_TEST_FILE_ONLY=from-file\n";
  ::setenv("FIXIT_TEST_BOTH", "from-environment", 1);

  const auto environment = Environment::load(file);
  ::unsetenv("FIXIT_TEST_BOTH");
  std::filesystem::remove(file);

  EXPECT_EQ(environment.get("FIXIT_TEST_BOTH"), "from-environment");
  EXPECT_EQ(environment.get("FIXIT_TEST_FILE_ONLY"), "from-file");
}

TEST(Settings, ATicketLinkMayBeAPathOnTheOkdeskUrl) {
  const auto settings = Settings::from(Environment::from(
      {{"OKDESK_URL", "https://fixit.okdesk.ru"}, {"OKDESK_TICKET_LINK", "/portal/issues/{id}"}}));

  EXPECT_TRUE(settings.errors.empty());
}

TEST(Settings, ATicketLinkWithoutTheIdPlaceholderIsAnError) {
  const auto settings =
      Settings::from(Environment::from({{"OKDESK_TICKET_LINK", "https://fixit.ru/issues/"}}));

  ASSERT_EQ(settings.errors.size(), 1U);
  EXPECT_THAT(settings.errors[0], HasSubstr("OKDESK_TICKET_LINK"));
  EXPECT_THAT(settings.errors[0], HasSubstr("{id}"));
}

TEST(Settings, AnAbsoluteTicketLinkThatIsNotHttpIsAnError) {
  const auto settings =
      Settings::from(Environment::from({{"OKDESK_TICKET_LINK", "ftp://fixit.ru/issues/{id}"}}));

  ASSERT_EQ(settings.errors.size(), 1U);
  EXPECT_THAT(settings.errors[0], HasSubstr("OKDESK_TICKET_LINK"));
  EXPECT_THAT(settings.errors[0], HasSubstr("http or https"));
}

TEST(CheckConfig, RejectsATicketLinkThatCannotMakeLinks) {
  const auto settings =
      Settings::from(Environment::from({{"OKDESK_TICKET_LINK", "/portal/issues/"}}));
  std::ostringstream out;

  EXPECT_EQ(check_config(settings, out), 1);
  EXPECT_THAT(out.str(), HasSubstr("error: OKDESK_TICKET_LINK cannot be used"));
}

TEST(EnvFile, ReadsKeyValueLinesCommentsExportAndQuotes) {
  const auto values = parse_env_file(
      "# comment\nPORT=9000\nexport LOG_LEVEL=debug\nWABA_VERIFY_TOKEN=\"a b # c\"\n"
      "OKDESK_USER=user # trailing comment\n\n",
      ".env");

  EXPECT_EQ(values.at("PORT"), "9000");
  EXPECT_EQ(values.at("LOG_LEVEL"), "debug");
  EXPECT_EQ(values.at("WABA_VERIFY_TOKEN"), "a b # c");
  EXPECT_EQ(values.at("OKDESK_USER"), "user");
}

TEST(EnvFile, MalformedLineIsNamed) {
  try {
    parse_env_file("PORT=1\nnot a setting\n", ".env");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr(".env:2"));
  }
}

TEST(Logging, MasksTheMiddleOfAPhoneNumber) {
  EXPECT_EQ(mask_phone("79165550123"), "7916***0123");
  EXPECT_EQ(mask_phone("12345"), "*****");
}

TEST(Logging, ShowsOnlyTheTailOfAWhatsAppMessageIdWhichHoldsThePhone) {
  // The id's base64 head decodes to the sender's number (79990000001).
  const std::string id = "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQzQTI3RjJBQkMwRDlFMUY0QjVDNgA=";

  EXPECT_EQ(log_id(id), "wamid.…RDlFMUY0QjVDNgA=");
  EXPECT_EQ(log_id(id + ":delivered"), "wamid.…RDlFMUY0QjVDNgA=:delivered");
  EXPECT_EQ(log_id("wamid.short"), "wamid.short");
  EXPECT_EQ(log_id("okdesk:1042:status:completed"), "okdesk:1042:status:completed");
}

TEST(Logging, RedactsEverySecretOccurrence) {
  EXPECT_EQ(redact("/api?api_token=abc&x=abc", "abc"), "/api?api_token=***&x=***");
  EXPECT_EQ(redact("nothing", ""), "nothing");
}

}  // namespace
}  // namespace fixit::infrastructure
