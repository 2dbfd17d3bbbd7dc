#include "infrastructure/outbound/okdesk_issue_creator.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "application/errors.hpp"
#include "outbound/support.hpp"

namespace fixit::testing {
namespace {

using application::CreatedIssue;
using application::DeliveryError;
using application::Failure;
using application::IssueRequest;
using infrastructure::outbound::okdesk_error_message;
using infrastructure::outbound::OkdeskConfig;
using infrastructure::outbound::OkdeskIssueCreator;
using infrastructure::outbound::phone_spellings;
using infrastructure::outbound::split_person_name;
using infrastructure::outbound::ticket_link_problem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

TEST(OkdeskErrorMessage, ReadsAFieldObjectAsOneSentence) {
  EXPECT_EQ(okdesk_error_message(read_fixture("okdesk/api_error_422_example.json")),
            "phone: имеет неверный формат; company_id: должно иметь тип integer");
}

TEST(OkdeskErrorMessage, ReadsAString) {
  EXPECT_EQ(okdesk_error_message(R"({"errors":"Заявка не найдена"})"), "Заявка не найдена");
}

TEST(OkdeskErrorMessage, ReadsAnArray) {
  EXPECT_EQ(okdesk_error_message(R"({"errors":["Неверный статус","Нет доступа"]})"),
            "Неверный статус, Нет доступа");
}

TEST(OkdeskErrorMessage, ReadsNestedFields) {
  EXPECT_EQ(okdesk_error_message(R"({"errors":{"page":{"size":["должно быть меньше 100"]}}})"),
            "page.size: должно быть меньше 100");
}

TEST(OkdeskErrorMessage, QuotesABodyThatIsNotJson) {
  EXPECT_EQ(okdesk_error_message("<html>502 Bad Gateway</html>"), "<html>502 Bad Gateway</html>");
  EXPECT_EQ(okdesk_error_message(""), "no details");
}

TEST(PhoneSpellings, TriesTheUsualSpellingsOfARussianNumber) {
  EXPECT_THAT(phone_spellings("79161234567"),
              ElementsAre("79161234567", "+79161234567", "89161234567"));
  EXPECT_THAT(phone_spellings("+7 (916) 123-45-67"),
              ElementsAre("79161234567", "+79161234567", "89161234567"));
  EXPECT_THAT(phone_spellings("89161234567"),
              ElementsAre("79161234567", "+79161234567", "89161234567"));
}

TEST(PhoneSpellings, TriesWithAndWithoutPlusElsewhere) {
  EXPECT_THAT(phone_spellings("4915112345678"), ElementsAre("4915112345678", "+4915112345678"));
  EXPECT_TRUE(phone_spellings("").empty());
}

TEST(SplitPersonName, TakesTheFirstWordAsTheFirstName) {
  const auto name = split_person_name("  Ольга   Смирнова ");
  EXPECT_EQ(name.first, "Ольга");
  EXPECT_EQ(name.last, "Смирнова");
  EXPECT_EQ(name.patronymic, "");
}

TEST(SplitPersonName, ReadsAFullRussianNameSurnameFirst) {
  const auto name = split_person_name("Смирнова Ольга Игоревна");
  EXPECT_EQ(name.last, "Смирнова");
  EXPECT_EQ(name.first, "Ольга");
  EXPECT_EQ(name.patronymic, "Игоревна");
}

TEST(SplitPersonName, KeepsASingleWordAsTheFirstName) {
  const auto name = split_person_name("Ольга");
  EXPECT_EQ(name.first, "Ольга");
  EXPECT_EQ(name.last, "");
}

TEST(GenerateTicketLink, PointsAtTheIssuePageByDefault) {
  boost::asio::io_context io;
  infrastructure::outbound::HttpClient http(io.get_executor(), {});
  OkdeskIssueCreator creator(http, {"https://fixit.okdesk.ru/", "token", ""});
  EXPECT_EQ(creator.generate_ticket_link("1042"), "https://fixit.okdesk.ru/issues/1042");
}

TEST(GenerateTicketLink, FillsAConfiguredPattern) {
  boost::asio::io_context io;
  infrastructure::outbound::HttpClient http(io.get_executor(), {});
  OkdeskIssueCreator creator(
      http, {"https://fixit.okdesk.ru", "token", "https://support.fixit.ru/portal/issues/{id}"});
  EXPECT_EQ(creator.generate_ticket_link("1042"), "https://support.fixit.ru/portal/issues/1042");
}

TEST(GenerateTicketLink, ResolvesAPathPatternAgainstTheOkdeskUrl) {
  boost::asio::io_context io;
  infrastructure::outbound::HttpClient http(io.get_executor(), {});
  OkdeskIssueCreator creator(http, {"https://fixit.okdesk.ru/", "token", "/portal/issues/{id}"});
  EXPECT_EQ(creator.generate_ticket_link("1042"), "https://fixit.okdesk.ru/portal/issues/1042");
}

TEST(GenerateTicketLink, KeepsThePathOfAnOkdeskUrlOnAnOwnDomain) {
  boost::asio::io_context io;
  infrastructure::outbound::HttpClient http(io.get_executor(), {});
  OkdeskIssueCreator creator(http, {"https://support.fixit.ru/okdesk", "token", ""});
  EXPECT_EQ(creator.generate_ticket_link("1042"), "https://support.fixit.ru/okdesk/issues/1042");
}

TEST(GenerateTicketLink, EncodesAnIdThatIsNotANumber) {
  boost::asio::io_context io;
  infrastructure::outbound::HttpClient http(io.get_executor(), {});
  OkdeskIssueCreator creator(http, {"https://fixit.okdesk.ru", "token", ""});
  EXPECT_EQ(creator.generate_ticket_link("A 7/2"), "https://fixit.okdesk.ru/issues/A%207%2F2");
}

TEST(TicketLinkProblem, AcceptsAnHttpsLinkAPathAndTheDefault) {
  EXPECT_EQ(ticket_link_problem(""), std::nullopt);
  EXPECT_EQ(ticket_link_problem("https://support.fixit.ru/issues/{id}"), std::nullopt);
  EXPECT_EQ(ticket_link_problem("/portal/issues/{id}"), std::nullopt);
}

TEST(TicketLinkProblem, RefusesAPatternWithoutTheIdPlaceholder) {
  EXPECT_THAT(ticket_link_problem("https://support.fixit.ru/issues/"), Optional(HasSubstr("{id}")));
}

TEST(TicketLinkProblem, RefusesAnAbsoluteLinkThatIsNotHttp) {
  EXPECT_THAT(ticket_link_problem("ftp://support.fixit.ru/issues/{id}"),
              Optional(HasSubstr("http or https")));
  EXPECT_THAT(ticket_link_problem("javascript:alert({id})"), Optional(HasSubstr("http or https")));
}

TEST(OkdeskConfigCheck, RefusesATicketLinkPatternThatCannotMakeLinks) {
  boost::asio::io_context io;
  infrastructure::outbound::HttpClient http(io.get_executor(), {});
  EXPECT_THROW(OkdeskIssueCreator(http, {"https://fixit.okdesk.ru", "token", "/portal/issues/"}),
               std::invalid_argument);
}

TEST(OkdeskConfigCheck, RefusesPlainHttpToANonLoopbackHost) {
  boost::asio::io_context io;
  infrastructure::outbound::HttpClient http(io.get_executor(), {});
  EXPECT_THROW(OkdeskIssueCreator(http, {"http://fixit.okdesk.ru", "token", ""}),
               std::invalid_argument);
}

class OkdeskIssueCreatorTest : public SandboxTest {
 protected:
  OkdeskConfig config() { return {base_url(), okdesk_token, ""}; }

