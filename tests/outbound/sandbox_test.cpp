#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "outbound/support.hpp"

namespace fixit::testing {
namespace {

using infrastructure::sandbox::SandboxApi;
using infrastructure::sandbox::SandboxConfig;
using ::testing::HasSubstr;

std::string messages_path() {
  return std::string("/v21.0/") + phone_number_id + "/messages";
}

std::string bearer() {
  return std::string("Bearer ") + waba_token;
}

boost::json::value parse(const std::string& text) {
  return boost::json::parse(text);
}

class SandboxApiTest : public ::testing::Test {
 protected:
  SandboxApi api_{sandbox_config()};
};

TEST_F(SandboxApiTest, AnswersASendLikeTheGraphApiWithIncreasingIds) {
  const std::string body =
      R"({"messaging_product":"whatsapp","to":"79161234567","type":"text","text":{"body":"Привет"}})";
  const auto first = api_.handle({"POST", messages_path(), bearer(), body});
  const auto second = api_.handle({"POST", messages_path(), bearer(), body});

  ASSERT_EQ(first.status, 200u);
  const auto answer = parse(first.body);
  EXPECT_EQ(answer.at("contacts").at(0).at("wa_id").as_string(), "79161234567");
  EXPECT_EQ(answer.at("messages").at(0).at("id").as_string(), "wamid.SANDBOX1");
  EXPECT_EQ(parse(second.body).at("messages").at(0).at("id").as_string(), "wamid.SANDBOX2");
}

TEST_F(SandboxApiTest, RefusesAWrongBearerTokenWithError190) {
  const auto answer = api_.handle({"POST", messages_path(), "Bearer nope", "{}"});
  EXPECT_EQ(answer.status, 401u);
  EXPECT_EQ(parse(answer.body).at("error").at("code").as_int64(), 190);
}

TEST_F(SandboxApiTest, RefusesAnUnknownPhoneNumberId) {
  const auto answer = api_.handle({"POST", "/v21.0/999/messages", bearer(),
                                   R"({"messaging_product":"whatsapp","to":"1","type":"text",)"
                                   R"("text":{"body":"x"}})"});
  EXPECT_EQ(answer.status, 400u);
  EXPECT_EQ(parse(answer.body).at("error").at("code").as_int64(), 100);
}

TEST_F(SandboxApiTest, RefusesATextLongerThan4096Characters) {
  std::string text;
  for (int i = 0; i < 4097; ++i) {
    text += "ж";
  }
  const auto answer = api_.handle({"POST", messages_path(), bearer(),
                                   R"({"messaging_product":"whatsapp","to":"79161234567",)"
                                   R"("type":"text","text":{"body":")" +
                                       text + R"("}})"});
  EXPECT_EQ(answer.status, 400u);
  EXPECT_THAT(answer.body, HasSubstr("4096"));
}

TEST_F(SandboxApiTest, ReadsARawPlusInTheQueryAsASpaceLikeTheRealServer) {
  api_.handle({"POST", "/_sandbox/contacts", "",
               R"({"first_name":"Ольга","last_name":"Смирнова","phone":"+79161234567"})"});
  const std::string token = "%2B";
  const auto query =
      std::string("/api/v1/contacts/?api_token=") + "test%2Bokdesk%2Ftoken%3D91" + "&phone=";

  EXPECT_EQ(api_.handle({"GET", query + "+79161234567", "", ""}).status, 404u);
  EXPECT_EQ(api_.handle({"GET", query + token + "79161234567", "", ""}).status, 200u);
}

TEST_F(SandboxApiTest, RefusesAWrongApiToken) {
  const auto answer = api_.handle({"GET", "/api/v1/contacts/?api_token=nope&phone=1", "", ""});
  EXPECT_EQ(answer.status, 401u);
  EXPECT_TRUE(parse(answer.body).at("errors").is_string());
}

TEST_F(SandboxApiTest, ChecksTheContactAndIssueShapes) {
  const std::string token = "?api_token=test%2Bokdesk%2Ftoken%3D91";
  const auto contact = api_.handle(
      {"POST", "/api/v1/contacts/" + token, "", R"({"contact":{"first_name":"Ольга"}})"});
  EXPECT_EQ(contact.status, 422u);
  EXPECT_TRUE(parse(contact.body).at("errors").as_object().contains("last_name"));

  const auto issue = api_.handle(
      {"POST", "/api/v1/issues/" + token, "", R"({"issue":{"title":"","contact_id":42}})"});
  EXPECT_EQ(issue.status, 422u);
  const auto errors = parse(issue.body).at("errors").as_object();
  EXPECT_TRUE(errors.contains("title"));
  EXPECT_TRUE(errors.contains("contact_id"));
}

