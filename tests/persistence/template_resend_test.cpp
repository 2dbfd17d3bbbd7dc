// A reply WhatsApp reports undeliverable because the client's 24-hour window
// had closed (a `failed` receipt with 131047) becomes a template action, once.

#include "infrastructure/persistence/deliveries.hpp"
#include "infrastructure/persistence/outbox.hpp"
#include "persistence/support.hpp"

namespace fixit::testing {
namespace {

using domain::DialogAction;
using infrastructure::persistence::actions_of_user;
using infrastructure::persistence::apply_receipt;
using infrastructure::persistence::Connection;
using infrastructure::persistence::enqueue_actions;
using infrastructure::persistence::OutboxEntry;
using infrastructure::persistence::queue_template_resend;
using infrastructure::persistence::record_sent_messages;
using infrastructure::persistence::TemplateResend;

const std::string ivan = "79161234567";

class TemplateResendTest : public ::testing::Test {
 protected:
  // Queues `action` for Ivan and returns its outbox id.
  std::int64_t queued(const DialogAction& action) {
    return database_->call([&](Connection& c) {
      domain::Dialog dialog;
      dialog.user_id = ivan;
      dialog.context = {{"name", "Иван"}, {"phone", ivan}};
      domain::DomainEvent cause;
      cause.key = "wamid.in." + std::to_string(++causes_);
      enqueue_actions(c, dialog, {action}, cause, 1000);
      auto q = c.query("SELECT max(id) FROM outbox");
      q.step();
      return q.integer(0);
    });
  }

  void sent(const std::vector<std::string>& message_ids, std::int64_t action_id) {
    database_->call(
        [&](Connection& c) { record_sent_messages(c, message_ids, ivan, action_id, 1000); });
  }

  void receive(const domain::DomainEvent& event) {
    database_->call([&](Connection& c) { apply_receipt(c, event, 1000); });
  }

  TemplateResend resend(const std::string& message_id) {
    return database_->call(
        [&](Connection& c) { return queue_template_resend(c, message_id, 2000); });
  }

  std::vector<OutboxEntry> templates() {
    auto all = database_->call([](Connection& c) { return actions_of_user(c, ivan); });
    std::erase_if(all, [](const OutboxEntry& e) { return e.kind != "reply_template"; });
    return all;
  }

  // The stored action of a template row: text and message id.
  std::pair<std::string, std::string> template_action(std::int64_t id) {
    return database_->call([&](Connection& c) {
      auto q = c.query(
          "SELECT json_extract(action, '$.text'), json_extract(action, '$.message_id'), "
          "json_extract(context, '$.name') FROM outbox WHERE id = ?1");
      q.bind(1, id);
      q.step();
      EXPECT_EQ(q.text(2), "Иван");
      return std::pair{q.text(0), q.text(1)};
    });
  }

  int causes_ = 0;
  std::unique_ptr<infrastructure::persistence::Database> database_ = open_database(":memory:");
};

TEST_F(TemplateResendTest, QueuesTheTemplateWithTheReplysTextAndContext) {
  const auto reply = queued(DialogAction::reply("Заявка №1001 создана"));
  sent({"wamid.out.1"}, reply);
  receive(receipt("wamid.out.1", "failed", ivan, "131047"));

  EXPECT_EQ(resend("wamid.out.1"), TemplateResend::queued);

  const auto queued_templates = templates();
  ASSERT_EQ(queued_templates.size(), 1U);
  EXPECT_EQ(queued_templates[0].state, "pending");
  EXPECT_EQ(queued_templates[0].cause_key, "wamid.out.1:failed");
  EXPECT_EQ(template_action(queued_templates[0].id),
            (std::pair<std::string, std::string>{"Заявка №1001 создана", "wamid.out.1"}));
}

TEST_F(TemplateResendTest, QueuesNothingForOtherFailuresStatusesOrKinds) {
  const auto reply = queued(DialogAction::reply("Как к вам обращаться?"));
  sent({"wamid.out.1", "wamid.out.2"}, reply);
  receive(receipt("wamid.out.1", "failed", ivan, "131026"));
  receive(receipt("wamid.out.2", "delivered", ivan));
  const auto earlier_template = queued(DialogAction::reply_template("Текст", "wamid.out.0"));
  sent({"wamid.tpl.1"}, earlier_template);
  receive(receipt("wamid.tpl.1", "failed", ivan, "131047"));

  EXPECT_EQ(resend("wamid.out.1"), TemplateResend::not_applicable);
  EXPECT_EQ(resend("wamid.out.2"), TemplateResend::not_applicable);
  EXPECT_EQ(resend("wamid.tpl.1"), TemplateResend::not_applicable);
  EXPECT_EQ(resend("wamid.unknown"), TemplateResend::not_applicable);
  EXPECT_EQ(templates().size(), 1U);  // only the one queued above by hand
}

TEST_F(TemplateResendTest, ReceiptAheadOfTheSendWaitsUntilTheSendIsRecorded) {
  const auto reply = queued(DialogAction::reply("Оплата получена"));
  receive(receipt("wamid.out.1", "failed", ivan, "131047"));

  EXPECT_EQ(resend("wamid.out.1"), TemplateResend::not_linked_yet);
  EXPECT_TRUE(templates().empty());

  sent({"wamid.out.1"}, reply);

  EXPECT_EQ(resend("wamid.out.1"), TemplateResend::queued);
  EXPECT_EQ(templates().size(), 1U);
}

TEST_F(TemplateResendTest, TextSentInPartsLeadsToOneTemplate) {
  const auto reply = queued(DialogAction::reply("Очень длинный текст"));
  sent({"wamid.out.1", "wamid.out.2"}, reply);
  receive(receipt("wamid.out.1", "failed", ivan, "131047"));
  receive(receipt("wamid.out.2", "failed", ivan, "131047"));

  EXPECT_EQ(resend("wamid.out.2"), TemplateResend::queued);
  EXPECT_EQ(resend("wamid.out.1"), TemplateResend::already_queued);
  EXPECT_EQ(resend("wamid.out.2"), TemplateResend::already_queued);

  EXPECT_EQ(templates().size(), 1U);
}

}  // namespace
}  // namespace fixit::testing
