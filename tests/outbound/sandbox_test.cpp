#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

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

// A temporary folder, removed with what it holds.
struct TempFolder {
  std::filesystem::path path;

  TempFolder() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "fixit-sandbox-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }

  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return path / name;
  }
};

// fixit-sandbox as a child process started in `folder` with `args`, seeing only
// the variables in `environment`; stopped with SIGTERM.
class SandboxProcess {
 public:
  SandboxProcess(const std::vector<std::string>& args, const std::vector<std::string>& environment,
                 const std::filesystem::path& folder) {
    const auto binary = std::string(FIXIT_BIN_DIR) + "/fixit-sandbox";
    // outbound_tests depends on the fixit-sandbox target: a missing binary is a broken build.
    EXPECT_TRUE(std::filesystem::exists(binary)) << binary << " is not built";
    std::vector<std::string> argv_text{binary};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(argv_text.size() + 1);
    for (auto& arg : argv_text) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    auto env_text = environment;
    std::vector<char*> envp;
    envp.reserve(env_text.size() + 1);
    for (auto& entry : env_text) {
      envp.push_back(entry.data());
    }
    envp.push_back(nullptr);

    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    child_ = ::fork();
    if (child_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(out[1], STDERR_FILENO);
      ::close(out[0]);
      if (::chdir(folder.c_str()) == 0) {
        ::execve(binary.c_str(), argv.data(), envp.data());
      }
      ::_exit(127);
    }
    ::close(out[1]);
    output_ = ::fdopen(out[0], "r");
    // Everything up to "listening on PORT", or all of it when the sandbox exits.
    char line[512] = {};
    while (std::fgets(line, sizeof line, output_) != nullptr) {
      output_text_ += line;
      if (std::sscanf(line, "listening on %u", &port_) == 1) {
        break;
      }
    }
  }

  SandboxProcess(const SandboxProcess&) = delete;
  SandboxProcess& operator=(const SandboxProcess&) = delete;
  ~SandboxProcess() { stop(); }

  // The port it announced; 0 when it did not start.
  [[nodiscard]] unsigned port() const { return port_; }
  [[nodiscard]] const std::string& output() const { return output_text_; }

  // Stops it (when still running) and returns its wait status.
  int stop() {
    if (child_ > 0) {
      ::kill(child_, SIGTERM);
      ::waitpid(child_, &status_, 0);
      child_ = -1;
      std::fclose(output_);
    }
    return status_;
  }

  // The status of a request to the sandbox: GET `target`, or a POST of `body`.
  unsigned status_of(const std::string& target, const std::string& authorization = {},
                     const std::string& body = {}) const {
    boost::asio::io_context io;
    infrastructure::outbound::HttpClient http(io.get_executor(), {});
    infrastructure::outbound::HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port_) + target;
    if (!authorization.empty()) {
      request.headers.emplace_back("Authorization", authorization);
    }
    if (!body.empty()) {
      request.method = "POST";
      request.content_type = "application/json";
      request.body = body;
    }
    const auto response = run(io, http.send(request));
    http.close();
    return response.status;
  }

  // Whether the Graph endpoint and the Okdesk API accept these tokens.
  bool accepts_waba_token(const std::string& token) const {
    return status_of(messages_path(), "Bearer " + token,
                     R"({"messaging_product":"whatsapp","to":"79161234567","type":"text",)"
                     R"("text":{"body":"Привет"}})") == 200u;
  }
  bool accepts_okdesk_token(const std::string& token) const {
    // An issue that does not exist: 404 with the right token, 401 with a wrong one.
    return status_of("/api/v1/issues/5?api_token=" + token) == 404u;
  }

 private:
  pid_t child_ = -1;
  FILE* output_ = nullptr;
  unsigned port_ = 0;
  int status_ = 0;
  std::string output_text_;
};

const std::vector<std::string> quiet = {"--port", "0", "--log-level", "warn"};

std::vector<std::string> with(std::vector<std::string> args,
                              std::initializer_list<std::string> more) {
  args.insert(args.end(), more);
  return args;
}

TEST(SandboxExecutable, ServesOnTheRequestedPortAndStopsOnSigterm) {
  TempFolder folder;
  SandboxProcess sandbox(quiet,
                         {std::string("WABA_ACCESS_TOKEN=") + waba_token,
                          std::string("OKDESK_API_TOKEN=") + okdesk_token},
                         folder.path);
  ASSERT_NE(sandbox.port(), 0u) << sandbox.output();

  EXPECT_EQ(sandbox.status_of("/_sandbox/health"), 200u);

  const auto status = sandbox.stop();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SandboxExecutable, TakesItsTokensFromTheEnvFileNamedOnTheCommandLine) {
  TempFolder folder;
  const auto env_file = folder.write(
      "sandbox.env", "WABA_ACCESS_TOKEN=file-waba-token\nOKDESK_API_TOKEN=file-okdesk-token\n");
  SandboxProcess sandbox(with(quiet, {"--env-file", env_file.string()}), {}, folder.path);
  ASSERT_NE(sandbox.port(), 0u) << sandbox.output();

  EXPECT_TRUE(sandbox.accepts_waba_token("file-waba-token"));
  EXPECT_TRUE(sandbox.accepts_okdesk_token("file-okdesk-token"));
  EXPECT_FALSE(sandbox.accepts_okdesk_token("another-token"));
}

TEST(SandboxExecutable, ReadsTheEnvFileInItsFolderByDefaultAndTheEnvironmentWins) {
  TempFolder folder;
  folder.write(".env", "WABA_ACCESS_TOKEN=file-waba-token\nOKDESK_API_TOKEN=file-okdesk-token\n");
  SandboxProcess sandbox(quiet, {"OKDESK_API_TOKEN=env-okdesk-token"}, folder.path);
  ASSERT_NE(sandbox.port(), 0u) << sandbox.output();

  EXPECT_TRUE(sandbox.accepts_waba_token("file-waba-token"));
  EXPECT_TRUE(sandbox.accepts_okdesk_token("env-okdesk-token"));
  EXPECT_FALSE(sandbox.accepts_okdesk_token("file-okdesk-token"));
}

TEST(SandboxExecutable, RefusesToStartWhenTheEnvFileCannotBeRead) {
  TempFolder folder;
  const auto missing = (folder.path / "missing.env").string();
  SandboxProcess sandbox(with(quiet, {"--env-file", missing}),
                         {std::string("WABA_ACCESS_TOKEN=") + waba_token,
                          std::string("OKDESK_API_TOKEN=") + okdesk_token},
                         folder.path);

  EXPECT_EQ(sandbox.port(), 0u);
  EXPECT_THAT(sandbox.output(), HasSubstr(missing + ": cannot be read"));
  const auto status = sandbox.stop();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace fixit::testing
