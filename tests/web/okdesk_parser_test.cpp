#include "infrastructure/web/okdesk_parser.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "infrastructure/web/html_text.hpp"
#include "infrastructure/web/http_types.hpp"
#include "web/test_support.hpp"

namespace fixit::test {
namespace {

using domain::EventType;
using infrastructure::web::html_to_text;
using infrastructure::web::parse_okdesk_webhook;
using infrastructure::web::RequestError;
namespace key = domain::key;

std::string comment_event(const std::string& comment, const std::string& author_type = "employee") {
  return R"({"event":{"event_type":"new_comment","author":{"id":"12","type":")" + author_type +
         R"("},"comment":)" + comment + R"(},"issue":{"id":"77"}})";
}

unsigned status_of_error(const std::string& body) {
  try {
    parse_okdesk_webhook(padded(body));
  } catch (const RequestError& error) {
    return error.status();
  }
  return 0;
}

TEST(OkdeskParser, TurnsAStatusChangeIntoAnIssueUpdate) {
  const auto result =
      parse_okdesk_webhook(padded(read_fixture("okdesk/webhook_new_ticket_status.json")));

  ASSERT_TRUE(result.event);
  const auto& event = *result.event;
  EXPECT_EQ(event.type, EventType::ISSUE_UPDATED);
  EXPECT_EQ(event.key, "okdesk:1042:new_ticket_status:completed:c88231");
  EXPECT_EQ(event.user_id, "");
  EXPECT_EQ(event.get(key::issue_id), "1042");
  EXPECT_EQ(event.get(key::event_type), "new_ticket_status");
  EXPECT_EQ(event.get(key::old_status_code), "in_progress");
  EXPECT_EQ(event.get(key::old_status_name), "В работе");
  EXPECT_EQ(event.get(key::new_status_code), "completed");
  EXPECT_EQ(event.get(key::new_status_name), "Решена");
  EXPECT_EQ(event.get(key::comment),
            "Переустановили драйвер принтера чеков.\nПроверьте, пожалуйста, печать.");
  EXPECT_EQ(event.get(key::phone), "79165550123");
}

TEST(OkdeskParser, TurnsAPublicEmployeeCommentIntoAnIssueUpdate) {
  const auto result =
      parse_okdesk_webhook(padded(read_fixture("okdesk/webhook_new_comment_employee.json")));

  ASSERT_TRUE(result.event);
  const auto& event = *result.event;
  EXPECT_EQ(event.key, "okdesk:1042:new_comment:88197");
  EXPECT_EQ(event.get(key::issue_id), "1042");
  EXPECT_EQ(event.get(key::event_type), "new_comment");
  EXPECT_EQ(event.get(key::comment),
            "Ольга, добрый день!\nПодскажите модель кассы и версию прошивки «Атол»?");
  EXPECT_FALSE(event.has(key::new_status_code));
  EXPECT_EQ(event.get(key::phone), "79165550123");
}

TEST(OkdeskParser, IgnoresACommentThatIsNotPublic) {
  const auto result = parse_okdesk_webhook(
      padded(comment_event(R"({"id":"5","is_public":false,"content":"internal"})")));

  EXPECT_FALSE(result.event);
  EXPECT_EQ(result.event_type, "new_comment");
  EXPECT_EQ(result.issue_id, "77");
  EXPECT_EQ(result.ignored, "comment is not public");
}

TEST(OkdeskParser, IgnoresACommentWithoutAPublicFlag) {
  EXPECT_FALSE(parse_okdesk_webhook(padded(comment_event(R"({"id":"5","content":"?"})"))).event);
}

TEST(OkdeskParser, ReadsAPublicFlagWrittenAsText) {
  EXPECT_TRUE(
      parse_okdesk_webhook(padded(comment_event(R"({"id":"5","is_public":"true","content":"ok"})")))
          .event);
}

TEST(OkdeskParser, IgnoresACommentTheClientWrote) {
  const auto result = parse_okdesk_webhook(
      padded(comment_event(R"({"id":"6","is_public":true,"content":"спасибо"})", "contact")));

  EXPECT_FALSE(result.event);
  EXPECT_EQ(result.ignored, "comment written by the client");
}

TEST(OkdeskParser, DropsAPrivateCommentFromAStatusChange) {
  const auto result = parse_okdesk_webhook(padded(
      R"({"event":{"event_type":"new_ticket_status","old_status":{"code":"opened","name":"Открыта"},)"
      R"("new_status":{"code":"delayed","name":"Отложена"},)"
      R"("comment":{"id":"9","is_public":false,"content":"клиент не отвечает"}},"issue":{"id":"5"}})"));

  ASSERT_TRUE(result.event);
  EXPECT_FALSE(result.event->has(key::comment));
  EXPECT_EQ(result.event->get(key::new_status_code), "delayed");
}

