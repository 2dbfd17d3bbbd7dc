#include "infrastructure/web/onec_parser.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "infrastructure/web/http_types.hpp"
#include "web/test_support.hpp"

namespace fixit::test {
namespace {

using domain::EventType;
using infrastructure::web::normalize_amount;
using infrastructure::web::normalize_client_phone;
using infrastructure::web::normalize_currency;
using infrastructure::web::normalize_datetime;
using infrastructure::web::normalize_payment_status;
using infrastructure::web::parse_payment_notice;
using infrastructure::web::RequestError;
using ::testing::HasSubstr;
namespace key = domain::key;

constexpr std::string_view json_type = "application/json";

// What a 1C developer writes by hand: Russian keys, localised money, dd.mm.yyyy.
const std::string russian_notice = R"({
  "Статус": "Частично оплачен",
  "НомерЗаявки": "1042",
  "Телефон": "8 (916) 555-01-23",
  "НомерСчета": "СП00-000124",
  "ДатаСчета": "10.03.2025",
  "НомерПлатежа": "СП00-000460",
  "СуммаОплаты": "20 000,00",
  "ОстатокКОплате": "5 000,50",
  "Валюта": "руб.",
  "ДатаОплаты": "14.03.2025 12:30:00"
})";

unsigned status_of_error(const std::string& body, std::string_view content_type = json_type) {
  try {
    parse_payment_notice(padded(body), content_type);
  } catch (const RequestError& error) {
    return error.status();
  }
  return 0;
}

std::string error_of(const std::string& body) {
  try {
    parse_payment_notice(padded(body), json_type);
  } catch (const RequestError& error) {
    return error.what();
  }
  return {};
}

TEST(OnecParser, ReadsTheEnglishKeyContract) {
  const auto event =
      parse_payment_notice(padded(read_fixture("onec/payment_paid_bp.json")), json_type);

  EXPECT_EQ(event.type, EventType::PAYMENT_STATUS);
  EXPECT_EQ(event.key, "1c:8d41b0c4-01fa-11ef-9a3c-00155d0a1f22:paid");
  EXPECT_EQ(event.user_id, "79165550123");
  EXPECT_EQ(event.get(key::status), "paid");
  EXPECT_EQ(event.get(key::issue_id), "1042");
  EXPECT_EQ(event.get(key::phone), "79165550123");
  EXPECT_EQ(event.get(key::invoice_number), "СП00-000123");
  EXPECT_EQ(event.get(key::invoice_id), "5f3c2a9e-1b7d-11ef-9a3c-00155d0a1f22");
  EXPECT_EQ(event.get(key::payment_number), "СП00-000457");
  EXPECT_EQ(event.get(key::amount_paid), "15000.00");
  EXPECT_EQ(event.get(key::amount_due), "0.00");
  EXPECT_EQ(event.get(key::currency), "RUB");
  EXPECT_EQ(event.get(key::paid_at), "2025-03-14T00:00:00");
}

TEST(OnecParser, ReadsRussianKeysLocalisedAmountsAndDates) {
  const auto event = parse_payment_notice(padded(russian_notice), json_type);

  EXPECT_EQ(event.get(key::status), "partially_paid");
  EXPECT_EQ(event.get(key::issue_id), "1042");
  EXPECT_EQ(event.user_id, "79165550123");
  EXPECT_EQ(event.get(key::invoice_number), "СП00-000124");
  EXPECT_EQ(event.get(key::payment_number), "СП00-000460");
  EXPECT_EQ(event.get(key::amount_paid), "20000.00");
  EXPECT_EQ(event.get(key::amount_due), "5000.50");
  EXPECT_EQ(event.get(key::currency), "RUB");
  EXPECT_EQ(event.get(key::paid_at), "2025-03-14T12:30:00");
  EXPECT_EQ(event.key, "1c:СП00-000124@2025-03-10:СП00-000460:partially_paid");
}

TEST(OnecParser, ReadsNestedRussianSectionsAndAmountsWithANoBreakSpace) {
  const auto event = parse_payment_notice(padded(R"({
    "Статус": "Оплачен",
    "Клиент": {"Телефон": "+7 916 555-01-23"},
    "Счёт": {"Номер": "0000-000123", "Дата": "10.03.2025 0:00:00", "Сумма": "20\u00a0000,00"},
    "Платёж": {"Номер": "77", "Сумма": "20 000,00", "Дата": "14.03.2025 9:05:00"}
  })"),
                                          json_type);

  EXPECT_EQ(event.get(key::status), "paid");
  EXPECT_EQ(event.get(key::phone), "79165550123");
  EXPECT_EQ(event.get(key::invoice_number), "0000-000123");
  EXPECT_EQ(event.get(key::payment_number), "77");
  EXPECT_EQ(event.get(key::amount_paid), "20000.00");
  EXPECT_EQ(event.get(key::amount_due), "0.00");  // from the invoice total
  EXPECT_EQ(event.get(key::paid_at), "2025-03-14T09:05:00");
}

