#include "application/process_event.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "application/errors.hpp"
#include "application/execute_action.hpp"
#include "domain/default_flow.hpp"
#include "support/events.hpp"
#include "support/fakes.hpp"
#include "support/mocks.hpp"

namespace fixit::application {
namespace {

using domain::ActionKind;
using domain::DialogAction;
using domain::State;
using fixit::testing::message_event;
using fixit::testing::ready;
using fixit::testing::ready_void;
using fixit::testing::run;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Invoke;
using ::testing::Return;
using ::testing::StrictMock;

constexpr const char* phone = "79165550123";

domain::FlowEngine default_engine() {
  return domain::FlowEngine(domain::default_flow_rules(domain::FlowTexts::defaults()));
}

std::chrono::system_clock::time_point fixed_now() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1'764'770'000));
}

class ProcessEventWithMocks : public ::testing::Test {
 protected:
  domain::FlowEngine engine_ = default_engine();
  StrictMock<testing::MockDialogRepository> dialogs_;
  StrictMock<testing::MockActionQueue> actions_;
  ProcessEvent process_{engine_, dialogs_, actions_, ProcessOptions{}, fixed_now};
};

TEST_F(ProcessEventWithMocks, StartsADialogForAnUnknownClientSavesItAndQueuesTheActions) {
  EXPECT_CALL(dialogs_, load(phone)).WillOnce([](auto&&...) {
    return ready(std::optional<domain::Dialog>{});
  });
  EXPECT_CALL(dialogs_, save(Field(&domain::Dialog::state, State::ASK_NAME)))
      .WillOnce([](auto&&...) { return ready_void(); });
  EXPECT_CALL(actions_, enqueue(Field(&domain::Dialog::user_id, phone),
                                ElementsAre(Field(&DialogAction::kind, ActionKind::mark_read),
                                            Field(&DialogAction::kind, ActionKind::reply)),
                                _))
      .WillOnce([](auto&&...) { return ready_void(); });

  auto event = message_event(phone, "Касса не печатает", "text", "wamid.1");
  event.payload["timestamp"] = "1764770000";
  const auto result = run(process_(event));

  EXPECT_EQ(result.outcome, Outcome::applied);
  EXPECT_EQ(result.rule, "first message asks for the name");
  EXPECT_EQ(result.actions, 2U);
}

TEST_F(ProcessEventWithMocks, IgnoresDeliveryReceipts) {
  domain::DomainEvent receipt;
  receipt.type = domain::EventType::MESSAGE_STATUS;
  receipt.user_id = phone;

  EXPECT_EQ(run(process_(receipt)).outcome, Outcome::ignored);
}

TEST_F(ProcessEventWithMocks, FindsTheDialogOfAnIssueUpdateThroughTheIssue) {
  domain::Dialog dialog{phone, State::PAID, {{"issue_id", "1042"}}, 3};
  EXPECT_CALL(dialogs_, find_by_issue("1042")).WillOnce([dialog](auto&&...) {
    return ready(std::optional(dialog));
  });
  EXPECT_CALL(dialogs_, save(Field(&domain::Dialog::state, State::DONE))).WillOnce([](auto&&...) {
    return ready_void();
  });
  EXPECT_CALL(actions_, enqueue(_, ElementsAre(Field(&DialogAction::kind, ActionKind::reply)), _))
      .WillOnce([](auto&&...) { return ready_void(); });

  const auto result =
      run(process_(fixit::testing::status_event("1042", "in_progress", "closed", "Закрыта")));

  EXPECT_EQ(result.outcome, Outcome::applied);
  EXPECT_EQ(result.user_id, phone);
}

TEST_F(ProcessEventWithMocks, ReportsAnUpdateOfAnUnknownIssueAsUnroutableAndChangesNothing) {
  EXPECT_CALL(dialogs_, find_by_issue("777")).WillOnce([](auto&&...) {
    return ready(std::optional<domain::Dialog>{});
  });

  const auto result = run(process_(fixit::testing::comment_event("777", "hello")));

  EXPECT_EQ(result.outcome, Outcome::unroutable);
}

TEST_F(ProcessEventWithMocks, EventWithoutAMatchingRuleSavesNothingAndQueuesNothing) {
  domain::Dialog dialog{phone, State::ASK_NAME, {}, 1};
  EXPECT_CALL(dialogs_, load(phone)).WillOnce([dialog](auto&&...) {
    return ready(std::optional(dialog));
  });

  auto payment = fixit::testing::payment_event("", "paid");
  payment.payload.erase("issue_id");
  payment.user_id = phone;
  const auto result = run(process_(payment));

  EXPECT_EQ(result.outcome, Outcome::no_rule);
  EXPECT_EQ(result.actions, 0U);
}

TEST_F(ProcessEventWithMocks, RetriesTheStepOnAFreshCopyWhenSomeoneSavedConcurrently) {
  domain::Dialog stale{phone, State::ASK_NAME, {}, 1};
  domain::Dialog fresh{phone, State::ASK_COMPANY, {{"name", "Ольга"}}, 2};
  EXPECT_CALL(dialogs_, load(phone))
      .WillOnce([stale](auto&&...) { return ready(std::optional(stale)); })
      .WillOnce([fresh](auto&&...) { return ready(std::optional(fresh)); });
  EXPECT_CALL(dialogs_, save(_))
      .WillOnce([](auto&&...) { return testing::fail_with(ConcurrentUpdate(phone)); })
      .WillOnce([](domain::Dialog& saved) {
        EXPECT_EQ(saved.state, State::AWAITING_PAYMENT) << "decided again from the fresh copy";
        return ready_void();
      });
  EXPECT_CALL(actions_, enqueue(_, _, _)).WillOnce([](auto&&...) { return ready_void(); });

  const auto result = run(process_(message_event(phone, "ООО Ромашка")));

  EXPECT_EQ(result.rule, "typed company opens an issue");
}

class ProcessEventInMemory : public ::testing::Test {
 protected:
  std::vector<std::string> replies() const {
    std::vector<std::string> texts;
    for (const auto& queued : actions_.queued) {
      if (queued.action.kind == ActionKind::reply) {
        texts.push_back(queued.action.text);
      }
    }
    return texts;
  }

