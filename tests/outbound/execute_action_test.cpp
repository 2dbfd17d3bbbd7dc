// The application's ExecuteAction driving the real adapters against the sandbox:
// what the dialog flow's actions become on the wire.

#include "application/execute_action.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "infrastructure/config/settings.hpp"
#include "infrastructure/outbound/okdesk_issue_creator.hpp"
#include "infrastructure/outbound/onec_connector.hpp"
#include "infrastructure/outbound/whatsapp_sender.hpp"
#include "outbound/support.hpp"

namespace fixit::testing {
namespace {

using application::ExecuteAction;
using application::PendingAction;
using domain::DialogAction;
using infrastructure::Environment;
using infrastructure::Settings;
using namespace infrastructure::outbound;

class ExecuteActionOverTheSandbox : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    settings_ = Settings::from(Environment::from({
        {"WABA_API_URL", base_url() + "/v21.0/"},
        {"WABA_PHONE_NUMBER_ID", phone_number_id},
        {"WABA_ACCESS_TOKEN", waba_token},
        {"WABA_TEMPLATE_NAME", "reply_to_continue"},
        {"OKDESK_URL", base_url()},
        {"OKDESK_API_TOKEN", okdesk_token},
        {"OKDESK_TICKET_LINK", "https://portal.fixit.example/issues/{id}"},
    }));
    ASSERT_TRUE(settings_.errors.empty());
    sender_ = std::make_unique<WhatsAppSender>(*http_, WhatsAppConfig::from(settings_));
    helpdesk_ = std::make_unique<OkdeskIssueCreator>(*http_, OkdeskConfig::from(settings_));
    execute_ = std::make_unique<ExecuteAction>(*sender_, *helpdesk_, accounting_);
  }

  static PendingAction pending(DialogAction action) {
    PendingAction pending;
    pending.id = 17;
    pending.user_id = "79161234567";
    pending.action = std::move(action);
    pending.context = {{"name", "Ольга Смирнова"},
                       {"company", "Ромашка"},
                       {"phone", "79161234567"},
                       {"issue_id", "1001"}};
    return pending;
  }

  Settings settings_;
  std::unique_ptr<WhatsAppSender> sender_;
  std::unique_ptr<OkdeskIssueCreator> helpdesk_;
  OneCConnector accounting_;
  std::unique_ptr<ExecuteAction> execute_;
};

TEST_F(ExecuteActionOverTheSandbox, TurnsCreateIssueIntoAnIssueAndItsLink) {
  const auto result = run(
      io_,
      (*execute_)(pending(DialogAction::create_issue(
          "WhatsApp: касса не печатает чеки", "Ольга Смирнова, Ромашка: касса не печатает чеки"))));

  ASSERT_TRUE(result.follow_up);
  EXPECT_EQ(result.follow_up->type, domain::EventType::ISSUE_CREATED);
  EXPECT_EQ(result.follow_up->payload.at("issue_id"), "1001");
  EXPECT_EQ(result.follow_up->payload.at("issue_link"), "https://portal.fixit.example/issues/1001");
  const auto issues = api_.issues();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].at("title").as_string(), "WhatsApp: касса не печатает чеки");
}

TEST_F(ExecuteActionOverTheSandbox, TurnsAReplyIntoAWhatsAppMessage) {
  const auto result = run(io_, (*execute_)(pending(DialogAction::reply("Как вас зовут?"))));

  ASSERT_EQ(result.sent_message_ids.size(), 1u);
  const auto messages = api_.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].at("to").as_string(), "79161234567");
  EXPECT_EQ(messages[0].at("text").as_string(), "Как вас зовут?");
  EXPECT_EQ(messages[0].at("id").as_string(), result.sent_message_ids[0]);
}

TEST_F(ExecuteActionOverTheSandbox, TurnsMarkReadIntoAReadReceipt) {
  run(io_, (*execute_)(pending(DialogAction::mark_read("wamid.INBOUND1"))));

  const auto requests = received("waba.messages");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("body").at("status").as_string(), "read");
}

TEST_F(ExecuteActionOverTheSandbox, PassesAnInvoiceRequestToTheAccountingStub) {
  run(io_, (*execute_)(pending(DialogAction::request_invoice())));

  EXPECT_EQ(accounting_.invoice_requests(), 1u);
  EXPECT_TRUE(api_.requests().empty());
}

}  // namespace
}  // namespace fixit::testing
