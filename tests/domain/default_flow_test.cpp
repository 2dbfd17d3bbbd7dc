#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/default_flow.hpp"
#include "support/events.hpp"

namespace fixit::domain {
namespace {

using fixit::testing::comment_event;
using fixit::testing::issue_created_event;
using fixit::testing::message_event;
using fixit::testing::payment_event;
using fixit::testing::status_event;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* phone = "79165550123";

class DefaultFlow : public ::testing::Test {
 protected:
  DefaultFlow() : engine_(default_flow_rules(FlowTexts::defaults())) {
    dialog_ = engine_.start_new_dialog(User{phone, "Olga S.", phone});
  }

  // The texts of the replies one event produces.
  std::vector<std::string> replies_to(const DomainEvent& event) {
    last_ = engine_.next(dialog_, event);
    std::vector<std::string> texts;
    for (const auto& action : last_.actions) {
      if (action.kind == ActionKind::reply) {
        texts.push_back(action.text);
      }
    }
    return texts;
  }

  void move_to(State state) {
    dialog_.state = state;
    dialog_.context["name"] = "Ольга";
    dialog_.context["company"] = "ООО Ромашка-Трейд";
    dialog_.context["problem"] = "Не печатает касса";
    dialog_.context["issue_title"] = issue_title_from_problem("Не печатает касса");
    if (state != State::ASK_NAME && state != State::ASK_COMPANY && state != State::NEW) {
      dialog_.context["issue_id"] = "1042";
      dialog_.context["issue_link"] = "https://demo.okdesk.ru/issues/1042";
    }
  }

