#include "infrastructure/web/waba_parser.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "infrastructure/web/http_types.hpp"
#include "web/test_support.hpp"

namespace fixit::test {
namespace {

using domain::DomainEvent;
using domain::EventType;
using infrastructure::web::parse_waba_notification;
using infrastructure::web::RequestError;
namespace key = domain::key;

std::vector<DomainEvent> parse(std::string_view body) {
  return parse_waba_notification(padded(body)).events;
}

// A notification with one change holding `value_fields`.
std::string notification(const std::string& value_fields, const std::string& field = "messages") {
  return R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{)" +
         value_fields + R"(},"field":")" + field + R"("}]}]})";
}

std::string message(const std::string& id, const std::string& type, const std::string& object,
                    const std::string& from = "79990000001") {
  return R"({"from":")" + from + R"(","id":")" + id + R"(","timestamp":"1764770000","type":")" +
         type + "\"" + (object.empty() ? "" : "," + object) + "}";
}

std::string text_of_single(const std::string& type, const std::string& object) {
  const auto events =
      parse(notification(R"("messages":[)" + message("wamid.1", type, object) + "]"));
  EXPECT_EQ(events.size(), 1u);
  return events.empty() ? std::string{} : events.front().get(key::text);
}

TEST(WabaParser, ReadsATextMessageWithItsSenderAndProfile) {
  const auto events = parse(read_fixture("waba/text.json"));

  ASSERT_EQ(events.size(), 1u);
  const auto& event = events.front();
  EXPECT_EQ(event.type, EventType::MESSAGE);
  EXPECT_EQ(event.key, "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ0RkFLRVRFWFQwMDAwMDAwMDEAA==");
  EXPECT_EQ(event.user_id, "79990000001");
  EXPECT_EQ(event.get(key::message_id), event.key);
  EXPECT_EQ(event.get(key::kind), "text");
  EXPECT_EQ(event.get(key::text),
            "Здравствуйте! Не работает принтер в 3-м кабинете "
            "🖨️😞");
  EXPECT_EQ(event.get(key::timestamp), "1764770000");
  EXPECT_EQ(event.get(key::profile_name), "Иван Петров");
  EXPECT_EQ(event.get(key::phone), "79990000001");
}

TEST(WabaParser, DecodesTheWireFormOfEscapedUnicodeSurrogatePairsAndSlashes) {
  const auto events = parse(read_fixture("waba/text_wire_escaped.json"));

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].get(key::text), "Ссылка: https://example.com/a/b 🙂");
  EXPECT_EQ(events[0].get(key::profile_name), "Иван Петров");
  EXPECT_EQ(events[0].key, "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ0RkFLRVdJUkUwMDAwMDAwMDAwMDEAA==");
}

TEST(WabaParser, TakesTheCaptionOfAMediaMessage) {
  const auto events = parse(read_fixture("waba/image.json"));

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].get(key::kind), "image");
  EXPECT_EQ(events[0].get(key::text), "Фото ошибки на экране");
}

TEST(WabaParser, TakesTheTitleOfAnInteractiveButtonReply) {
  const auto events = parse(read_fixture("waba/interactive_button_reply.json"));

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].get(key::kind), "interactive");
  EXPECT_EQ(events[0].get(key::text), "Да, закрыть");
  EXPECT_EQ(events[0].user_id, "79990000002");
  EXPECT_EQ(events[0].get(key::profile_name), "Maria K.");
}

TEST(WabaParser, KeepsAnUnsupportedMessageWithItsKindAndNoText) {
  const auto events = parse(read_fixture("waba/unsupported.json"));

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].get(key::kind), "unsupported");
  EXPECT_EQ(events[0].get(key::text), "");
  EXPECT_EQ(events[0].user_id, "79990000002");
}

