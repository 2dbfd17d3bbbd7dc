// The WhatsApp routes through the real server on a loopback port.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "web/http_client.hpp"
#include "web/test_server.hpp"

namespace fixit::test {
namespace {

using domain::EventType;
using ::testing::HasSubstr;
namespace key = domain::key;

HttpReply post_waba(std::uint16_t port, const std::string& body, const std::string& signature,
                    const std::string& header_name = "X-Hub-Signature-256") {
  return http_request(port, "POST", "/webhook/waba", body,
                      {{"Content-Type", "application/json"}, {header_name, signature}});
}

HttpReply post_fixture(TestServer& server, const std::string& name) {
  const auto body = read_fixture(name);
  return post_waba(server.port(), body, sign(body));
}

TEST(WabaWebhook, StoresTheMessageOfASignedNotificationAndAnswers200) {
  TestServer server;

  const auto reply = post_fixture(server, "waba/text.json");

  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_FALSE(reply.header("x-request-id").empty());
  const auto events = server.inbox().events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::MESSAGE);
  EXPECT_EQ(events[0].user_id, "79990000001");
  EXPECT_EQ(events[0].get(key::text),
            "Здравствуйте! Не работает принтер в 3-м кабинете "
            "🖨️😞");
}

TEST(WabaWebhook, VerifiesTheTestVectorOverTheBytesAsReceived) {
  TestServer server;
  const auto body = read_fixture("waba/text_wire_escaped.json");

  const auto reply =
      post_waba(server.port(), body,
                "sha256=6bacf6583d7ff6c7506086524d33949182dbd024b84a00b7f736c59e23762cbb");

  EXPECT_EQ(reply.status, 200u);
  const auto events = server.inbox().events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].get(key::text), "Ссылка: https://example.com/a/b 🙂");
  EXPECT_EQ(events[0].get(key::profile_name), "Иван Петров");
}

TEST(WabaWebhook, ReadsTheSignatureHeaderInAnyCase) {
  TestServer server;
  const auto body = read_fixture("waba/text_wire_escaped.json");
  auto signature = sign(body);
  for (auto& c : signature) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }

  EXPECT_EQ(post_waba(server.port(), body, signature, "x-hub-signature-256").status, 200u);
}

TEST(WabaWebhook, StoresTheExpectedEventOfEveryFixture) {
  struct Case {
    std::string file;
    EventType type;
    std::string key;
    std::string user_id;
    std::string kind_or_status;
    std::string text;
  };
  const std::vector<Case> cases{
      {"waba/image.json", EventType::MESSAGE,
       "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ0RkFLRUlNQUdFMDAwMDAwMDEAA==", "79990000001", "image",
       "Фото ошибки на экране"},
      {"waba/interactive_button_reply.json", EventType::MESSAGE,
       "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ0RkFLRUJUTlJFUExZMDAwMDAwMDEAA==", "79990000002",
       "interactive", "Да, закрыть"},
      {"waba/unsupported.json", EventType::MESSAGE,
       "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ0RkFLRVVOU1VQUE9SVEVEMDAwMDEAA==", "79990000002",
       "unsupported", ""},
      {"waba/status_delivered.json", EventType::MESSAGE_STATUS,
       "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ0RkFLRU9VVEJPVU5EMDAwMDAwMDEAA==:delivered", "79990000001",
       "delivered", ""},
      {"waba/status_failed.json", EventType::MESSAGE_STATUS,
       "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ0RkFLRU9VVEJPVU5EMDAwMDAwMDQAA==:failed", "79990000002",
       "failed", ""},
  };
  TestServer server;

  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const auto before = server.inbox().events().size();
    ASSERT_EQ(post_fixture(server, c.file).status, 200u);
    const auto events = server.inbox().events();
    ASSERT_EQ(events.size(), before + 1);
    const auto& event = events.back();
    EXPECT_EQ(event.type, c.type);
    EXPECT_EQ(event.key, c.key);
    EXPECT_EQ(event.user_id, c.user_id);
    if (c.type == EventType::MESSAGE) {
      EXPECT_EQ(event.get(key::kind), c.kind_or_status);
      EXPECT_EQ(event.get(key::text), c.text);
    } else {
      EXPECT_EQ(event.get(key::status), c.kind_or_status);
    }
  }
  EXPECT_EQ(server.inbox().events().back().get(key::error_code), "131047");
}

TEST(WabaWebhook, StoresEveryMessageOfABatchInOneCall) {
  TestServer server;

  EXPECT_EQ(post_fixture(server, "waba/batch_two_messages.json").status, 200u);

  const auto events = server.inbox().events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].user_id, "79990000001");
  EXPECT_EQ(events[1].user_id, "79990000002");
  EXPECT_EQ(server.inbox().calls(), 1u);
}

TEST(WabaWebhook, ReadsAThousandMessageBatchOfThreeMegabytesWhole) {
  // Meta's largest: 1,000 updates in one POST, up to 3 MB.
  std::string text;
  while (text.size() < 2900) {
    text += "Касса не печатает чеки после обновления. ";
  }
  std::string messages;
  for (int i = 0; i < 1000; ++i) {
    messages += std::string(i ? "," : "") + R"({"from":"7999)" + std::to_string(1000000 + i) +
                R"(","id":"wamid.batch.)" + std::to_string(i) +
                R"(","timestamp":"1764770000","type":"text","text":{"body":")" + text + "\"}}";
  }
  const auto body =
      R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",)"
      R"("value":{"messaging_product":"whatsapp","messages":[)" +
      messages + "]}}]}]}";
  ASSERT_GT(body.size(), 2'900'000u);
  TestServer server;

  EXPECT_EQ(post_waba(server.port(), body, sign(body)).status, 200u);

  const auto events = server.inbox().events();
  ASSERT_EQ(events.size(), 1000u);
  EXPECT_EQ(events.front().key, "wamid.batch.0");
  EXPECT_EQ(events.back().key, "wamid.batch.999");
  EXPECT_EQ(events.back().get("text"), text);
}