TEST(OnecParser, ReadsAmountsWrittenWithARawNoBreakSpace) {
  auto body = russian_notice;
  const std::string nbsp = "\xC2\xA0";
  body.replace(body.find("20 000,00"), 9, "20" + nbsp + "000,00");

  EXPECT_EQ(parse_payment_notice(padded(body), json_type).get(key::amount_paid), "20000.00");
}

TEST(OnecParser, SkipsALeadingByteOrderMark) {
  const auto event = parse_payment_notice(padded("\xEF\xBB\xBF" + russian_notice), json_type);

  EXPECT_EQ(event.get(key::status), "partially_paid");
}

TEST(OnecParser, ReadsABodyInTheCharsetItsContentTypeNames) {
  // {"Статус":"Оплачен","Телефон":"79165550123","НомерСчета":"1"} in windows-1251.
  const std::string body =
      "{\"\xD1\xF2\xE0\xF2\xF3\xF1\":\"\xCE\xEF\xEB\xE0\xF7\xE5\xED\","
      "\"\xD2\xE5\xEB\xE5\xF4\xEE\xED\":\"79165550123\","
      "\"\xCD\xEE\xEC\xE5\xF0\xD1\xF7\xE5\xF2\xE0\":\"1\"}";

  const auto event = parse_payment_notice(padded(body), "application/json; charset=windows-1251");

  EXPECT_EQ(event.get(key::status), "paid");
  EXPECT_EQ(event.get(key::invoice_number), "1");
  EXPECT_EQ(status_of_error(body), 400u) << "without the charset it is not UTF-8";
  EXPECT_EQ(status_of_error(body, "application/json; charset=x-unheard-of"), 415u);
}

TEST(OnecParser, RejectsANoticeThatNamesNeitherIssueNorPhone) {
  const std::string body = R"({"status":"paid","invoice":{"number":"1"}})";

  EXPECT_EQ(status_of_error(body), 422u);
  EXPECT_THAT(error_of(body), HasSubstr("neither an Okdesk issue"));
}

TEST(OnecParser, AcceptsAPhoneWithoutAnIssueAndAnIssueWithoutAPhone) {
  const auto by_phone = parse_payment_notice(
      padded(R"({"status":"paid","client_phone":"+7 916 555-01-23","invoice_number":"5"})"),
      json_type);
  const auto by_issue = parse_payment_notice(
      padded(R"({"status":"paid","okdesk_issue_id":1042,"invoice_number":"5"})"), json_type);

  EXPECT_EQ(by_phone.user_id, "79165550123");
  EXPECT_FALSE(by_phone.has(key::issue_id));
  EXPECT_EQ(by_issue.user_id, "");
  EXPECT_EQ(by_issue.get(key::issue_id), "1042");
}

TEST(OnecParser, RejectsAMissingOrUnknownStatus) {
  EXPECT_EQ(status_of_error(R"({"okdesk_issue_id":"1","invoice_number":"1"})"), 422u);
  const std::string unknown = R"({"status":"maybe","okdesk_issue_id":"1","invoice_number":"1"})";
  EXPECT_EQ(status_of_error(unknown), 422u);
  EXPECT_THAT(error_of(unknown), HasSubstr("\"maybe\""));
}

TEST(OnecParser, RejectsANoticeWithoutPaymentOrInvoice) {
  EXPECT_EQ(status_of_error(R"({"status":"paid","okdesk_issue_id":"1"})"), 422u);
}

TEST(OnecParser, RejectsAmountsAndDatesItCannotRead) {
  const std::string amount =
      R"({"status":"paid","okdesk_issue_id":"1","invoice_number":"1","СуммаОплаты":"двадцать"})";
  EXPECT_EQ(status_of_error(amount), 422u);
  EXPECT_THAT(error_of(amount), HasSubstr("СуммаОплаты"));
  EXPECT_EQ(
      status_of_error(
          R"({"status":"paid","okdesk_issue_id":"1","invoice_number":"1","paid_at":"вчера"})"),
      422u);
}

TEST(OnecParser, RejectsABodyThatIsNotJson) {
  EXPECT_EQ(status_of_error("Статус=Оплачен"), 400u);
  EXPECT_EQ(status_of_error("{\"status\":"), 400u);
}

TEST(OnecParser, KeysAPaymentWithoutGuidByInvoiceAndPaymentNumber) {
  const auto by_invoice_id = parse_payment_notice(
      padded(R"({"status":"paid","okdesk_issue_id":"1","invoice":{"guid":"G-1","number":"N"},)"
             R"("payment":{"number":"P-1"}})"),
      json_type);
  const auto by_total = parse_payment_notice(
      padded(R"({"status":"partially_paid","okdesk_issue_id":"1","invoice_number":"N",)"
             R"("amount_paid":"100"})"),
      json_type);

  EXPECT_EQ(by_invoice_id.key, "1c:G-1:P-1:paid");
  EXPECT_EQ(by_total.key, "1c:N:total-100.00:partially_paid");
}

