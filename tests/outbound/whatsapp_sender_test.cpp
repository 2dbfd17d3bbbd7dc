#include "infrastructure/outbound/whatsapp_sender.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "application/errors.hpp"
#include "outbound/support.hpp"

namespace fixit::testing {
namespace {

using application::DeliveryError;
using application::Failure;
using infrastructure::outbound::classify_whatsapp_error;
using infrastructure::outbound::split_text;
using infrastructure::outbound::WhatsAppConfig;
using infrastructure::outbound::WhatsAppSender;
using ::testing::HasSubstr;

constexpr const char* client = "79161234567";

std::size_t characters(const std::string& text) {
  std::size_t count = 0;
  for (const char c : text) {
    count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return count;
}

std::string repeat(const std::string& piece, std::size_t times) {
  std::string text;
  for (std::size_t i = 0; i < times; ++i) {
    text += piece;
  }
  return text;
}

TEST(SplitText, KeepsAShortTextWhole) {
  EXPECT_EQ(split_text("Здравствуйте! Как вас зовут?"),
            std::vector<std::string>{"Здравствуйте! Как вас зовут?"});
}

TEST(SplitText, GivesNothingForAnEmptyOrBlankText) {
  EXPECT_TRUE(split_text("").empty());
  EXPECT_TRUE(split_text(" \n ").empty());
}

TEST(SplitText, CutsAfterALineBreakWhenThereIsOne) {
  const auto first = repeat("а", 3000) + "\n";
  const auto second = repeat("б", 3000);
  const auto parts = split_text(first + second);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], repeat("а", 3000));
  EXPECT_EQ(parts[1], second);
}

TEST(SplitText, CutsAfterASpaceWhenThereIsNoLineBreak) {
  const auto text = repeat("слово ", 1000);  // 6,000 characters
  const auto parts = split_text(text);
  ASSERT_EQ(parts.size(), 2u);
  for (const auto& part : parts) {
    EXPECT_LE(characters(part), 4096u);
    EXPECT_FALSE(part.starts_with(" "));
    EXPECT_TRUE(part.ends_with("слово"));
  }
}

TEST(SplitText, CutsOnCharacterBoundariesWhenThereIsNoBreakAtAll) {
  const auto text = repeat("ж", 10000);  // two bytes each
  const auto parts = split_text(text);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(characters(parts[0]), 4096u);
  EXPECT_EQ(characters(parts[1]), 4096u);
  EXPECT_EQ(parts[0] + parts[1] + parts[2], text);
}

TEST(SplitText, NeverCutsAnEmojiInHalf) {
  const auto text = repeat("🙂", 5);
  const auto parts = split_text(text, 2);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "🙂🙂");
  EXPECT_EQ(parts[2], "🙂");
}

TEST(ClassifyWhatsAppError, TreatsRateLimitsAndOutagesAsTransient) {
  for (const long code : {130429L, 131056L, 80007L, 4L, 131000L, 131016L, 1L, 2L}) {
    EXPECT_EQ(classify_whatsapp_error(code, 400), Failure::transient) << code;
  }
  EXPECT_EQ(classify_whatsapp_error(0, 503), Failure::transient);
  EXPECT_EQ(classify_whatsapp_error(0, 429), Failure::transient);
}

TEST(ClassifyWhatsAppError, TreatsRefusalsOfTheMessageAsPermanent) {
  for (const long code : {131026L, 131050L, 100L, 132000L, 132001L, 132012L, 190L}) {
    EXPECT_EQ(classify_whatsapp_error(code, 400), Failure::permanent) << code;
  }
  EXPECT_EQ(classify_whatsapp_error(0, 400), Failure::permanent);
}

class WhatsAppSenderTest : public SandboxTest {
 protected:
  WhatsAppConfig config() {
    WhatsAppConfig config;
    config.api_url = base_url() + "/v21.0";
    config.phone_number_id = phone_number_id;
    config.access_token = waba_token;
    config.template_name = "reply_to_continue";
    config.template_lang = "ru";
    return config;
  }

  application::SentMessage send(WhatsAppSender& sender, const std::string& text) {
    return run(io_, sender.send_text(client, text));
  }

  DeliveryError send_failing(WhatsAppSender& sender, const std::string& text) {
    try {
      send(sender, text);
    } catch (const DeliveryError& e) {
      return e;
    }
    ADD_FAILURE() << "the send did not fail";
    return DeliveryError(Failure::transient, "none");
  }
};

