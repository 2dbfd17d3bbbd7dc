// The Okdesk and 1C routes through the real server on a loopback port.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "web/http_client.hpp"
#include "web/test_server.hpp"

namespace fixit::test {
namespace {

using domain::EventType;
using ::testing::HasSubstr;
namespace key = domain::key;

HttpReply post(std::uint16_t port, const std::string& path, const std::string& body,
               const std::string& authorization,
               const std::string& content_type = "application/json") {
  Headers headers{{"Content-Type", content_type}};
  if (!authorization.empty()) {
    headers.emplace_back("Authorization", authorization);
  }
  return http_request(port, "POST", path, body, headers);
}

TEST(OkdeskWebhook, RefusesARequestWithoutCredentials) {
  TestServer server;

  const auto reply = post(server.port(), "/webhook/okdesk",
                          read_fixture("okdesk/webhook_new_ticket_status.json"), "");

  EXPECT_EQ(reply.status, 401u);
  EXPECT_THAT(reply.header("www-authenticate"), HasSubstr("Basic"));
  EXPECT_EQ(server.inbox().calls(), 0u);
}

TEST(OkdeskWebhook, RefusesWrongCredentials) {
  TestServer server;
  const auto body = read_fixture("okdesk/webhook_new_ticket_status.json");

  EXPECT_EQ(post(server.port(), "/webhook/okdesk", body, basic_auth(okdesk_user, "wrong")).status,
            401u);
  EXPECT_EQ(post(server.port(), "/webhook/okdesk", body, basic_auth("other", okdesk_pass)).status,
            401u);
  EXPECT_EQ(
      post(server.port(), "/webhook/okdesk", body, "Bearer " + std::string(okdesk_pass)).status,
      401u);
  EXPECT_EQ(server.inbox().calls(), 0u);
}

TEST(OkdeskWebhook, StoresAStatusChangeWithTheRightCredentials) {
  TestServer server;

  const auto reply =
      post(server.port(), "/webhook/okdesk", read_fixture("okdesk/webhook_new_ticket_status.json"),
           basic_auth(okdesk_user, okdesk_pass));

  EXPECT_EQ(reply.status, 200u);
  const auto events = server.inbox().events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::ISSUE_UPDATED);
  EXPECT_EQ(events[0].get(key::issue_id), "1042");
  EXPECT_EQ(events[0].get(key::new_status_code), "completed");
  EXPECT_EQ(events[0].get(key::comment),
            "Переустановили драйвер принтера чеков.\nПроверьте, пожалуйста, печать.");
}

TEST(OkdeskWebhook, StoresAPublicEmployeeComment) {
  TestServer server;

  const auto reply = post(server.port(), "/webhook/okdesk",
                          read_fixture("okdesk/webhook_new_comment_employee.json"),
                          basic_auth(okdesk_user, okdesk_pass));

  EXPECT_EQ(reply.status, 200u);
  const auto events = server.inbox().events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, "okdesk:1042:new_comment:88197");
  EXPECT_EQ(events[0].get(key::comment),
            "Ольга, добрый день!\nПодскажите модель кассы и версию прошивки «Атол»?");
}

TEST(OkdeskWebhook, AcknowledgesAndLogsEventsItDoesNotActOn) {
  CapturedLog log;
  TestServer server;
  const auto credentials = basic_auth(okdesk_user, okdesk_pass);

  EXPECT_EQ(post(server.port(), "/webhook/okdesk",
                 R"({"event":{"event_type":"new_assignee"},"issue":{"id":"1"}})", credentials)
                .status,
            200u);
  EXPECT_EQ(post(server.port(), "/webhook/okdesk",
                 R"({"event":{"event_type":"new_comment","comment":{"id":"3","is_public":false,)"
                 R"("content":"internal"}},"issue":{"id":"1"}})",
                 credentials)
                .status,
            200u);
  EXPECT_EQ(server.inbox().calls(), 0u);
  EXPECT_THAT(log.text(), HasSubstr("okdesk event acknowledged without action "
                                    "event_type=new_assignee issue_id=1"));
  EXPECT_THAT(log.text(), HasSubstr("event_type=new_comment issue_id=1"));
}