TEST_F(SandboxApiTest, RecordsEveryRequestWithItsSecretsMasked) {
  api_.handle(
      {"GET", "/api/v1/contacts/?api_token=test%2Bokdesk%2Ftoken%3D91&phone=%2B7916", "", ""});
  api_.handle(
      {"POST", "/_sandbox/fail", "", R"({"endpoint":"okdesk.issues.create","status":500})"});

  const auto requests = api_.requests();
  ASSERT_EQ(requests.size(), 1u);  // control calls are not recorded
  const auto& entry = requests[0];
  EXPECT_EQ(entry.at("method").as_string(), "GET");
  EXPECT_EQ(entry.at("path").as_string(), "/api/v1/contacts/");
  EXPECT_EQ(entry.at("query").at("api_token").as_string(), "***");
  EXPECT_EQ(entry.at("query").at("phone").as_string(), "+7916");
  EXPECT_TRUE(entry.at("body").is_null());
}

TEST_F(SandboxApiTest, ExplainsABadFailureRule) {
  const auto answer = api_.handle({"POST", "/_sandbox/fail", "", R"({"endpoint":"nowhere"})"});
  EXPECT_EQ(answer.status, 400u);
  EXPECT_THAT(answer.body, HasSubstr("okdesk.issues.create"));
  EXPECT_EQ(api_.handle({"POST", "/_sandbox/fail", "", "not json"}).status, 400u);
}

TEST_F(SandboxApiTest, ForgetsEverythingOnReset) {
  api_.handle({"POST", "/_sandbox/contacts", "", R"({"first_name":"A","last_name":"B"})"});
  api_.handle({"GET", "/api/v1/contacts/?api_token=x&phone=1", "", ""});
  api_.handle({"POST", "/_sandbox/reset", "", ""});
  EXPECT_TRUE(api_.contacts().empty());
  EXPECT_TRUE(api_.requests().empty());
}

TEST(SandboxRecordFile, WritesOneJsonLinePerRequest) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("fixit-sandbox-record-" + std::to_string(::getpid()) + ".jsonl");
  std::filesystem::remove(path);
  {
    auto config = sandbox_config();
    config.record_file = path;
    SandboxApi api(config);
    api.handle({"POST", messages_path(), bearer(),
                R"({"messaging_product":"whatsapp","to":"79161234567","type":"text",)"
                R"("text":{"body":"Привет"}})"});
    api.handle({"GET", "/api/v1/issues/1?api_token=secret-value", "", ""});
  }
  std::ifstream in(path);
  std::string line;
  std::vector<boost::json::value> lines;
  while (std::getline(in, line)) {
    lines.push_back(boost::json::parse(line));
  }
  std::filesystem::remove(path);

  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("body").at("text").at("body").as_string(), "Привет");
  EXPECT_EQ(lines[1].at("query").at("api_token").as_string(), "***");
}

class SandboxServerTest : public SandboxTest {};

TEST_F(SandboxServerTest, ListsTheRequestsItReceivedOverHttp) {
  infrastructure::outbound::HttpRequest request;
  request.url = base_url() + "/api/v1/issues/5?api_token=whatever";
  run(io_, http_->send(request));
  request.url = base_url() + "/_sandbox/requests";

  const auto response = run(io_, http_->send(request));

  ASSERT_EQ(response.status, 200u);
  const auto requests = boost::json::parse(response.body).as_array();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("path").as_string(), "/api/v1/issues/5");
  EXPECT_EQ(requests[0].at("status").as_int64(), 401);
}

TEST(SandboxExecutable, ServesOnTheRequestedPortAndStopsOnSigterm) {
  const std::string binary = std::string(FIXIT_BIN_DIR) + "/fixit-sandbox";
  if (!std::filesystem::exists(binary)) {
    GTEST_SKIP() << "fixit-sandbox is not built";
  }
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::setenv("WABA_ACCESS_TOKEN", waba_token, 1);
    ::setenv("OKDESK_API_TOKEN", okdesk_token, 1);
    ::execl(binary.c_str(), binary.c_str(), "--port", "0", "--log-level", "warn", nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  FILE* output = ::fdopen(out[0], "r");
  char line[128] = {};
  const bool announced = std::fgets(line, sizeof line, output) != nullptr;
  unsigned port = 0;
  const bool parsed = announced && std::sscanf(line, "listening on %u", &port) == 1;

  int status = 0;
  if (parsed) {
    boost::asio::io_context io;
    infrastructure::outbound::HttpClient http(io.get_executor(), {});
    infrastructure::outbound::HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port) + "/_sandbox/health";
    const auto response = run(io, http.send(request));
    EXPECT_EQ(response.status, 200u);
  }
  ::kill(child, SIGTERM);
  ::waitpid(child, &status, 0);
  std::fclose(output);

  ASSERT_TRUE(parsed) << "first line: " << line;
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace fixit::testing