TEST(OkdeskParser, TellsRepeatedChangesToOneStatusApartButNotRetriesOfOne) {
  const auto change = [](const std::string& completed_at) {
    return R"({"event":{"event_type":"new_ticket_status","old_status":{"code":"in_progress"},)"
           R"("new_status":{"code":"completed"}},"issue":{"id":"5","completed_at":")" +
           completed_at + "\"}}";
  };

  const auto first = parse_okdesk_webhook(padded(change("2025-03-14T12:00:00")));
  const auto retry = parse_okdesk_webhook(padded(change("2025-03-14T12:00:00")));
  const auto later = parse_okdesk_webhook(padded(change("2025-03-20T09:00:00")));

  ASSERT_TRUE(first.event && retry.event && later.event);
  EXPECT_THAT(first.event->key, ::testing::StartsWith("okdesk:5:new_ticket_status:completed:"));
  EXPECT_EQ(first.event->key, retry.event->key);
  EXPECT_NE(first.event->key, later.event->key);
}

TEST(OkdeskParser, TakesStatusesFromTheIssueWhenTheEventLacksThem) {
  const auto result = parse_okdesk_webhook(padded(
      R"({"event":{"event_type":"new_ticket_status"},"issue":{"id":5,)"
      R"("status":{"code":"closed","name":"Закрыта"},"old_status":{"code":"completed","name":"Решена"}}})"));

  ASSERT_TRUE(result.event);
  EXPECT_EQ(result.event->get(key::issue_id), "5");
  EXPECT_EQ(result.event->get(key::new_status_code), "closed");
  EXPECT_EQ(result.event->get(key::old_status_code), "completed");
}

TEST(OkdeskParser, AcknowledgesOtherEventTypesWithoutAnEvent) {
  const auto result = parse_okdesk_webhook(
      padded(R"({"event":{"event_type":"new_assignee"},"issue":{"id":"1042"}})"));

  EXPECT_FALSE(result.event);
  EXPECT_EQ(result.event_type, "new_assignee");
  EXPECT_EQ(result.ignored, "event type not used");
}

TEST(OkdeskParser, RejectsAnEventItActsOnWithoutAnIssueId) {
  EXPECT_EQ(status_of_error(R"({"event":{"event_type":"new_ticket_status",)"
                            R"("new_status":{"code":"completed"}},"issue":{}})"),
            422u);
  EXPECT_EQ(status_of_error(R"({"issue":{"id":"1"}})"), 422u);
  EXPECT_EQ(status_of_error(comment_event(R"({"is_public":true,"content":"no id"})")), 422u);
}

TEST(OkdeskParser, RejectsABodyThatIsNotJson) {
  EXPECT_EQ(status_of_error("event=new_comment"), 400u);
  EXPECT_EQ(status_of_error("[]"), 400u);
}

TEST(HtmlToText, TurnsBreaksAndBlocksIntoLinesAndDropsTags) {
  EXPECT_EQ(html_to_text("<div>one<br>two<br/>three</div><p>four</p><p>five</p>"),
            "one\ntwo\nthree\nfour\nfive");
  EXPECT_EQ(html_to_text("<ul><li>a</li><li>b</li></ul>"), "a\nb");
  EXPECT_EQ(html_to_text("<b>bold</b> and <a href=\"x\">link</a>"), "bold and link");
  EXPECT_EQ(html_to_text("a<br><br>b"), "a\n\nb");
  EXPECT_EQ(html_to_text("a<br><br><br><br>b"), "a\n\nb");
}

TEST(HtmlToText, CollapsesWhiteSpaceAsABrowserShowsIt) {
  EXPECT_EQ(html_to_text("  <p>\n  many   spaces\n here </p>  "), "many spaces here");
  EXPECT_EQ(html_to_text("x&nbsp;&nbsp;y"), "x y");
}

TEST(HtmlToText, DecodesNamedAndNumericCharacterReferences) {
  EXPECT_EQ(html_to_text("&laquo;Атол&raquo; &amp; &lt;tag&gt; &quot;q&quot; &#39;s&#39;"),
            "«Атол» & <tag> \"q\" 's'");
  EXPECT_EQ(html_to_text("&#8470;5 &#x2116;6 &mdash; &hellip;"), "№5 №6 — …");
  EXPECT_EQ(html_to_text("&#128578;"), "🙂");
}

TEST(HtmlToText, LeavesUnknownReferencesAndLoneSymbolsAsWritten) {
  EXPECT_EQ(html_to_text("AT&T &unknown; a < b &#xZZ;"), "AT&T &unknown; a < b &#xZZ;");
}

TEST(HtmlToText, DropsScriptsStylesAndComments) {
  EXPECT_EQ(html_to_text("<style>p{color:red}</style>text<!-- note --><script>x()</script>"),
            "text");
}

}  // namespace
}  // namespace fixit::test
