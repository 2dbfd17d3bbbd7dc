// Failures injected into the outside world, seen through the whole system:
// what is retried, what is given up, what the client still receives.

#include "system/fixture.hpp"

namespace fixit::system_test {
namespace {

namespace json = boost::json;

std::string template_parameter(const json::object& sent) {
  return std::string(sent.at("components").at(0).at("parameters").at(0).at("text").as_string());
}

TEST_F(SystemTest, OkdeskAnsweringServerErrorsTwiceStillEndsAsOneIssueAndTheLink) {
  start();
  sandbox_.fail({{"endpoint", "okdesk.issues.create"}, {"times", 2}, {"status", 500}});

  open_issue(olga, "wamid.SYS");
  ASSERT_TRUE(settled());

  EXPECT_EQ(sandbox_.requests("okdesk.issues.create").size(), 3U);
  EXPECT_EQ(sandbox_.issues().size(), 1U);
  const auto texts = sandbox_.texts_to(olga);
  ASSERT_EQ(texts.size(), 4U);
  EXPECT_EQ(texts[3], "Заявка №1001 создана: " + issue_link("1001"));
  EXPECT_GE(service_->stats().actions_retried, 2U);
  EXPECT_TRUE(failed_actions().empty());
}

TEST_F(SystemTest, HungOkdeskCallTimesOutAndIsRetriedIntoOneIssue) {
  // The sandbox holds its answer far longer than the request may take.
  config_.env["REQUEST_TIMEOUT_MS"] = "1000";
  start();
  sandbox_.fail(
      {{"endpoint", "okdesk.issues.create"}, {"times", 1}, {"hang", true}, {"hang_ms", 60000}});

  open_issue(olga, "wamid.SYS");
  ASSERT_TRUE(settled());

  const auto attempts = sandbox_.requests("okdesk.issues.create");
  ASSERT_EQ(attempts.size(), 2U);
  EXPECT_TRUE(attempts[0].contains("hung"));
  EXPECT_EQ(sandbox_.issues().size(), 1U);
  EXPECT_EQ(sandbox_.texts_to(olga).back(), "Заявка №1001 создана: " + issue_link("1001"));
  EXPECT_FALSE(log_.lines_with({"action failed, will retry", "kind=create_issue"}).empty());
}

TEST_F(SystemTest, ClosedWindowAtSendTimeSendsTheTemplateWithTheReplyAsItsParameter) {
  start();
  sandbox_.fail({{"recipient", olga}, {"waba_code", 131047}});

  ASSERT_EQ(world_->client_writes(olga, "wamid.SYS.1", problem), 200U);
  ASSERT_TRUE(eventually([&] { return !sandbox_.templates_to(olga).empty(); }));
  ASSERT_TRUE(settled());

  const auto templates = sandbox_.templates_to(olga);
  ASSERT_EQ(templates.size(), 1U);
  EXPECT_EQ(templates[0].at("name").as_string(), "reply_to_continue");
  EXPECT_EQ(templates[0].at("language").at("code").as_string(), "ru");
  EXPECT_EQ(template_parameter(templates[0]),
            "Здравствуйте! Мы получили ваше обращение: «" + problem + "». Как к вам обращаться?");
  EXPECT_TRUE(sandbox_.texts_to(olga).empty());
  EXPECT_TRUE(failed_actions().empty());
}

TEST_F(SystemTest, PermanentWhatsAppErrorFailsTheReplyAtOnceAndLaterRepliesStillGoOut) {
  start();
  sandbox_.fail({{"recipient", olga}, {"waba_code", 131026}, {"times", 1}});

  ASSERT_EQ(world_->client_writes(olga, "wamid.SYS.1", problem), 200U);
  ASSERT_TRUE(eventually([&] { return failed_actions().size() == 1; }));
  ASSERT_EQ(world_->client_writes(olga, "wamid.SYS.2", client_name), 200U);
  ASSERT_TRUE(texts_reach(olga, 1));
  ASSERT_TRUE(settled());

  const auto failed = failed_actions();
  ASSERT_EQ(failed.size(), 1U);
  EXPECT_EQ(failed[0].kind, "reply");
  EXPECT_EQ(failed[0].attempts, 1);
  EXPECT_THAT(failed[0].last_error.value_or(""), HasSubstr("131026"));
  // One attempt of the refused text, then the next reply: nothing was retried.
  std::size_t text_attempts = 0;
  for (const auto& request : sandbox_.requests("waba.messages")) {
    const auto& body = request.at("body");
    if (body.is_object() && body.as_object().contains("text")) {
      ++text_attempts;
    }
  }
  EXPECT_EQ(text_attempts, 2U);
  EXPECT_THAT(sandbox_.texts_to(olga), ::testing::ElementsAre(HasSubstr("Из какой вы компании")));
  EXPECT_EQ(service_->stats().actions_retried, 0U);
  EXPECT_FALSE(log_.lines_with({"action failed id=", "kind=reply", "131026"}).empty());
}

TEST_F(SystemTest, ExpiredWhatsAppTokenMakesReadinessFailWhileHealthStaysUp) {
  start();
  ASSERT_EQ(world_->get("/readyz").status, 200U);
  // Three clients write at once: each message is a read receipt and a reply to send.
  const std::vector<std::string> clients{olga, "79165550124", "79165550125"};
  sandbox_.fail({{"endpoint", "waba.messages"},
                 {"times", static_cast<int>(2 * clients.size())},
                 {"waba_code", 190}});

  for (std::size_t i = 0; i < clients.size(); ++i) {
    ASSERT_EQ(world_->client_writes(clients[i], "wamid.SYS." + std::to_string(i), problem), 200U);
  }
  // A failure is logged once its outcome is recorded, just after the database shows it.
  ASSERT_TRUE(eventually([&] {
    return failed_actions().size() == 2 * clients.size() &&
           log_.lines_with({"warning action failed id=", "190"}).size() == 2 * clients.size();
  }));

  const auto ready = world_->get("/readyz");
  EXPECT_EQ(ready.status, 503U);
  EXPECT_THAT(ready.body, HasSubstr("whatsapp"));
  EXPECT_THAT(ready.body, HasSubstr("190"));
  EXPECT_THAT(ready.body, ::testing::Not(HasSubstr(waba_token)));
  EXPECT_EQ(world_->get("/healthz").status, 200U);
  // The burst is said loudly once; each failed action is still logged, as a warning.
  const auto errors = log_.lines_at("error");
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_THAT(errors[0], HasSubstr("whatsapp account problem code=190"));
  EXPECT_EQ(log_.lines_with({"warning action failed id=", "190"}).size(), 2 * clients.size());

  // A token that works again makes the service ready again.
  ASSERT_EQ(world_->client_writes(olga, "wamid.SYS.again", client_name), 200U);
  ASSERT_TRUE(texts_reach(olga, 1));
  EXPECT_EQ(world_->get("/readyz").status, 200U);
}

}  // namespace
}  // namespace fixit::system_test