  static IssueRequest request() {
    IssueRequest request;
    request.issue.title = "WhatsApp: не печатает кассовый аппарат";
    request.issue.description =
        "Клиент: Ольга Смирнова\nКомпания: Ромашка\nПроблема: касса не печатает чеки";
    request.client = {"79161234567", "Ольга Смирнова", "79161234567"};
    request.company = "Ромашка";
    return request;
  }

  CreatedIssue create(OkdeskIssueCreator& creator) {
    return run(io_, creator.create_issue(request()));
  }

  DeliveryError create_failing(OkdeskIssueCreator& creator) {
    try {
      create(creator);
    } catch (const DeliveryError& e) {
      return e;
    }
    ADD_FAILURE() << "the issue creation did not fail";
    return DeliveryError(Failure::transient, "none");
  }

  std::string seed_fixture_contact() {
    auto contact = read_fixture("okdesk/api_contact_search_response.json");
    control("POST", "/_sandbox/contacts", contact);
    return contact;
  }
};

TEST_F(OkdeskIssueCreatorTest, CreatesTheContactAndTheIssueForANewClient) {
  OkdeskIssueCreator creator(*http_, config());

  const auto created = create(creator);

  EXPECT_EQ(created.id, "1001");
  EXPECT_EQ(created.link, base_url() + "/issues/1001");

  // Every usual spelling was tried, the '+' one arriving intact.
  const auto searches = received("okdesk.contacts.search");
  ASSERT_EQ(searches.size(), 3u);
  EXPECT_EQ(searches[0].at("query").at("phone").as_string(), "79161234567");
  EXPECT_EQ(searches[1].at("query").at("phone").as_string(), "+79161234567");
  EXPECT_EQ(searches[2].at("query").at("phone").as_string(), "89161234567");

  const auto contacts = api_.contacts();
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0].at("first_name").as_string(), "Ольга");
  EXPECT_EQ(contacts[0].at("last_name").as_string(), "Смирнова");
  EXPECT_EQ(contacts[0].at("phone").as_string(), "+79161234567");