  domain::FlowEngine engine_ = default_engine();
  testing::InMemoryDialogRepository dialogs_;
  testing::InMemoryActionQueue actions_;
  ProcessEvent process_{engine_, dialogs_, actions_, ProcessOptions{}, fixed_now};
};

TEST_F(ProcessEventInMemory, AMessageOlderThanTheReplyAgeMovesTheDialogWithoutAReply) {
  auto old = message_event(phone, "Старое сообщение");
  old.payload["timestamp"] = std::to_string(1'764'770'000 - 25 * 3600);

  const auto result = run(process_(old));

  EXPECT_TRUE(result.replies_suppressed);
  EXPECT_EQ(dialogs_.dialogs_.at(phone).state, State::ASK_NAME);
  EXPECT_TRUE(replies().empty());
  ASSERT_EQ(actions_.queued.size(), 1U);
  EXPECT_EQ(actions_.queued[0].action.kind, ActionKind::mark_read);
}

TEST_F(ProcessEventInMemory, RunsTheWholeBaseFlowToDoneWithTheRepliesInOrder) {
  run(process_(message_event(phone, "Не печатает кассовый аппарат")));
  run(process_(message_event(phone, "Ольга")));
  run(process_(message_event(phone, "ООО Ромашка-Трейд")));
  run(process_(fixit::testing::issue_created_event(phone, "1042", "https://x/issues/1042")));
  run(process_(fixit::testing::payment_event("1042", "paid")));
  run(process_(fixit::testing::status_event("1042", "opened", "in_progress", "В работе")));
  run(process_(fixit::testing::status_event("1042", "in_progress", "completed", "Решена")));

  EXPECT_EQ(dialogs_.dialogs_.at(phone).state, State::DONE);
  EXPECT_EQ(dialogs_.saves, 7);
  EXPECT_THAT(replies(),
              ElementsAre(HasSubstr("Как к вам обращаться"), HasSubstr("Из какой вы компании"),
                          HasSubstr("Создаём заявку"), HasSubstr("https://x/issues/1042"),
                          HasSubstr("Оплата"), HasSubstr("в работе"), HasSubstr("завершены")));
}

TEST_F(ProcessEventInMemory, PaymentNamingOnlyThePhoneReachesTheClientsDialog) {
  dialogs_.dialogs_[phone] = domain::Dialog{phone, State::AWAITING_PAYMENT, {{"issue_id", "1"}}, 4};
  auto payment = fixit::testing::payment_event("", "paid");
  payment.payload.erase("issue_id");
  payment.user_id = phone;

  run(process_(payment));

  EXPECT_EQ(dialogs_.dialogs_.at(phone).state, State::PAID);
}

TEST(ExecuteAction, CreatesTheIssueAndReturnsIssueCreatedWithItsLink) {
  StrictMock<testing::MockMessageSender> sender;
  StrictMock<testing::MockIssueCreator> helpdesk;
  StrictMock<testing::MockAccountingConnector> accounting;
  ExecuteAction execute(sender, helpdesk, accounting);

  EXPECT_CALL(helpdesk, create_issue(_)).WillOnce([](const IssueRequest& request) {
    EXPECT_EQ(request.issue.title, "WhatsApp: касса");
    EXPECT_EQ(request.client.name, "Ольга");
    EXPECT_EQ(request.client.phone, phone);
    EXPECT_EQ(request.company, "Ромашка");
    return ready(CreatedIssue{"1042", ""});
  });
  EXPECT_CALL(helpdesk, generate_ticket_link("1042")).WillOnce(Return("https://x/issues/1042"));

  PendingAction pending{7,
                        phone,
                        DialogAction::create_issue("WhatsApp: касса", "описание"),
                        {{"name", "Ольга"}, {"company", "Ромашка"}, {"phone", phone}}};
  const auto result = run(execute(pending));

  ASSERT_TRUE(result.follow_up.has_value());
  EXPECT_EQ(result.follow_up->type, domain::EventType::ISSUE_CREATED);
  EXPECT_EQ(result.follow_up->key, "issue_created:7");
  EXPECT_EQ(result.follow_up->user_id, phone);
  EXPECT_EQ(result.follow_up->get("issue_link"), "https://x/issues/1042");
}

TEST(ExecuteAction, SendsARepliesTextAndKeepsTheMessageIds) {
  StrictMock<testing::MockMessageSender> sender;
  StrictMock<testing::MockIssueCreator> helpdesk;
  StrictMock<testing::MockAccountingConnector> accounting;
  ExecuteAction execute(sender, helpdesk, accounting);

  EXPECT_CALL(sender, send_text(phone, "Привет")).WillOnce([](auto&&...) {
    return ready(SentMessage{{"wamid.out.1"}, false});
  });

  const auto result = run(execute(PendingAction{1, phone, DialogAction::reply("Привет"), {}}));

  EXPECT_THAT(result.sent_message_ids, ElementsAre("wamid.out.1"));
  EXPECT_FALSE(result.follow_up.has_value());
}

TEST(ExecuteAction, PassesADeliveryErrorOnToTheCaller) {
  StrictMock<testing::MockMessageSender> sender;
  StrictMock<testing::MockIssueCreator> helpdesk;
  StrictMock<testing::MockAccountingConnector> accounting;
  ExecuteAction execute(sender, helpdesk, accounting);

  EXPECT_CALL(sender, mark_read("wamid.in.1")).WillOnce([](auto&&...) {
    return testing::fail_with(DeliveryError(Failure::transient, "rate limit", "130429"));
  });

  try {
    run(execute(PendingAction{1, phone, DialogAction::mark_read("wamid.in.1"), {}}));
    FAIL() << "expected a DeliveryError";
  } catch (const DeliveryError& error) {
    EXPECT_TRUE(error.transient());
    EXPECT_EQ(error.code(), "130429");
  }
}

TEST(ExecuteAction, AsksAccountingForAnInvoiceForTheDialogsIssue) {
  StrictMock<testing::MockMessageSender> sender;
  StrictMock<testing::MockIssueCreator> helpdesk;
  StrictMock<testing::MockAccountingConnector> accounting;
  ExecuteAction execute(sender, helpdesk, accounting);

  EXPECT_CALL(accounting, request_invoice(Field(&InvoiceRequest::issue_id, "1042")))
      .WillOnce([](auto&&...) { return ready_void(); });

  run(execute(PendingAction{1, phone, DialogAction::request_invoice(), {{"issue_id", "1042"}}}));
}

}  // namespace
}  // namespace fixit::application