TEST_F(WhatsAppSenderTest, SendsATextAndReturnsItsMessageId) {
  WhatsAppSender sender(*http_, config());
  const auto sent = send(sender, "Заявка создана: https://example.okdesk.ru/issues/1001");

  ASSERT_EQ(sent.message_ids.size(), 1u);
  EXPECT_THAT(sent.message_ids[0], ::testing::StartsWith("wamid.SANDBOX"));
  EXPECT_FALSE(sent.used_template);

  const auto requests = received("waba.messages");
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0].as_object();
  EXPECT_EQ(request.at("path").as_string(), std::string("/v21.0/") + phone_number_id + "/messages");
  const auto& body = request.at("body").as_object();
  EXPECT_EQ(body.at("messaging_product").as_string(), "whatsapp");
  EXPECT_EQ(body.at("to").as_string(), client);
  EXPECT_EQ(body.at("type").as_string(), "text");
  EXPECT_EQ(body.at("text").at("body").as_string(),
            "Заявка создана: https://example.okdesk.ru/issues/1001");
  EXPECT_FALSE(sender.problem());
}

TEST_F(WhatsAppSenderTest, SendsALongTextAsSeveralMessagesTheApiAccepts) {
  WhatsAppSender sender(*http_, config());
  const auto text = repeat("Строка описания неисправности кассы.\n", 250);  // ~9,250 characters

  const auto sent = send(sender, text);

  EXPECT_EQ(sent.message_ids.size(), 3u);
  const auto requests = received("waba.messages");
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& request : requests) {
    EXPECT_EQ(request.at("status").as_int64(), 200);
  }
}

TEST_F(WhatsAppSenderTest, SendsTheTemplateWhenTheWindowHasClosed) {
  control("POST", "/_sandbox/fail", R"({"recipient":"79161234567","waba_code":131047})");
  WhatsAppSender sender(*http_, config());

  const auto sent = send(sender, "Оплата получена.\nСпасибо!");

  EXPECT_TRUE(sent.used_template);
  ASSERT_EQ(sent.message_ids.size(), 1u);
  const auto requests = received("waba.messages");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].at("body").at("type").as_string(), "text");
  const auto& body = requests[1].at("body");
  EXPECT_EQ(body.at("type").as_string(), "template");
  EXPECT_EQ(body.at("template").at("name").as_string(), "reply_to_continue");
  EXPECT_EQ(body.at("template").at("language").at("code").as_string(), "ru");
  const auto& parameter = body.at("template").at("components").at(0).at("parameters").at(0);
  EXPECT_EQ(parameter.at("type").as_string(), "text");
  EXPECT_EQ(parameter.at("text").as_string(), "Оплата получена. Спасибо!");
}

TEST_F(WhatsAppSenderTest, FailsPermanentlyWhenTheWindowClosedAndNoTemplateIsConfigured) {
  control("POST", "/_sandbox/fail", R"({"recipient":"79161234567","waba_code":131047})");
  auto without_template = config();
  without_template.template_name.clear();
  WhatsAppSender sender(*http_, without_template);

  const auto error = send_failing(sender, "Здравствуйте");

  EXPECT_EQ(error.failure(), Failure::permanent);
  EXPECT_EQ(error.code(), "131047");
  EXPECT_THAT(error.what(), HasSubstr("WABA_TEMPLATE_NAME"));
}

TEST_F(WhatsAppSenderTest, SendsTheTemplateOnRequestWithTheTextAsItsParameter) {
  WhatsAppSender sender(*http_, config());

  const auto sent = run(io_, sender.send_template(client, "Заявка №1001 создана:\nссылка"));

  EXPECT_TRUE(sent.used_template);
  ASSERT_EQ(sent.message_ids.size(), 1u);
  const auto requests = received("waba.messages");
  ASSERT_EQ(requests.size(), 1u);
  const auto& body = requests[0].at("body");
  EXPECT_EQ(body.at("to").as_string(), client);
  EXPECT_EQ(body.at("type").as_string(), "template");
  EXPECT_EQ(body.at("template").at("name").as_string(), "reply_to_continue");
  const auto& parameter = body.at("template").at("components").at(0).at("parameters").at(0);
  EXPECT_EQ(parameter.at("text").as_string(), "Заявка №1001 создана: ссылка");
  EXPECT_EQ(api_.messages()[0].at("id").as_string(), sent.message_ids[0]);
}

TEST_F(WhatsAppSenderTest, RefusesATemplateRequestWhenNoneIsConfigured) {
  auto without_template = config();
  without_template.template_name.clear();
  WhatsAppSender sender(*http_, without_template);

  try {
    run(io_, sender.send_template(client, "Здравствуйте"));
    ADD_FAILURE() << "the send did not fail";
  } catch (const DeliveryError& e) {
    EXPECT_EQ(e.failure(), Failure::permanent);
    EXPECT_THAT(e.what(), HasSubstr("WABA_TEMPLATE_NAME"));
  }
  EXPECT_TRUE(received("waba.messages").empty());
}

TEST_F(WhatsAppSenderTest, ReportsARateLimitAsTransientAndSucceedsOnRetry) {
  fail_next("waba.messages", R"("waba_code":130429)");
  WhatsAppSender sender(*http_, config());

  const auto error = send_failing(sender, "Здравствуйте");
  EXPECT_EQ(error.failure(), Failure::transient);
  EXPECT_EQ(error.code(), "130429");

  EXPECT_EQ(send(sender, "Здравствуйте").message_ids.size(), 1u);
}