TEST(WabaParser, ReadsADeliveredStatusWithoutContacts) {
  const auto events = parse(read_fixture("waba/status_delivered.json"));

  ASSERT_EQ(events.size(), 1u);
  const auto& event = events[0];
  EXPECT_EQ(event.type, EventType::MESSAGE_STATUS);
  EXPECT_EQ(event.key,
            "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ0RkFLRU9VVEJPVU5EMDAwMDAwMDEAA==:delivered");
  EXPECT_EQ(event.user_id, "79990000001");
  EXPECT_EQ(event.get(key::message_id),
            "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ0RkFLRU9VVEJPVU5EMDAwMDAwMDEAA==");
  EXPECT_EQ(event.get(key::status), "delivered");
  EXPECT_EQ(event.get(key::timestamp), "1764770480");
  EXPECT_FALSE(event.has(key::error_code));
}

TEST(WabaParser, ReadsTheFirstErrorOfAFailedStatus) {
  const auto events = parse(read_fixture("waba/status_failed.json"));

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].get(key::status), "failed");
  EXPECT_EQ(events[0].get(key::error_code), "131047");
  EXPECT_EQ(events[0].get(key::error_title), "Re-engagement message");
  EXPECT_EQ(events[0].user_id, "79990000002");
  EXPECT_THAT(events[0].key, ::testing::EndsWith(":failed"));
}

TEST(WabaParser, ReadsEveryChangeOfABatch) {
  const auto events = parse(read_fixture("waba/batch_two_messages.json"));

  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].user_id, "79990000001");
  EXPECT_EQ(events[0].get(key::text), "Первое сообщение");
  EXPECT_EQ(events[0].get(key::profile_name), "Иван Петров");
  EXPECT_EQ(events[1].user_id, "79990000002");
  EXPECT_EQ(events[1].get(key::text), "Second message, same POST");
  EXPECT_EQ(events[1].get(key::profile_name), "Maria K.");
}

TEST(WabaParser, ReadsEveryEntryChangeMessageAndStatusOfALargeBatch) {
  std::string messages;
  std::string contacts;
  for (int i = 0; i < 1000; ++i) {
    const auto from = "7999" + std::to_string(1000000 + i);
    messages +=
        (i ? "," : "") + message("wamid.big." + std::to_string(i), "text",
                                 R"("text":{"body":"сообщение )" + std::to_string(i) + "\"}", from);
    contacts += std::string(i ? "," : "") + R"({"profile":{"name":"User )" + std::to_string(i) +
                R"("},"wa_id":")" + from + "\"}";
  }
  const auto statuses =
      R"("statuses":[{"id":"wamid.out.1","status":"read","timestamp":"1","recipient_id":"7"}])";
  const auto body = R"({"object":"whatsapp_business_account","entry":[)"
                    R"({"id":"1","changes":[{"field":"messages","value":{"contacts":[)" +
                    contacts + R"(],"messages":[)" + messages + "]," + statuses + "}}]}," +
                    R"({"id":"2","changes":[{"field":"messages","value":{"messages":[)" +
                    message("wamid.second.entry", "text", R"("text":{"body":"last"})") + "]}}]}]}";

  const auto events = parse(body);

  ASSERT_EQ(events.size(), 1002u);
  EXPECT_EQ(events[0].get(key::text), "сообщение 0");
  EXPECT_EQ(events[999].key, "wamid.big.999");
  EXPECT_EQ(events[999].get(key::profile_name), "User 999");
  EXPECT_EQ(events[1000].type, EventType::MESSAGE_STATUS);
  EXPECT_EQ(events[1001].key, "wamid.second.entry");
}

TEST(WabaParser, ReadsMessagesAndStatusesOfOneValue) {
  const auto events = parse(notification(
      R"("statuses":[{"id":"wamid.out","status":"sent","timestamp":"1","recipient_id":"7"}],)"
      R"("messages":[)" +
      message("wamid.in", "text", R"("text":{"body":"hi"})") + "]"));

  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::MESSAGE);
  EXPECT_EQ(events[1].type, EventType::MESSAGE_STATUS);
  EXPECT_EQ(events[1].key, "wamid.out:sent");
}

TEST(WabaParser, FindsTheProfileWhenContactsComeAfterMessages) {
  const auto events = parse(notification(
      R"("messages":[)" + message("wamid.1", "text", R"("text":{"body":"hi"})", "79990000005") +
      R"(],"contacts":[{"profile":{"name":"Late Contact"},"wa_id":"79990000005"}])"));

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].get(key::profile_name), "Late Contact");
}