  const auto issues = api_.issues();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].at("title").as_string(), "WhatsApp: не печатает кассовый аппарат");
  EXPECT_EQ(issues[0].at("contact").at("id"), contacts[0].at("id"));
  EXPECT_EQ(issues[0].at("description").as_string(),
            "Клиент: Ольга Смирнова<br>Компания: Ромашка<br>Проблема: касса не печатает чеки");

  const auto posted = received("okdesk.issues.create");
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_TRUE(posted[0].at("body").as_object().contains("issue"));
  EXPECT_EQ(posted[0].at("query").at("api_token").as_string(), "***");
}

TEST_F(OkdeskIssueCreatorTest, FindsAnExistingContactStoredWithAPlus) {
  control(
      "POST", "/_sandbox/contacts",
      R"({"first_name":"Ольга","last_name":"Смирнова","phone":"+79161234567","company_id":215})");
  OkdeskIssueCreator creator(*http_, config());

  create(creator);

  EXPECT_EQ(received("okdesk.contacts.search").size(), 2u);
  EXPECT_TRUE(received("okdesk.contacts.create").empty());
  const auto issues = api_.issues();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].at("contact").at("id").as_int64(), 5001);
  EXPECT_EQ(issues[0].at("company_id").as_int64(), 215);
}

TEST_F(OkdeskIssueCreatorTest, ReadsAContactSearchAnswerGivenAsOneObject) {
  seed_fixture_contact();
  fail_next("okdesk.contacts.search",
            R"("status":200,"body":)" + read_fixture("okdesk/api_contact_search_response.json"));
  OkdeskIssueCreator creator(*http_, config());

  create(creator);

  const auto issues = api_.issues();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].at("contact").at("id").as_int64(), 3381);
  EXPECT_EQ(issues[0].at("company_id").as_int64(), 215);
  EXPECT_TRUE(received("okdesk.contacts.create").empty());
}

TEST_F(OkdeskIssueCreatorTest, ReadsAContactSearchAnswerGivenAsAnArray) {
  seed_fixture_contact();
  fail_next(
      "okdesk.contacts.search",
      R"("status":200,"body":[)" + read_fixture("okdesk/api_contact_search_response.json") + "]");
  OkdeskIssueCreator creator(*http_, config());

  create(creator);

  const auto issues = api_.issues();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].at("contact").at("id").as_int64(), 3381);
}

TEST_F(OkdeskIssueCreatorTest, ReadsTheIssueIdFromARealCreateAnswer) {
  fail_next("okdesk.issues.create",
            R"("status":200,"body":)" + read_fixture("okdesk/api_create_issue_response.json"));
  OkdeskIssueCreator creator(*http_, config());

  const auto created = create(creator);

  EXPECT_EQ(created.id, "1042");
  EXPECT_EQ(created.link, base_url() + "/issues/1042");
}

