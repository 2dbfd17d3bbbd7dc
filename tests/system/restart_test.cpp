// Stopping the service with work unfinished and starting it again on the same
// database file: the conversation continues where it stopped, nothing is lost
// and nothing is done twice.

#include "system/fixture.hpp"

namespace fixit::system_test {
namespace {

TEST_F(SystemTest, StoppedWhileOkdeskHangsTheConversationContinuesAfterTheRestart) {
  config_.env["REQUEST_TIMEOUT_MS"] = "1000";  // how long the stop waits for the hung call
  start();
  ASSERT_EQ(world_->client_writes(olga, "wamid.R.1", problem), 200U);
  ASSERT_TRUE(texts_reach(olga, 1));
  ASSERT_EQ(world_->client_writes(olga, "wamid.R.2", client_name), 200U);
  ASSERT_TRUE(texts_reach(olga, 2));
  sandbox_.fail(
      {{"endpoint", "okdesk.issues.create"}, {"times", 1}, {"hang", true}, {"hang_ms", 60000}});
  ASSERT_EQ(world_->client_writes(olga, "wamid.R.3", company), 200U);
  ASSERT_TRUE(eventually([&] { return sandbox_.requests("okdesk.issues.create").size() == 1; }));

  // The issue is being created when the pipeline stops: the call in flight
  // runs into its timeout and its outcome is recorded. The webhook server still
  // answers, so the next message is stored but not processed.
  service_->stop_pipeline();
  ASSERT_EQ(world_->client_writes(olga, "wamid.R.4", "Когда будет номер заявки?"), 200U);
  EXPECT_EQ(count_rows(service_->database(),
                       "SELECT count(*) FROM inbox WHERE state = 'pending' AND "
                       "event_key = 'wamid.R.4'"),
            1U);
  EXPECT_EQ(count_rows(service_->database(),
                       "SELECT count(*) FROM outbox WHERE kind = 'create_issue' AND state = "
                       "'pending' AND attempts = 1"),
            1U);
  EXPECT_TRUE(sandbox_.issues().empty());

  restart();

  ASSERT_TRUE(texts_reach(olga, 5));
  ASSERT_TRUE(settled());
  auto texts = sandbox_.texts_to(olga);
  ASSERT_EQ(texts.size(), 5U);
  EXPECT_THAT(texts[0], HasSubstr("Как к вам обращаться"));
  EXPECT_THAT(texts[1], HasSubstr("Из какой вы компании"));
  EXPECT_THAT(texts[2], HasSubstr("Создаём заявку"));
  EXPECT_EQ(texts[3], "Заявка создаётся, номер и ссылку пришлём в ближайшее время.");
  EXPECT_EQ(texts[4], "Заявка №1001 создана: " + issue_link("1001"));
  EXPECT_EQ(sandbox_.issues().size(), 1U);
  EXPECT_EQ(sandbox_.requests("okdesk.issues.create").size(), 2U);
  for (const auto* id : {"wamid.R.1", "wamid.R.2", "wamid.R.3", "wamid.R.4"}) {
    EXPECT_EQ(sandbox_.read_receipts_for(id), 1U) << id;
  }

  // The dialog kept its issue: the payment notice finds it.
  ASSERT_EQ(world_->accounting_reports_paid("1001", olga), 200U);
  ASSERT_TRUE(texts_reach(olga, 6));
  EXPECT_EQ(sandbox_.texts_to(olga)[5], "Оплата по счёту СП00-000123 получена. Спасибо!");
}

TEST_F(SystemTest, RestartWithNothingPendingRepeatsNothing) {
  start();
  open_issue(olga, "wamid.SYS");
  ASSERT_TRUE(settled());
  const auto requests_before = sandbox_.requests("waba.messages").size();

  restart();
  // A new message proves the restarted pipeline runs; nothing before it repeats.
  ASSERT_EQ(world_->client_writes(olga, "wamid.SYS.4", "Спасибо"), 200U);
  ASSERT_TRUE(texts_reach(olga, 5));
  ASSERT_TRUE(settled());

  EXPECT_EQ(sandbox_.requests("waba.messages").size(), requests_before + 2);  // read, reply
  EXPECT_THAT(sandbox_.texts_to(olga)[4], HasSubstr("уже в работе"));
  EXPECT_EQ(sandbox_.issues().size(), 1U);
}

}  // namespace
}  // namespace fixit::system_test