TEST(WabaParser, ReadsTheFieldWhetherItComesBeforeOrAfterTheValue) {
  const auto body = R"({"entry":[{"changes":[{"field":"messages","value":{"messages":[)" +
                    message("wamid.1", "text", R"("text":{"body":"hi"})") + "]}}]}]}";

  EXPECT_EQ(parse(body).size(), 1u);
}

TEST(WabaParser, ToleratesMissingContactsProfileAndWaId) {
  const auto no_contacts = parse(
      notification(R"("messages":[)" + message("wamid.1", "text", R"("text":{"body":"a"})") + "]"));
  const auto no_profile =
      parse(notification(R"("contacts":[{"wa_id":"79990000001"}],"messages":[)" +
                         message("wamid.2", "text", R"("text":{"body":"b"})") + "]"));
  const auto no_wa_id =
      parse(notification(R"("contacts":[{"profile":{"name":"N"}}],"messages":[)" +
                         message("wamid.3", "text", R"("text":{"body":"c"})") + "]"));

  ASSERT_EQ(no_contacts.size(), 1u);
  EXPECT_FALSE(no_contacts[0].has(key::profile_name));
  ASSERT_EQ(no_profile.size(), 1u);
  EXPECT_FALSE(no_profile[0].has(key::profile_name));
  ASSERT_EQ(no_wa_id.size(), 1u);
  EXPECT_EQ(no_wa_id[0].user_id, "79990000001");
}

TEST(WabaParser, FallsBackToTheContactWhenTheSenderIsMissing) {
  const auto by_wa_id = parse(notification(
      R"("contacts":[{"profile":{"name":"Olga"},"wa_id":"79990000009"}],)"
      R"("messages":[{"id":"wamid.x","timestamp":"1","type":"text","text":{"body":"hi"}}])"));
  const auto by_user_id = parse(notification(
      R"("contacts":[{"profile":{"name":"Nick"},"user_id":"US.1349120865"}],)"
      R"("messages":[{"id":"wamid.y","timestamp":"1","type":"text","text":{"body":"hi"}}])"));

  ASSERT_EQ(by_wa_id.size(), 1u);
  EXPECT_EQ(by_wa_id[0].user_id, "79990000009");
  EXPECT_EQ(by_wa_id[0].get(key::phone), "79990000009");
  EXPECT_EQ(by_wa_id[0].get(key::profile_name), "Olga");
  ASSERT_EQ(by_user_id.size(), 1u);
  EXPECT_EQ(by_user_id[0].user_id, "US.1349120865");
  EXPECT_FALSE(by_user_id[0].has(key::phone));
  EXPECT_EQ(by_user_id[0].get(key::profile_name), "Nick");
}

TEST(WabaParser, TakesTheProfileOfALoneContactWhoseWaIdIsSpelledDifferently) {
  const auto events = parse(notification(
      R"("contacts":[{"profile":{"name":"Ana"},"wa_id":"551187654321"}],"messages":[)" +
      message("wamid.br", "text", R"("text":{"body":"oi"})", "5511987654321") + "]"));

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].user_id, "5511987654321");
  EXPECT_EQ(events[0].get(key::phone), "5511987654321");
  EXPECT_EQ(events[0].get(key::profile_name), "Ana");
}

TEST(WabaParser, ToleratesErrorsAtEveryLevel) {
  const auto events =
      parse(notification(R"("errors":[{"code":131000,"title":"Something went wrong"}],"messages":[)"
                         R"({"from":"7","id":"wamid.e","timestamp":"1","type":"interactive",)"
                         R"("errors":[{"code":131000,"title":"x"}]}])"));

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].get(key::kind), "interactive");
  EXPECT_EQ(events[0].get(key::text), "");
}

TEST(WabaParser, SkipsChangesOfOtherFields) {
  const auto notification_body = notification(
      R"("messages":[)" + message("wamid.echo", "text", R"("text":{"body":"x"})") + "]",
      "smb_message_echoes");
  const auto result = parse_waba_notification(padded(notification_body));

  EXPECT_TRUE(result.events.empty());
  EXPECT_GT(result.skipped, 0u);
  EXPECT_TRUE(parse(notification(R"("event":"VERIFIED_ACCOUNT")", "account_update")).empty());
}