TEST_F(WhatsAppSenderTest, ReportsAServerErrorAsTransient) {
  fail_next("waba.messages", R"("status":500)");
  WhatsAppSender sender(*http_, config());

  EXPECT_EQ(send_failing(sender, "Здравствуйте").failure(), Failure::transient);
}

TEST_F(WhatsAppSenderTest, DoesNotRetryAPermanentRefusal) {
  fail_next("waba.messages", R"("waba_code":131026)");
  WhatsAppSender sender(*http_, config());

  const auto error = send_failing(sender, "Здравствуйте");

  EXPECT_EQ(error.failure(), Failure::permanent);
  EXPECT_EQ(error.code(), "131026");
  EXPECT_THAT(error.what(), HasSubstr("Message Undeliverable"));
  EXPECT_EQ(received("waba.messages").size(), 1u);
}

TEST_F(WhatsAppSenderTest, TimesOutOnAHungCallAndSucceedsOnRetry) {
  fail_next("waba.messages", R"("hang":true)");
  auto options = client_options();
  options.request_timeout = std::chrono::milliseconds(300);
  infrastructure::outbound::HttpClient impatient(io_.get_executor(), options);
  WhatsAppSender sender(impatient, config());

  const auto error = send_failing(sender, "Здравствуйте");
  EXPECT_EQ(error.failure(), Failure::transient);
  EXPECT_THAT(error.what(), HasSubstr("timed out"));

  EXPECT_EQ(send(sender, "Здравствуйте").message_ids.size(), 1u);
  impatient.close();
}

TEST_F(WhatsAppSenderTest, ReportsAnExpiredTokenAsAProblemUntilASendWorksAgain) {
  fail_next("waba.messages", R"("waba_code":190)", 2);
  WhatsAppSender sender(*http_, config());

  EXPECT_EQ(send_failing(sender, "один").failure(), Failure::permanent);
  ASSERT_TRUE(sender.problem());
  EXPECT_THAT(*sender.problem(), HasSubstr("190"));
  EXPECT_EQ(send_failing(sender, "два").code(), "190");
  EXPECT_TRUE(sender.problem());

  send(sender, "три");
  EXPECT_FALSE(sender.problem());
}

TEST_F(WhatsAppSenderTest, SaysAnAccountProblemIsAlreadyReportedAndARefusedMessageIsNot) {
  fail_next("waba.messages", R"("waba_code":190)");
  fail_next("waba.messages", R"("waba_code":131026)");
  WhatsAppSender sender(*http_, config());

  EXPECT_TRUE(send_failing(sender, "один").reported());
  EXPECT_FALSE(send_failing(sender, "два").reported());
}

TEST_F(WhatsAppSenderTest, IsRefusedWithAWrongToken) {
  auto wrong = config();
  wrong.access_token = "not-the-token";
  WhatsAppSender sender(*http_, wrong);

  const auto error = send_failing(sender, "Здравствуйте");

  EXPECT_EQ(error.failure(), Failure::permanent);
  EXPECT_EQ(error.code(), "190");
  EXPECT_TRUE(sender.problem());
}

TEST_F(WhatsAppSenderTest, MarksAMessageRead) {
  WhatsAppSender sender(*http_, config());

  run(io_, sender.mark_read("wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQTdCNTg5RTg1QjI2NjNGNTM3NQA="));

  const auto requests = received("waba.messages");
  ASSERT_EQ(requests.size(), 1u);
  const auto& body = requests[0].at("body");
  EXPECT_EQ(body.at("status").as_string(), "read");
  EXPECT_EQ(body.at("message_id").as_string(),
            "wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQTdCNTg5RTg1QjI2NjNGNTM3NQA=");
  EXPECT_EQ(requests[0].at("status").as_int64(), 200);
}

TEST_F(WhatsAppSenderTest, RefusesAnEmptyTextWithoutCallingTheApi) {
  WhatsAppSender sender(*http_, config());

  EXPECT_EQ(send_failing(sender, "  ").failure(), Failure::permanent);
  EXPECT_TRUE(received("waba.messages").empty());
}

TEST_F(WhatsAppSenderTest, ReportsMissingCredentialsAsAProblem) {
  auto unset = config();
  unset.access_token.clear();
  WhatsAppSender sender(*http_, unset);

  EXPECT_TRUE(sender.problem());
  EXPECT_EQ(send_failing(sender, "Здравствуйте").failure(), Failure::permanent);
}

TEST(WhatsAppSenderConfig, RefusesPlainHttpToANonLoopbackHost) {
  boost::asio::io_context io;
  infrastructure::outbound::HttpClient http(io.get_executor(), {});
  WhatsAppConfig config;
  config.api_url = "http://graph.facebook.com/v21.0";
  EXPECT_THROW(WhatsAppSender(http, config), std::invalid_argument);
}

}  // namespace
}  // namespace fixit::testing