  FlowEngine engine_;
  Dialog dialog_;
  Transition last_;
};

TEST_F(DefaultFlow, FirstMessageKeepsTheProblemAndAsksForTheName) {
  const auto replies = replies_to(message_event(phone, "Не печатает кассовый аппарат"));

  EXPECT_EQ(dialog_.state, State::ASK_NAME);
  EXPECT_EQ(dialog_.get(ctx::problem), "Не печатает кассовый аппарат");
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_THAT(replies[0], HasSubstr("Не печатает кассовый аппарат"));
  EXPECT_THAT(replies[0], HasSubstr("Как к вам обращаться"));
}

TEST_F(DefaultFlow, FirstMessageWithoutWordsKeepsItsKindAsTheProblem) {
  replies_to(message_event(phone, "", "image"));

  EXPECT_EQ(dialog_.state, State::ASK_NAME);
  EXPECT_EQ(dialog_.get(ctx::problem), "[image]");
}

TEST_F(DefaultFlow, TypedNameIsKeptAndTheCompanyAsked) {
  move_to(State::ASK_NAME);
  const auto replies = replies_to(message_event(phone, "  Ольга  "));

  EXPECT_EQ(dialog_.state, State::ASK_COMPANY);
  EXPECT_EQ(dialog_.get(ctx::name), "Ольга");
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_THAT(replies[0], HasSubstr("Спасибо, Ольга!"));
}

TEST_F(DefaultFlow, PhotoVoiceOrStickerInsteadOfTheNameAsksAgainAndStays) {
  for (const auto* kind : {"image", "audio", "sticker", "location", "hologram"}) {
    move_to(State::ASK_NAME);
    dialog_.context.erase("name");
    const auto replies =
        replies_to(message_event(phone, kind == std::string("image") ? "подпись" : "", kind));

    EXPECT_EQ(dialog_.state, State::ASK_NAME) << kind;
    EXPECT_EQ(dialog_.get(ctx::name), "") << kind;
    EXPECT_THAT(replies, ElementsAre(HasSubstr("имя текстом"))) << kind;
  }
}

TEST_F(DefaultFlow, ATappedButtonCountsAsTypedText) {
  move_to(State::ASK_NAME);
  replies_to(message_event(phone, "Ольга", "interactive"));

  EXPECT_EQ(dialog_.state, State::ASK_COMPANY);
}

TEST_F(DefaultFlow, TypedCompanyOpensAnIssueWithNameCompanyPhoneAndProblem) {
  move_to(State::ASK_COMPANY);
  dialog_.context["phone"] = phone;
  const auto replies = replies_to(message_event(phone, "ООО Ромашка-Трейд"));

  EXPECT_EQ(dialog_.state, State::AWAITING_PAYMENT);
  EXPECT_EQ(dialog_.get(ctx::company), "ООО Ромашка-Трейд");
  ASSERT_EQ(last_.actions.size(), 2U);
  EXPECT_EQ(last_.actions[0].kind, ActionKind::reply);
  const auto& create = last_.actions[1];
  EXPECT_EQ(create.kind, ActionKind::create_issue);
  EXPECT_EQ(create.title, "WhatsApp: Не печатает касса");
  EXPECT_THAT(create.description, HasSubstr("Ольга"));
  EXPECT_THAT(create.description, HasSubstr("ООО Ромашка-Трейд"));
  EXPECT_THAT(create.description, HasSubstr("+79165550123"));
  EXPECT_THAT(create.description, HasSubstr("Не печатает касса"));
}

TEST_F(DefaultFlow, NonTextInsteadOfTheCompanyAsksAgainAndStays) {
  move_to(State::ASK_COMPANY);
  const auto replies = replies_to(message_event(phone, "", "audio"));

  EXPECT_EQ(dialog_.state, State::ASK_COMPANY);
  EXPECT_THAT(replies, ElementsAre(HasSubstr("компании текстом")));
}

TEST_F(DefaultFlow, CreatedIssueIsAnnouncedWithItsNumberAndLinkAndAnInvoiceRequested) {
  move_to(State::ASK_COMPANY);
  dialog_.state = State::AWAITING_PAYMENT;
  const auto replies =
      replies_to(issue_created_event(phone, "1042", "https://demo.okdesk.ru/issues/1042"));

  EXPECT_EQ(dialog_.state, State::AWAITING_PAYMENT);
  EXPECT_EQ(dialog_.get(ctx::issue_id), "1042");
  EXPECT_THAT(replies, ElementsAre("Заявка №1042 создана: https://demo.okdesk.ru/issues/1042"));
  EXPECT_EQ(last_.actions.back().kind, ActionKind::request_invoice);
}

TEST_F(DefaultFlow, FullPaymentThanksTheClientAndMovesToPaid) {
  move_to(State::AWAITING_PAYMENT);
  const auto replies = replies_to(payment_event("1042", "paid"));

  EXPECT_EQ(dialog_.state, State::PAID);
  EXPECT_THAT(replies, ElementsAre(HasSubstr("Спасибо")));
}

TEST_F(DefaultFlow, PartialPaymentSaysWhatIsStillDueAndStays) {
  move_to(State::AWAITING_PAYMENT);
  const auto replies = replies_to(payment_event("1042", "partially_paid", "5000.00"));

  EXPECT_EQ(dialog_.state, State::AWAITING_PAYMENT);
  EXPECT_THAT(replies, ElementsAre(HasSubstr("5000.00 RUB")));
}

TEST_F(DefaultFlow, CancelledOrRefundedPaymentIsReportedAndStays) {
  move_to(State::AWAITING_PAYMENT);
  EXPECT_THAT(replies_to(payment_event("1042", "cancelled")), ElementsAre(HasSubstr("отменён")));
  EXPECT_EQ(dialog_.state, State::AWAITING_PAYMENT);
  EXPECT_THAT(replies_to(payment_event("1042", "refunded")), ElementsAre(HasSubstr("возвращена")));
  EXPECT_EQ(dialog_.state, State::AWAITING_PAYMENT);
}

TEST_F(DefaultFlow, NewStatusIsToldInWordsAndTheDialogStays) {
  move_to(State::PAID);
  const auto replies = replies_to(status_event("1042", "opened", "in_progress", "В работе"));

  EXPECT_EQ(dialog_.state, State::PAID);
  EXPECT_THAT(replies, ElementsAre("Статус заявки №1042: в работе."));
}

TEST_F(DefaultFlow, StatusTheFlowDoesNotKnowIsToldWithTheHelpdesksName) {
  move_to(State::AWAITING_PAYMENT);
  const auto replies = replies_to(status_event("1042", "opened", "waiting_parts", "Ждём запчасти"));

  EXPECT_THAT(replies, ElementsAre("Статус заявки №1042: Ждём запчасти."));
}

TEST_F(DefaultFlow, CompletedOrClosedIssueEndsTheDialog) {
  for (const auto* code : {"completed", "closed"}) {
    move_to(State::PAID);
    const auto replies = replies_to(status_event("1042", "in_progress", code, "x", "Готово"));

    EXPECT_EQ(dialog_.state, State::DONE) << code;
    EXPECT_THAT(replies, ElementsAre(HasSubstr("завершены"))) << code;
  }
}

TEST_F(DefaultFlow, UpdateOfAnotherIssueIsIgnored) {
  move_to(State::PAID);
  const auto replies = replies_to(status_event("999", "opened", "completed", "Решена"));

  EXPECT_FALSE(last_.matched());
  EXPECT_EQ(dialog_.state, State::PAID);
  EXPECT_THAT(replies, IsEmpty());
}

TEST_F(DefaultFlow, PublicCommentIsPassedOnAsPlainText) {
  move_to(State::AWAITING_PAYMENT);
  const auto replies = replies_to(comment_event("1042", "Подскажите модель кассы"));

  EXPECT_THAT(replies, ElementsAre("Комментарий по заявке №1042: Подскажите модель кассы"));
}

TEST_F(DefaultFlow, MessageWhileTheTicketIsOpenGetsItsNumberAndLink) {
  move_to(State::AWAITING_PAYMENT);
  const auto replies = replies_to(message_event(phone, "Когда приедете?"));

  EXPECT_EQ(dialog_.state, State::AWAITING_PAYMENT);
  EXPECT_THAT(replies, ElementsAre(HasSubstr("№1042")));
  EXPECT_THAT(replies[0], HasSubstr("https://demo.okdesk.ru/issues/1042"));
}

TEST_F(DefaultFlow, MessageBeforeTheIssueExistsIsAskedToWait) {
  move_to(State::ASK_COMPANY);
  dialog_.state = State::AWAITING_PAYMENT;
  const auto replies = replies_to(message_event(phone, "Ну что там?"));

  EXPECT_THAT(replies, ElementsAre(HasSubstr("создаётся")));
}

TEST_F(DefaultFlow, ReturningClientIsNotAskedAgainAndGetsANewIssue) {
  move_to(State::DONE);
  const auto replies = replies_to(message_event(phone, "Теперь сканер не работает"));

  EXPECT_EQ(dialog_.state, State::AWAITING_PAYMENT);
  EXPECT_EQ(dialog_.get(ctx::issue_id), "") << "the old issue is forgotten";
  EXPECT_EQ(dialog_.get(ctx::name), "Ольга");
  EXPECT_THAT(replies, ElementsAre(HasSubstr("Ольга, здравствуйте")));
  ASSERT_EQ(last_.actions.size(), 2U);
  EXPECT_EQ(last_.actions[1].kind, ActionKind::create_issue);
  EXPECT_EQ(last_.actions[1].title, "WhatsApp: Теперь сканер не работает");
}

TEST_F(DefaultFlow, PaymentForAnEarlierIssueOfTheClientIsNotTakenForTheCurrentOne) {
  move_to(State::AWAITING_PAYMENT);
  const auto replies = replies_to(payment_event("999", "paid"));

  EXPECT_FALSE(last_.matched());
  EXPECT_EQ(dialog_.state, State::AWAITING_PAYMENT);
  EXPECT_THAT(replies, IsEmpty());
}

TEST_F(DefaultFlow, RefundAfterThePaymentIsStillToldAndTheDialogStays) {
  move_to(State::PAID);
  EXPECT_THAT(replies_to(payment_event("1042", "refunded")), ElementsAre(HasSubstr("возвращена")));
  EXPECT_EQ(dialog_.state, State::PAID);
}

TEST_F(DefaultFlow, PaymentAfterTheWorkIsDoneIsThankedAndTheDialogStaysDone) {
  move_to(State::DONE);
  EXPECT_THAT(replies_to(payment_event("1042", "paid")), ElementsAre(HasSubstr("Спасибо")));
  EXPECT_EQ(dialog_.state, State::DONE);
}

TEST_F(DefaultFlow, ThanksAfterTheWorkIsDoneGetAPoliteAnswerAndNoNewIssue) {
  for (const auto* thanks : {"Спасибо!", "спасибо большое", "Ок 👍", "👍"}) {
    move_to(State::DONE);
    const auto replies = replies_to(message_event(phone, thanks));

    EXPECT_EQ(dialog_.state, State::DONE) << thanks;
    EXPECT_THAT(replies, ElementsAre(HasSubstr("Рады помочь"))) << thanks;
    EXPECT_EQ(dialog_.get(ctx::issue_id), "1042") << thanks;
  }
}

TEST_F(DefaultFlow, AReactionAfterTheWorkIsDoneOpensNothing) {
  move_to(State::DONE);
  const auto replies = replies_to(message_event(phone, "❤️", "reaction"));

  EXPECT_FALSE(last_.matched());
  EXPECT_THAT(replies, IsEmpty());
}

TEST_F(DefaultFlow, AReactionWhileTheIssueIsOpenGetsNoAnswer) {
  move_to(State::AWAITING_PAYMENT);
  EXPECT_THAT(replies_to(message_event(phone, "👍", "reaction")), IsEmpty());
}

TEST_F(DefaultFlow, ClosedAfterCompletedIsRecordedWithoutTellingTheClientAgain) {
  move_to(State::PAID);
  EXPECT_THAT(replies_to(status_event("1042", "in_progress", "completed", "Решена")),
              ElementsAre(HasSubstr("завершены")));
  EXPECT_THAT(replies_to(status_event("1042", "completed", "closed", "Закрыта")), IsEmpty());
  EXPECT_TRUE(last_.matched());
  EXPECT_EQ(dialog_.state, State::DONE);
}

TEST_F(DefaultFlow, FinishedWorkWithoutACommentLeavesNoGapInTheText) {
  move_to(State::PAID);
  const auto replies = replies_to(status_event("1042", "in_progress", "completed", "Решена"));

  ASSERT_EQ(replies.size(), 1U);
  EXPECT_THAT(replies[0], ::testing::Not(HasSubstr("  ")));
}

TEST_F(DefaultFlow, PaymentOutsideAwaitingPaymentMatchesNoRule) {
  move_to(State::ASK_NAME);
  EXPECT_THAT(replies_to(payment_event("1042", "paid")), IsEmpty());
  EXPECT_FALSE(last_.matched());
  EXPECT_EQ(dialog_.state, State::ASK_NAME);
}

TEST_F(DefaultFlow, WholeConversationFromFirstMessageToDone) {
  std::vector<std::string> all;
  const auto say = [&](const DomainEvent& event) {
    for (auto& text : replies_to(event)) {
      all.push_back(std::move(text));
    }
  };

  say(message_event(phone, "Не печатает кассовый аппарат"));
  say(message_event(phone, "Ольга"));
  say(message_event(phone, "ООО Ромашка-Трейд"));
  say(issue_created_event(phone, "1042", "https://demo.okdesk.ru/issues/1042"));
  say(payment_event("1042", "paid"));
  say(status_event("1042", "opened", "in_progress", "В работе"));
  say(status_event("1042", "in_progress", "completed", "Решена", "Переустановили драйвер"));

  EXPECT_EQ(dialog_.state, State::DONE);
  EXPECT_THAT(all, ElementsAre(HasSubstr("Как к вам обращаться"), HasSubstr("Из какой вы компании"),
                               HasSubstr("Создаём заявку"), HasSubstr("№1042 создана"),
                               HasSubstr("Оплата по счёту"), HasSubstr("в работе"),
                               HasSubstr("Переустановили драйвер")));
}

TEST(IssueTitle, TakesTheFirstLineAndShortensOnACharacterBoundary) {
  EXPECT_EQ(issue_title_from_problem("Касса\nвторая строка"), "Касса");
  const auto title =
      issue_title_from_problem(std::string(50, 'x') + "ЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ", 60);
  EXPECT_EQ(title, std::string(50, 'x') + "ЖЖЖЖЖЖЖЖЖЖ…");
}

TEST(FlowTexts, NamesAMissingTextWhenAsked) {
  const auto texts = FlowTexts::defaults();
  EXPECT_THROW((void)texts.text("no_such_text"), std::out_of_range);
}

}  // namespace
}  // namespace fixit::domain