TEST(WabaWebhook, RefusesAWrongMissingOrMalformedSignatureAndStoresNothing) {
  TestServer server;
  const auto body = read_fixture("waba/text.json");

  for (const std::string& signature : {sign(body, "wrong secret"), std::string("sha256=abc"),
                                       std::string("md5=x"), sign(body + " ")}) {
    const auto reply = post_waba(server.port(), body, signature);
    EXPECT_EQ(reply.status, 401u) << signature;
    EXPECT_THAT(reply.body, HasSubstr("\"error\"")) << signature;
  }
  const auto unsigned_reply = http_request(server.port(), "POST", "/webhook/waba", body,
                                           {{"Content-Type", "application/json"}});
  EXPECT_EQ(unsigned_reply.status, 401u);
  EXPECT_THAT(unsigned_reply.body, HasSubstr("X-Hub-Signature-256"));
  EXPECT_EQ(server.inbox().calls(), 0u);
}

TEST(WabaWebhook, AnswersBadRequestToASignedBodyThatIsNotJson) {
  TestServer server;
  const std::string body = "this is not json";

  const auto reply = post_waba(server.port(), body, sign(body));

  EXPECT_EQ(reply.status, 400u);
  EXPECT_THAT(reply.body, HasSubstr("JSON"));
  EXPECT_EQ(server.inbox().calls(), 0u);
}

TEST(WabaWebhook, AcknowledgesASignedBatchWithNothingToStore) {
  TestServer server;
  const std::string body = R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[)"
                           R"({"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}]}]})";

  EXPECT_EQ(post_waba(server.port(), body, sign(body)).status, 200u);
  EXPECT_EQ(server.inbox().calls(), 0u);
}

TEST(WabaWebhook, Answers503WhenTheEventsCannotBeStoredSoMetaRetries) {
  TestServer server;
  server.inbox().fail(true);

  const auto reply = post_fixture(server, "waba/text.json");

  EXPECT_EQ(reply.status, 503u);
  EXPECT_THAT(reply.body, HasSubstr("retry"));
}

TEST(WabaWebhook, AnswersADuplicateDeliveryWith200) {
  TestServer server;

  EXPECT_EQ(post_fixture(server, "waba/text.json").status, 200u);
  EXPECT_EQ(post_fixture(server, "waba/text.json").status, 200u);

  EXPECT_EQ(server.inbox().events().size(), 1u);
  EXPECT_EQ(server.inbox().calls(), 2u);
}

TEST(WabaVerification, EchoesTheChallengeForTheRightToken) {
  TestServer server;

  const auto reply = http_request(server.port(), "GET",
                                  "/webhook/waba?hub.mode=subscribe&hub.challenge=1158201444"
                                  "&hub.verify_token=" +
                                      std::string(verify_token));

  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("content-type"), "text/plain");
  EXPECT_EQ(reply.body, "1158201444");
}

TEST(WabaVerification, EchoesAChallengeThatIsNotANumberAsSent) {
  TestServer server;

  const auto reply = http_request(server.port(), "GET",
                                  "/webhook/waba?hub.verify_token=" + std::string(verify_token) +
                                      "&hub.challenge=abc%2Fdef&hub.mode=subscribe");

  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.body, "abc/def");
}

TEST(WabaVerification, RefusesAWrongTokenModeOrMissingChallenge) {
  TestServer server;
  const std::string token(verify_token);

  for (const std::string& query :
       {std::string("hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong"),
        "hub.mode=subscribe&hub.challenge=1&hub.verify_token=" + token + "x",
        "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=" + token,
        "hub.mode=subscribe&hub.verify_token=" + token, std::string("hub.mode=subscribe"),
        std::string()}) {
    const auto reply = http_request(server.port(), "GET", "/webhook/waba?" + query);
    EXPECT_EQ(reply.status, 403u) << query;
    EXPECT_NE(reply.body, "1") << query;
  }
}

TEST(ClosedRoutes, RefuseEveryRequestWhenTheirSecretIsNotSet) {
  auto settings = test_settings();
  settings.waba_app_secret.clear();
  settings.waba_verify_token.clear();
  settings.okdesk_pass.clear();
  settings.accounting_token.clear();
  settings.accounting_pass.clear();
  TestServer server(settings);
  const auto body = read_fixture("waba/text.json");

  EXPECT_EQ(post_waba(server.port(), body, sign(body, "")).status, 503u);
  EXPECT_EQ(http_request(server.port(), "GET",
                         "/webhook/waba?hub.mode=subscribe&hub.challenge=1&hub.verify_token=")
                .status,
            403u);
  EXPECT_EQ(http_request(server.port(), "POST", "/webhook/okdesk", "{}",
                         {{"Authorization", basic_auth(okdesk_user, "")}})
                .status,
            503u);
  EXPECT_EQ(http_request(server.port(), "POST", "/webhook/accounting", "{}",
                         {{"Authorization", "Bearer "}})
                .status,
            503u);
  EXPECT_EQ(server.inbox().calls(), 0u);
}

}  // namespace
}  // namespace fixit::test