TEST_F(OkdeskIssueCreatorTest, AcceptsAnAnswerWhoseErrorsAreEmpty) {
  fail_next("okdesk.issues.create", R"("status":200,"body":{"id":1043,"errors":[]})");
  OkdeskIssueCreator creator(*http_, config());

  EXPECT_EQ(create(creator).id, "1043");
}

TEST_F(OkdeskIssueCreatorTest, ReadsSearchAnswersInEveryShapeTheSandboxGives) {
  control("POST", "/_sandbox/contacts",
          R"({"first_name":"Ольга","last_name":"Смирнова","phone":"79161234567"})");
  OkdeskIssueCreator creator(*http_, config());

  for (const auto* shape : {"array", "wrapped", "object"}) {
    control("POST", "/_sandbox/config", std::string(R"({"contact_search":")") + shape + R"("})");
    create(creator);
  }

  const auto issues = api_.issues();
  ASSERT_EQ(issues.size(), 3u);
  for (const auto& issue : issues) {
    EXPECT_EQ(issue.at("contact").at("id").as_int64(), 5001);
  }
  EXPECT_TRUE(received("okdesk.contacts.create").empty());
}

TEST_F(OkdeskIssueCreatorTest, LinksANewContactToTheCompanyFoundByName) {
  control("POST", "/_sandbox/companies", R"({"name":"Ромашка","id":215})");
  OkdeskIssueCreator creator(*http_, config());

  create(creator);

  const auto contacts = api_.contacts();
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0].at("company_id").as_int64(), 215);
  EXPECT_EQ(api_.issues()[0].at("company_id").as_int64(), 215);
}

TEST_F(OkdeskIssueCreatorTest, CreatesExactlyOneIssueWhenOkdeskFailsTwiceThenRecovers) {
  fail_next("okdesk.issues.create", R"("status":500)", 2);
  OkdeskIssueCreator creator(*http_, config());

  const auto first = create_failing(creator);
  EXPECT_EQ(first.failure(), Failure::transient);
  EXPECT_EQ(first.code(), "500");
  EXPECT_EQ(create_failing(creator).failure(), Failure::transient);
  const auto created = create(creator);

  EXPECT_EQ(api_.issues().size(), 1u);
  EXPECT_EQ(api_.contacts().size(), 1u);  // the retries found the contact made the first time
  EXPECT_EQ(created.id, "1001");
}

TEST_F(OkdeskIssueCreatorTest, TimesOutOnAHungCallAndSucceedsOnRetry) {
  fail_next("okdesk.issues.create", R"("hang":true)");
  auto options = client_options();
  options.request_timeout = std::chrono::milliseconds(300);
  infrastructure::outbound::HttpClient impatient(io_.get_executor(), options);
  OkdeskIssueCreator creator(impatient, config());

  const auto error = create_failing(creator);
  EXPECT_EQ(error.failure(), Failure::transient);
  EXPECT_THAT(error.what(), HasSubstr("timed out"));

  create(creator);
  EXPECT_EQ(api_.issues().size(), 1u);
  impatient.close();
}

TEST_F(OkdeskIssueCreatorTest, TreatsTooManyRequestsAsTransient) {
  fail_next("okdesk.contacts.search", R"("status":429)");
  OkdeskIssueCreator creator(*http_, config());

  const auto error = create_failing(creator);

  EXPECT_EQ(error.failure(), Failure::transient);
  EXPECT_EQ(error.code(), "429");
}

TEST_F(OkdeskIssueCreatorTest, ReportsAValidationErrorAsOnePermanentMessage) {
  fail_next("okdesk.issues.create",
            R"("status":422,"body":)" + read_fixture("okdesk/api_error_422_example.json"));
  OkdeskIssueCreator creator(*http_, config());

  const auto error = create_failing(creator);

  EXPECT_EQ(error.failure(), Failure::permanent);
  EXPECT_EQ(error.code(), "422");
  EXPECT_THAT(error.what(), HasSubstr("phone: имеет неверный формат; company_id: должно иметь "
                                      "тип integer"));
  EXPECT_EQ(received("okdesk.issues.create").size(), 1u);
}

