// WhatsApp often accepts a text (200 and a message id) and reports later, in a
// `failed` receipt, that the client's 24-hour window had closed (131047). The
// service then sends the approved template with the same text, once.

#include "system/fixture.hpp"

namespace fixit::system_test {
namespace {

namespace json = boost::json;

// The recipient of tests/fixtures/waba/status_failed.json.
const std::string late_client = "79990000002";

std::string template_parameter(const json::object& sent) {
  return std::string(sent.at("components").at(0).at("parameters").at(0).at("text").as_string());
}

class ClosedWindowReceipt : public SystemTest {
 protected:
  // The client writes, gets the first reply; returns that reply's message id.
  std::string first_reply_id() {
    EXPECT_EQ(world_->client_writes(late_client, "wamid.LATE.1", problem), 200U);
    EXPECT_TRUE(texts_reach(late_client, 1));
    EXPECT_TRUE(settled());
    const auto sent = sandbox_.messages_to(late_client);
    return sent.empty() ? std::string{} : std::string(sent.front().at("id").as_string());
  }

  std::size_t failed_deliveries(const std::string& message_id) {
    return count_rows(service_->database(),
                      "SELECT count(*) FROM deliveries WHERE status = 'failed' AND error_code = "
                      "'131047' AND message_id = '" +
                          message_id + "'");
  }
};

TEST_F(ClosedWindowReceipt, SendsTheTemplateWithTheOriginalTextOnce) {
  start();
  const auto message_id = first_reply_id();
  ASSERT_FALSE(message_id.empty());
  const auto receipt = World::failed_receipt(message_id, late_client);

  ASSERT_EQ(world_->post_waba(receipt).status, 200U);
  ASSERT_EQ(world_->post_waba(receipt).status, 200U);
  ASSERT_TRUE(eventually([&] { return sandbox_.templates_to(late_client).size() == 1; }));
  // A later message is answered after anything the repeated receipt could cause.
  ASSERT_EQ(world_->client_writes(late_client, "wamid.LATE.2", client_name), 200U);
  ASSERT_TRUE(texts_reach(late_client, 2));
  ASSERT_TRUE(settled());

  const auto templates = sandbox_.templates_to(late_client);
  ASSERT_EQ(templates.size(), 1U);
  EXPECT_EQ(templates[0].at("name").as_string(), "reply_to_continue");
  EXPECT_EQ(templates[0].at("language").at("code").as_string(), "ru");
  EXPECT_EQ(template_parameter(templates[0]), sandbox_.texts_to(late_client)[0]);
  EXPECT_EQ(failed_deliveries(message_id), 1U);
  EXPECT_EQ(count_rows(service_->database(),
                       "SELECT count(*) FROM outbox WHERE kind = 'reply_template' AND state = "
                       "'done'"),
            1U);
  EXPECT_FALSE(log_.lines_with({"window closed; template queued"}).empty());
}

TEST_F(ClosedWindowReceipt, TemplateReportedUndeliverableIsNotSentAgain) {
  start();
  const auto message_id = first_reply_id();
  ASSERT_EQ(world_->post_waba(World::failed_receipt(message_id, late_client)).status, 200U);
  ASSERT_TRUE(eventually([&] { return sandbox_.templates_to(late_client).size() == 1; }));
  ASSERT_TRUE(settled());
  const auto sent = sandbox_.messages_to(late_client);
  const auto template_id = std::string(sent.back().at("id").as_string());

  ASSERT_EQ(world_->post_waba(World::failed_receipt(template_id, late_client)).status, 200U);
  ASSERT_TRUE(eventually([&] { return failed_deliveries(template_id) == 1; }));
  ASSERT_TRUE(settled());

  EXPECT_EQ(sandbox_.templates_to(late_client).size(), 1U);
  EXPECT_FALSE(log_.lines_with({"warning", "message not delivered", template_id}).empty());
}

TEST_F(ClosedWindowReceipt, WithoutAConfiguredTemplateIsOnlyLoggedAtWarning) {
  config_.env.erase("WABA_TEMPLATE_NAME");
  start();
  const auto message_id = first_reply_id();

  ASSERT_EQ(world_->post_waba(World::failed_receipt(message_id, late_client)).status, 200U);
  ASSERT_TRUE(eventually([&] { return failed_deliveries(message_id) == 1; }));
  ASSERT_TRUE(settled());

  EXPECT_TRUE(sandbox_.templates_to(late_client).empty());
  EXPECT_EQ(
      count_rows(service_->database(), "SELECT count(*) FROM outbox WHERE kind = 'reply_template'"),
      0U);
  EXPECT_EQ(log_.lines_with({"warning", "no template configured", message_id}).size(), 1U);
}

}  // namespace
}  // namespace fixit::system_test