TEST(OnecNormalisation, KeepsMoneyDecimalWithTwoPlaces) {
  EXPECT_EQ(normalize_amount("15000"), "15000.00");
  EXPECT_EQ(normalize_amount("15000.00"), "15000.00");
  EXPECT_EQ(normalize_amount("0.5"), "0.50");
  EXPECT_EQ(normalize_amount("0"), "0.00");
  EXPECT_EQ(normalize_amount("20 000,00"), "20000.00");
  EXPECT_EQ(normalize_amount("20\xC2\xA0"
                             "000,5"),
            "20000.50");
  EXPECT_EQ(normalize_amount("1\xE2\x80\xAF"
                             "234\xE2\x80\xAF"
                             "567,89"),
            "1234567.89");
  EXPECT_EQ(normalize_amount("1,234,567.89"), "1234567.89");
  EXPECT_EQ(normalize_amount("1.234.567,89"), "1234567.89");
  EXPECT_EQ(normalize_amount("1 000 000"), "1000000.00");
  EXPECT_EQ(normalize_amount("-100,00"), "-100.00");
  EXPECT_EQ(normalize_amount("00150.10"), "150.10");
  EXPECT_EQ(normalize_amount("15000.000"), "15000.00");
  EXPECT_EQ(normalize_amount("99999999999999999.99"), "99999999999999999.99");
}

TEST(OnecNormalisation, RefusesWhatIsNoAmount) {
  EXPECT_FALSE(normalize_amount(""));
  EXPECT_FALSE(normalize_amount("abc"));
  EXPECT_FALSE(normalize_amount("1.5e4"));
  EXPECT_FALSE(normalize_amount("10.005"));
  EXPECT_FALSE(normalize_amount("1.000.000.5"));
  EXPECT_FALSE(normalize_amount("15 000 руб."));
}

TEST(OnecNormalisation, MapsEnglishAndRussianStatuses) {
  EXPECT_EQ(normalize_payment_status("paid"), "paid");
  EXPECT_EQ(normalize_payment_status("Оплачен"), "paid");
  EXPECT_EQ(normalize_payment_status("ОПЛАЧЕНО"), "paid");
  EXPECT_EQ(normalize_payment_status("partially_paid"), "partially_paid");
  EXPECT_EQ(normalize_payment_status("Частично оплачен"), "partially_paid");
  EXPECT_EQ(normalize_payment_status("  частично   оплачен "), "partially_paid");
  EXPECT_EQ(normalize_payment_status("canceled"), "cancelled");
  EXPECT_EQ(normalize_payment_status("Отменён"), "cancelled");
  EXPECT_EQ(normalize_payment_status("Аннулирован"), "cancelled");
  EXPECT_EQ(normalize_payment_status("Refunded"), "refunded");
  EXPECT_EQ(normalize_payment_status("Возврат"), "refunded");
  EXPECT_FALSE(normalize_payment_status("в обработке"));
}

TEST(OnecNormalisation, ReadsIsoAndRussianDates) {
  EXPECT_EQ(normalize_datetime("2025-03-14T12:30:00"), "2025-03-14T12:30:00");
  EXPECT_EQ(normalize_datetime("2025-03-14"), "2025-03-14T00:00:00");
  EXPECT_EQ(normalize_datetime("2025-03-14 12:30"), "2025-03-14T12:30:00");
  EXPECT_EQ(normalize_datetime("2025-03-14T12:30:00.568+03:00"), "2025-03-14T12:30:00+03:00");
  EXPECT_EQ(normalize_datetime("14.03.2025 12:30:00"), "2025-03-14T12:30:00");
  EXPECT_EQ(normalize_datetime("14.03.2025"), "2025-03-14T00:00:00");
  EXPECT_EQ(normalize_datetime("4.3.2025 9:05:00"), "2025-03-04T09:05:00");
  EXPECT_EQ(normalize_datetime("0001-01-01T00:00:00"), "");
  EXPECT_EQ(normalize_datetime("01.01.0001 0:00:00"), "");
  EXPECT_FALSE(normalize_datetime("32.01.2025"));
  EXPECT_FALSE(normalize_datetime("14.03.25"));
  EXPECT_FALSE(normalize_datetime("2025-13-01"));
  EXPECT_FALSE(normalize_datetime("yesterday"));
  EXPECT_FALSE(normalize_datetime("2025-03-14T25:00:00"));
}

TEST(OnecNormalisation, WritesPhonesAsWhatsAppIdsDo) {
  EXPECT_EQ(normalize_client_phone("+7 916 555-01-23"), "79165550123");
  EXPECT_EQ(normalize_client_phone("8 (916) 555-01-23"), "79165550123");
  EXPECT_EQ(normalize_client_phone("916 555 01 23"), "79165550123");
  EXPECT_EQ(normalize_client_phone("+49 30 1234567"), "49301234567");
  EXPECT_EQ(normalize_client_phone(""), "");
}

TEST(OnecNormalisation, NamesCurrenciesByTheirIsoLetters) {
  EXPECT_EQ(normalize_currency("643"), "RUB");
  EXPECT_EQ(normalize_currency("руб."), "RUB");
  EXPECT_EQ(normalize_currency("RUR"), "RUB");
  EXPECT_EQ(normalize_currency("usd"), "USD");
  EXPECT_EQ(normalize_currency(""), "");
}

}  // namespace
}  // namespace fixit::test
