// A whole conversation through the service over real sockets: signed WhatsApp
// webhooks in, the sandbox standing in for the Graph API and Okdesk, 1C's
// payment notice and Okdesk's progress relayed to the client.

#include <thread>

#include "system/fixture.hpp"

namespace fixit::system_test {
namespace {

namespace json = boost::json;

std::string text_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string{};
}

TEST_F(SystemTest, ConversationEndsAsOneOkdeskIssueWhoseLinkTheClientReceives) {
  start();

  ASSERT_EQ(world_->client_writes(olga, "wamid.SYS.1", problem), 200U);
  ASSERT_TRUE(texts_reach(olga, 1));
  ASSERT_EQ(world_->client_writes(olga, "wamid.SYS.2", client_name), 200U);
  ASSERT_TRUE(texts_reach(olga, 2));
  ASSERT_EQ(world_->client_writes(olga, "wamid.SYS.3", company), 200U);
  ASSERT_TRUE(texts_reach(olga, 4));

  ASSERT_EQ(world_->accounting_reports_paid("1001", olga), 200U);
  ASSERT_TRUE(texts_reach(olga, 5));
  ASSERT_EQ(world_->okdesk_changes_status("1001", "opened", "in_progress", "В работе",
                                          "<p>Инженер выехал к вам.</p>"),
            200U);
  ASSERT_TRUE(texts_reach(olga, 6));
  ASSERT_EQ(world_->okdesk_changes_status("1001", "in_progress", "completed", "Решена",
                                          "<div>Переустановили драйвер принтера чеков.<br>"
                                          "Проверьте печать.</div>"),
            200U);
  ASSERT_TRUE(texts_reach(olga, 7));
  ASSERT_TRUE(settled());

  const auto texts = sandbox_.texts_to(olga);
  ASSERT_EQ(texts.size(), 7U);
  EXPECT_EQ(texts[0],
            "Здравствуйте! Мы получили ваше обращение: «" + problem + "». Как к вам обращаться?");
  EXPECT_EQ(texts[1], "Спасибо, Ольга Смирнова! Из какой вы компании?");
  EXPECT_EQ(texts[2], "Спасибо! Создаём заявку, номер и ссылку пришлём через минуту.");
  EXPECT_EQ(texts[3], "Заявка №1001 создана: " + issue_link("1001"));
  EXPECT_EQ(texts[4], "Оплата по счёту СП00-000123 получена. Спасибо!");
  EXPECT_EQ(texts[5],
            "Статус заявки №1001: в работе.\nКомментарий инженера: Инженер выехал к вам.");
  EXPECT_THAT(texts[6], HasSubstr("Работы по заявке №1001 завершены (статус: решена)."));
  EXPECT_THAT(texts[6], HasSubstr("Переустановили драйвер принтера чеков."));

  const auto issues = sandbox_.issues();
  ASSERT_EQ(issues.size(), 1U);
  const auto& issue = issues[0].as_object();
  EXPECT_EQ(issue.at("id"), 1001);
  EXPECT_THAT(text_of(issue, "title"), HasSubstr("После обновления не печатает кассовый аппарат"));
  const auto description = text_of(issue, "description");
  EXPECT_THAT(description, HasSubstr("Клиент: Ольга Смирнова"));
  EXPECT_THAT(description, HasSubstr("Компания: ООО «Ромашка-Трейд»"));
  EXPECT_THAT(description, HasSubstr("Телефон: +79165550123"));
  EXPECT_THAT(description, HasSubstr(problem));

  // The issue belongs to a contact made from the dialog: her name and phone.
  ASSERT_TRUE(issue.at("contact").is_object());
  const auto contact_id = issue.at("contact").at("id");
  const auto contacts = sandbox_.contacts();
  const auto contact = std::find_if(contacts.begin(), contacts.end(),
                                    [&](const json::value& c) { return c.at("id") == contact_id; });
  ASSERT_NE(contact, contacts.end());
  EXPECT_THAT(json::serialize(*contact), HasSubstr("79165550123"));
  EXPECT_EQ(text_of(contact->as_object(), "first_name"), "Ольга");
  EXPECT_EQ(text_of(contact->as_object(), "last_name"), "Смирнова");

  EXPECT_EQ(sandbox_.requests("okdesk.issues.create").size(), 1U);
  for (const auto* id : {"wamid.SYS.1", "wamid.SYS.2", "wamid.SYS.3"}) {
    EXPECT_EQ(sandbox_.read_receipts_for(id), 1U) << id;
  }
  EXPECT_TRUE(failed_actions().empty());
}

TEST_F(SystemTest, MessageDeliveredTwiceAndThenConcurrentlyGetsOneReply) {
  start();
  const auto notification = World::text_notification(olga, "wamid.SYS.DUP", problem);

  ASSERT_EQ(world_->post_waba(notification).status, 200U);
  ASSERT_EQ(world_->post_waba(notification).status, 200U);
  std::vector<std::thread> senders;
  std::vector<unsigned> statuses(8, 0);
  senders.reserve(statuses.size());
  for (auto& status : statuses) {
    senders.emplace_back(
        [this, &notification, &status] { status = world_->post_waba(notification).status; });
  }
  for (auto& sender : senders) {
    sender.join();
  }
  for (const auto status : statuses) {
    EXPECT_EQ(status, 200U);
  }

  // The next message's reply comes after any reply the duplicates could cause.
  ASSERT_EQ(world_->client_writes(olga, "wamid.SYS.NEXT", client_name), 200U);
  ASSERT_TRUE(texts_reach(olga, 2));
  ASSERT_TRUE(settled());

  const auto texts = sandbox_.texts_to(olga);
  ASSERT_EQ(texts.size(), 2U);
  EXPECT_THAT(texts[0], HasSubstr("Как к вам обращаться"));
  EXPECT_THAT(texts[1], HasSubstr("Из какой вы компании"));
  EXPECT_EQ(sandbox_.read_receipts_for("wamid.SYS.DUP"), 1U);
  EXPECT_EQ(count_rows(service_->database(),
                       "SELECT count(*) FROM inbox WHERE event_key = 'wamid.SYS.DUP'"),
            1U);
}

TEST_F(SystemTest, TwoClientsWritingAtOnceEachGetTheirOwnConversation) {
  start();
  const std::string ivan = "79035550011";

  std::thread other([&] { open_issue(ivan, "wamid.IVAN"); });
  open_issue(olga, "wamid.OLGA");
  other.join();
  ASSERT_TRUE(settled());

  const auto issues = sandbox_.issues();
  ASSERT_EQ(issues.size(), 2U);
  for (const auto& user : {olga, ivan}) {
    const auto texts = sandbox_.texts_to(user);
    ASSERT_EQ(texts.size(), 4U) << user;
    EXPECT_THAT(texts[1], HasSubstr("Из какой вы компании"));
    EXPECT_THAT(texts[3], HasSubstr("создана: " + sandbox_.base_url() + "/issues/100"));
  }
  EXPECT_NE(sandbox_.texts_to(olga)[3], sandbox_.texts_to(ivan)[3]);
}

TEST_F(SystemTest, WebhookWithABadSignatureIsRefusedAndChangesNothing) {
  start();
  const auto body = World::text_notification(olga, "wamid.SYS.FORGED", problem);

  const auto reply = http(service_->port(), "POST", "/webhook/waba", body,
                          {{"Content-Type", "application/json"},
                           {"X-Hub-Signature-256", hub_signature("not-the-app-secret", body)}});

  EXPECT_EQ(reply.status, 401U);
  EXPECT_EQ(count_rows(service_->database(), "SELECT count(*) FROM inbox"), 0U);
  EXPECT_TRUE(sandbox_.requests("waba.messages").empty());
}

}  // namespace
}  // namespace fixit::system_test