TEST(OkdeskWebhook, RejectsAnEventWithoutIssueId) {
  TestServer server;

  const auto reply = post(server.port(), "/webhook/okdesk",
                          R"({"event":{"event_type":"new_ticket_status",)"
                          R"("new_status":{"code":"completed"}},"issue":{}})",
                          basic_auth(okdesk_user, okdesk_pass));

  EXPECT_EQ(reply.status, 422u);
  EXPECT_THAT(reply.body, HasSubstr("issue.id"));
}

TEST(OkdeskWebhook, RefusesOkdeskApiAnswersThatAreNoWebhooks) {
  TestServer server;

  for (const std::string file :
       {"okdesk/api_contact_search_response.json", "okdesk/api_create_issue_response.json",
        "okdesk/api_error_422_example.json"}) {
    const auto reply = post(server.port(), "/webhook/okdesk", read_fixture(file),
                            basic_auth(okdesk_user, okdesk_pass));
    EXPECT_EQ(reply.status, 422u) << file;
    EXPECT_THAT(reply.body, HasSubstr("event.event_type")) << file;
  }
  EXPECT_EQ(server.inbox().calls(), 0u);
}

TEST(AccountingWebhook, StoresThePaymentOfTheEnglishContractWithBasicAuth) {
  TestServer server;

  const auto reply =
      post(server.port(), "/webhook/accounting", read_fixture("onec/payment_paid_bp.json"),
           basic_auth(accounting_user, accounting_pass));

  EXPECT_EQ(reply.status, 200u);
  const auto events = server.inbox().events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::PAYMENT_STATUS);
  EXPECT_EQ(events[0].key, "1c:8d41b0c4-01fa-11ef-9a3c-00155d0a1f22:paid");
  EXPECT_EQ(events[0].user_id, "79165550123");
  EXPECT_EQ(events[0].get(key::amount_paid), "15000.00");
  EXPECT_EQ(events[0].get(key::amount_due), "0.00");
}

TEST(AccountingWebhook, AcceptsABearerToken) {
  TestServer server;

  EXPECT_EQ(post(server.port(), "/webhook/accounting", read_fixture("onec/payment_paid_bp.json"),
                 "Bearer " + std::string(accounting_token))
                .status,
            200u);
}

TEST(AccountingWebhook, RefusesMissingOrWrongCredentials) {
  TestServer server;
  const auto body = read_fixture("onec/payment_paid_bp.json");

  const auto missing = post(server.port(), "/webhook/accounting", body, "");
  EXPECT_EQ(missing.status, 401u);
  EXPECT_FALSE(missing.header("www-authenticate").empty());
  EXPECT_EQ(post(server.port(), "/webhook/accounting", body, "Bearer wrong").status, 401u);
  EXPECT_EQ(
      post(server.port(), "/webhook/accounting", body, basic_auth(accounting_user, "wrong")).status,
      401u);
  EXPECT_EQ(server.inbox().calls(), 0u);
}

TEST(AccountingWebhook, ReadsAHandWrittenRussianNoticeWithABom) {
  TestServer server;
  const std::string body =
      "\xEF\xBB\xBF"
      R"({"Статус":"Оплачен","НомерЗаявки":"1042","Телефон":"8 916 555-01-23",)"
      R"("НомерСчета":"СП00-000123","СуммаОплаты":"20 000,00","ОстатокКОплате":"0,00",)"
      R"("ДатаОплаты":"14.03.2025 12:30:00"})";

  const auto reply = post(server.port(), "/webhook/accounting", body,
                          basic_auth(accounting_user, accounting_pass));

  EXPECT_EQ(reply.status, 200u);
  const auto events = server.inbox().events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].get(key::status), "paid");
  EXPECT_EQ(events[0].get(key::amount_paid), "20000.00");
  EXPECT_EQ(events[0].get(key::paid_at), "2025-03-14T12:30:00");
  EXPECT_EQ(events[0].user_id, "79165550123");
}

TEST(AccountingWebhook, Answers422ToANoticeLinkedToNothing) {
  TestServer server;

  const auto reply = post(server.port(), "/webhook/accounting",
                          R"({"Статус":"Оплачен","НомерСчета":"1","СуммаОплаты":"100,00"})",
                          "Bearer " + std::string(accounting_token));

  EXPECT_EQ(reply.status, 422u);
  EXPECT_THAT(reply.body, HasSubstr("neither an Okdesk issue"));
  EXPECT_EQ(server.inbox().calls(), 0u);
}

}  // namespace
}  // namespace fixit::test
