#include "application/execute_action.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "application/errors.hpp"
#include "support/mocks.hpp"

namespace fixit::application {
namespace {

using domain::DialogAction;
using fixit::testing::fail_as;
using fixit::testing::ready;
using fixit::testing::run;
using ::testing::_;
using ::testing::StrictMock;

constexpr const char* phone = "79165550123";

class ExecuteActionTest : public ::testing::Test {
 protected:
  PendingAction pending(DialogAction action) const {
    PendingAction pending;
    pending.id = 31;
    pending.user_id = phone;
    pending.action = std::move(action);
    pending.context = {{"name", "Ольга"}, {"phone", phone}};
    return pending;
  }

  StrictMock<fixit::testing::MockMessageSender> messenger_;
  StrictMock<fixit::testing::MockIssueCreator> helpdesk_;
  StrictMock<fixit::testing::MockAccountingConnector> accounting_;
  ExecuteAction execute_{messenger_, helpdesk_, accounting_};
};

TEST_F(ExecuteActionTest, SendsAReplyTemplateAsTheMessengersTemplateWithItsText) {
  EXPECT_CALL(messenger_, send_template(phone, "Заявка №1001 создана"))
      .WillOnce([](const std::string&, const std::string&) {
        return ready(SentMessage{{"wamid.TPL1"}, true});
      });

  const auto result =
      run(execute_(pending(DialogAction::reply_template("Заявка №1001 создана", "wamid.OUT1"))));

  EXPECT_EQ(result.sent_message_ids, std::vector<std::string>{"wamid.TPL1"});
  EXPECT_FALSE(result.follow_up);
}

TEST_F(ExecuteActionTest, PassesOnTheMessengersRefusalOfATemplate) {
  EXPECT_CALL(messenger_, send_template(phone, _))
      .WillOnce([](const std::string&, const std::string&) {
        return fail_as<SentMessage>(DeliveryError(Failure::permanent, "no template configured"));
      });

  EXPECT_THROW(run(execute_(pending(DialogAction::reply_template("Текст", "wamid.OUT1")))),
               DeliveryError);
}

TEST(ActionKind, ReplyTemplateHasAStableNameForTheQueue) {
  EXPECT_EQ(domain::to_string(domain::ActionKind::reply_template), "reply_template");
  EXPECT_EQ(domain::parse_action_kind("reply_template"), domain::ActionKind::reply_template);

  const auto action = DialogAction::reply_template("Текст", "wamid.OUT1");
  EXPECT_EQ(action.kind, domain::ActionKind::reply_template);
  EXPECT_EQ(action.text, "Текст");
  EXPECT_EQ(action.message_id, "wamid.OUT1");
}

}  // namespace
}  // namespace fixit::application
