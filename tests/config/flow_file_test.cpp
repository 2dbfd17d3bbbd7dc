#include "infrastructure/config/flow_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fixit::infrastructure {
namespace {

using ::testing::HasSubstr;

std::string error_of(std::string_view json) {
  try {
    parse_flow_texts(json, "flow.json");
  } catch (const FlowFileError& error) {
    return error.what();
  }
  return "no error";
}

TEST(FlowFile, OverridesOnlyTheTextsItNames) {
  const auto texts = parse_flow_texts(R"({"texts": {"ask_name": "Ваше имя?"}})", "flow.json");

  EXPECT_EQ(texts.text("ask_name"), "Ваше имя?");
  EXPECT_EQ(texts.text("ask_company"), domain::FlowTexts::defaults().text("ask_company"));
}

TEST(FlowFile, ReadsStatusNamesAndDoneStatuses) {
  const auto texts = parse_flow_texts(
      R"({"status_names": {"waiting_parts": "ждём запчасти"}, "done_statuses": ["closed"]})",
      "flow.json");

  EXPECT_EQ(texts.status_names.at("waiting_parts"), "ждём запчасти");
  EXPECT_EQ(texts.done_statuses, std::set<std::string>{"closed"});
}

TEST(FlowFile, BrokenJsonNamesTheFileAndTheLine) {
  EXPECT_THAT(error_of("{\n  \"texts\": {\n    \"ask_name\": \"x\",,\n  }\n}"),
              HasSubstr("flow.json:3: invalid JSON"));
}

TEST(FlowFile, UnknownTextIdIsRefusedWithItsLine) {
  EXPECT_THAT(error_of("{\n\"texts\": {\n\"ask_nmae\": \"x\"\n}\n}"),
              HasSubstr("flow.json:3: unknown text id \"ask_nmae\""));
}

TEST(FlowFile, TextThatIsNotAStringIsRefused) {
  EXPECT_THAT(error_of(R"({"texts": {"ask_name": 5}})"),
              HasSubstr("\"ask_name\" must be a string"));
}

TEST(FlowFile, UnknownTopLevelKeyIsRefused) {
  EXPECT_THAT(error_of(R"({"txts": {}})"), HasSubstr("unknown key \"txts\""));
}

TEST(FlowFile, MissingFileIsNamed) {
  try {
    load_flow_file("/nonexistent/flow.json");
    FAIL() << "expected an error";
  } catch (const FlowFileError& error) {
    EXPECT_THAT(error.what(), HasSubstr("/nonexistent/flow.json"));
    EXPECT_THAT(error.what(), HasSubstr("cannot be opened"));
  }
}

TEST(FlowFile, TheBuiltInTextsWrittenAsAFileReadBackUnchanged) {
  const auto path = std::filesystem::temp_directory_path() / "fixit-flow-roundtrip.json";
  std::ofstream(path) << default_flow_file();

  const auto texts = load_flow_file(path);
  const auto defaults = domain::FlowTexts::defaults();

  EXPECT_EQ(texts.texts, defaults.texts);
  EXPECT_EQ(texts.status_names, defaults.status_names);
  EXPECT_EQ(texts.done_statuses, defaults.done_statuses);
  EXPECT_EQ(texts.acknowledgements, defaults.acknowledgements);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace fixit::infrastructure