TEST_F(OkdeskIssueCreatorTest, ReportsErrorsGivenAsAStringOrAnArray) {
  OkdeskIssueCreator creator(*http_, config());

  fail_next("okdesk.issues.create", R"("status":403,"body":{"errors":"Доступ запрещён"})");
  EXPECT_THAT(create_failing(creator).what(), HasSubstr("http 403, Доступ запрещён"));

  fail_next("okdesk.issues.create",
            R"("status":422,"body":{"errors":["Тема не может быть пустой","Нет контакта"]})");
  EXPECT_THAT(create_failing(creator).what(), HasSubstr("Тема не может быть пустой, Нет контакта"));
}

TEST_F(OkdeskIssueCreatorTest, TreatsErrorsInASuccessfulAnswerAsAPermanentRefusal) {
  fail_next("okdesk.contacts.search", R"("status":200,"body":{"errors":"Доступ запрещён"})");
  OkdeskIssueCreator creator(*http_, config());

  const auto error = create_failing(creator);

  EXPECT_EQ(error.failure(), Failure::permanent);
  EXPECT_THAT(error.what(), HasSubstr("okdesk contact search failed: http 200, Доступ запрещён"));
  EXPECT_EQ(received("okdesk.contacts.search").size(), 1u);
  EXPECT_TRUE(received("okdesk.contacts.create").empty());
  EXPECT_TRUE(api_.issues().empty());
}

TEST_F(OkdeskIssueCreatorTest, IsRefusedWithAWrongTokenAndNeverShowsIt) {
  OkdeskIssueCreator creator(*http_, {base_url(), "wrong+secret/token", ""});

  const auto error = create_failing(creator);

  EXPECT_EQ(error.failure(), Failure::permanent);
  EXPECT_EQ(error.code(), "401");
  EXPECT_TRUE(error.reported());  // logged once as an account problem, not per action
  EXPECT_THAT(error.what(), Not(HasSubstr("wrong+secret/token")));
  ASSERT_TRUE(creator.problem());
  EXPECT_THAT(*creator.problem(), HasSubstr("OKDESK_API_TOKEN"));
  EXPECT_THAT(*creator.problem(), Not(HasSubstr("wrong+secret/token")));
}

TEST_F(OkdeskIssueCreatorTest, HasNoProblemOnceACallWorks) {
  OkdeskIssueCreator creator(*http_, config());
  create(creator);
  EXPECT_FALSE(creator.problem());
}

TEST_F(OkdeskIssueCreatorTest, ReportsMissingSettingsAsAProblemAndAPermanentError) {
  OkdeskIssueCreator creator(*http_, {"", "", ""});
  EXPECT_TRUE(creator.problem());
  EXPECT_EQ(create_failing(creator).failure(), Failure::permanent);
}

TEST_F(OkdeskIssueCreatorTest, KeepsTheTokenOutOfLogsAndErrors) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);

  OkdeskIssueCreator creator(*http_, config());
  create(creator);
  fail_next("okdesk.issues.create", R"("status":500)");
  const auto server_error = create_failing(creator);
  // Nothing listens on the discard port of loopback: a connection failure.
  OkdeskIssueCreator unreachable(*http_, {"http://127.0.0.1:9", okdesk_token, ""});
  const auto network_error = create_failing(unreachable);

  spdlog::set_default_logger(previous);
  const std::string token = okdesk_token;
  EXPECT_THAT(captured.str(), HasSubstr("okdesk issue created"));
  EXPECT_THAT(captured.str(), Not(HasSubstr(token)));
  EXPECT_THAT(captured.str(), Not(HasSubstr("test%2Bokdesk")));
  EXPECT_THAT(captured.str(), Not(HasSubstr("79161234567")));  // phones are masked
  EXPECT_THAT(server_error.what(), Not(HasSubstr(token)));
  EXPECT_EQ(network_error.failure(), Failure::transient);
  EXPECT_THAT(network_error.what(), Not(HasSubstr("test%2Bokdesk")));
  EXPECT_THAT(network_error.what(), Not(HasSubstr("api_token")));
}

}  // namespace
}  // namespace fixit::testing