TEST(WabaParser, SkipsItemsWithoutAnId) {
  const auto result = parse_waba_notification(
      padded(notification(R"("messages":[{"from":"7","type":"text","text":{"body":"x"}}],)"
                          R"("statuses":[{"status":"read","recipient_id":"7"}])")));

  EXPECT_TRUE(result.events.empty());
  EXPECT_EQ(result.skipped, 2u);
}

TEST(WabaParser, TakesTheTextOfEveryKnownKind) {
  EXPECT_EQ(text_of_single("video", R"("video":{"id":"1","caption":"видео"})"), "видео");
  EXPECT_EQ(
      text_of_single("document", R"("document":{"id":"1","filename":"a.pdf","caption":"акт"})"),
      "акт");
  EXPECT_EQ(text_of_single("audio", R"("audio":{"id":"1","voice":true})"), "");
  EXPECT_EQ(text_of_single("sticker", R"("sticker":{"id":"1","animated":false})"), "");
  EXPECT_EQ(text_of_single("interactive", R"("interactive":{"type":"list_reply","list_reply":)"
                                          R"({"id":"r1","title":"Ремонт","description":"d"}})"),
            "Ремонт");
  EXPECT_EQ(text_of_single("button", R"("button":{"payload":"P","text":"Подтвердить"})"),
            "Подтвердить");
  EXPECT_EQ(text_of_single("reaction", R"("reaction":{"message_id":"wamid.0","emoji":"👍"})"), "👍");
  EXPECT_EQ(text_of_single("reaction", R"("reaction":{"message_id":"wamid.0"})"), "");
  EXPECT_EQ(text_of_single("location", R"("location":{"latitude":55.75,"longitude":37.61,)"
                                       R"("name":"Офис","address":"Тверская, 1"})"),
            "Офис, Тверская, 1");
  EXPECT_EQ(text_of_single("location", R"("location":{"latitude":55.75,"longitude":37.61})"), "");
  EXPECT_EQ(
      text_of_single("order", R"("order":{"catalog_id":"c","text":"Заказ","product_items":[]})"),
      "Заказ");
  EXPECT_EQ(
      text_of_single("system",
                     R"("system":{"body":"User changed number","type":"user_changed_number"})"),
      "User changed number");
  EXPECT_EQ(
      text_of_single("contacts", R"("contacts":[{"name":{"formatted_name":"Анна Б."},"phones":[]},)"
                                 R"({"name":{"first_name":"Иван","last_name":"К."}}])"),
      "Анна Б., Иван К.");
}

TEST(WabaParser, KeepsKindsNotYetInventedWithTheirText) {
  const auto events = parse(notification(
      R"("messages":[)" +
      message("wamid.new", "hologram", R"("hologram":{"id":"9","caption":"3D"})") + "]"));

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].get(key::kind), "hologram");
  EXPECT_EQ(events[0].get(key::text), "3D");
}

TEST(WabaParser, ToleratesNumbersWhereStringsAreDocumented) {
  const auto events = parse(notification(
      R"("messages":[{"from":79990000001,"id":"wamid.n","timestamp":1764770000,"type":"text",)"
      R"("text":{"body":"x"}}])"));

  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].user_id, "79990000001");
  EXPECT_EQ(events[0].get(key::timestamp), "1764770000");
}

TEST(WabaParser, RejectsABodyThatIsNotAJsonObject) {
  for (const std::string_view body :
       {"not json", "", "[1,2]", "\"text\"", R"({"entry":[)", R"({"entry":[]} trailing)"}) {
    try {
      parse_waba_notification(padded(body));
      ADD_FAILURE() << "accepted: " << body;
    } catch (const RequestError& error) {
      EXPECT_EQ(error.status(), 400u) << body;
    }
  }
}

TEST(WabaParser, ReadsABodyWithoutSpareCapacity) {
  const std::string body = read_fixture("waba/text.json");
  std::string tight(body.begin(), body.end());
  tight.shrink_to_fit();

  EXPECT_EQ(parse_waba_notification(tight).events.size(), 1u);
}

}  // namespace
}  // namespace fixit::test
