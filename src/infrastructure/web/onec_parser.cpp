#include "infrastructure/web/onec_parser.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <utility>

#include "infrastructure/web/http_types.hpp"
#include "infrastructure/web/json_read.hpp"
#include "infrastructure/web/phone.hpp"

namespace fixit::infrastructure::web {

namespace {

namespace od = simdjson::ondemand;
namespace key = domain::key;
using json::scalar;
using json::trim;

// Lower case for ASCII and Cyrillic, with ё read as е, as people write both.
std::string fold(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (c == 0xD0 && next >= 0x90 && next <= 0x9F) {  // А..П
      out += static_cast<char>(0xD0);
      out += static_cast<char>(next + 0x20);
      ++i;
    } else if (c == 0xD0 && next >= 0xA0 && next <= 0xAF) {  // Р..Я
      out += static_cast<char>(0xD1);
      out += static_cast<char>(next - 0x20);
      ++i;
    } else if ((c == 0xD0 && next == 0x81) || (c == 0xD1 && next == 0x91)) {  // Ё, ё
      out += static_cast<char>(0xD0);
      out += static_cast<char>(0xB5);
      ++i;
    } else {
      out += static_cast<char>(std::tolower(c));
    }
  }
  return out;
}

// A key as compared: folded, without the separators people put between words.
std::string key_form(std::string_view written) {
  auto folded = fold(written);
  std::erase_if(folded, [](char c) { return c == ' ' || c == '_' || c == '-' || c == '.'; });
  return folded;
}

// A value as compared: folded, separators as single spaces.
std::string phrase_form(std::string_view written) {
  std::string out;
  for (const char c : fold(trim(written))) {
    const bool separator = c == ' ' || c == '_' || c == '-' || c == '\t';
    if (separator) {
      if (!out.empty() && out.back() != ' ') {
        out += ' ';
      }
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

enum class Slot {
  status,
  issue,
  phone,
  invoice_number,
  invoice_id,
  invoice_date,
  invoice_amount,
  payment_number,
  payment_id,
  payment_amount,
  payment_date,
  amount_paid,
  amount_due,
  currency,
  paid_at,
  count,
};

enum class Section { root, invoice, payment, client };

struct Alias {
  std::string_view key;  // in key_form
  Slot slot;
};

constexpr Alias root_aliases[] = {
    {"status", Slot::status},
    {"paymentstatus", Slot::status},
    {"статус", Slot::status},
    {"статусоплаты", Slot::status},
    {"состояние", Slot::status},
    {"okdeskissueid", Slot::issue},
    {"okdeskissue", Slot::issue},
    {"issueid", Slot::issue},
    {"issue", Slot::issue},
    {"ticketid", Slot::issue},
    {"заявка", Slot::issue},
    {"заявкаid", Slot::issue},
    {"idзаявки", Slot::issue},
    {"номерзаявки", Slot::issue},
    {"заявкаokdesk", Slot::issue},
    {"номерзаявкиokdesk", Slot::issue},
    {"clientphone", Slot::phone},
    {"customerphone", Slot::phone},
    {"phone", Slot::phone},
    {"телефон", Slot::phone},
    {"телефонклиента", Slot::phone},
    {"телефонконтрагента", Slot::phone},
    {"мобильныйтелефон", Slot::phone},
    {"invoicenumber", Slot::invoice_number},
    {"invoiceno", Slot::invoice_number},
    {"номерсчета", Slot::invoice_number},
    {"invoiceid", Slot::invoice_id},
    {"invoiceguid", Slot::invoice_id},
    {"invoiceref", Slot::invoice_id},
    {"guidсчета", Slot::invoice_id},
    {"гуидсчета", Slot::invoice_id},
    {"уидсчета", Slot::invoice_id},
    {"идсчета", Slot::invoice_id},
    {"идентификаторсчета", Slot::invoice_id},
    {"ссылкасчета", Slot::invoice_id},
    {"invoicedate", Slot::invoice_date},
    {"датасчета", Slot::invoice_date},
    {"invoiceamount", Slot::invoice_amount},
    {"суммасчета", Slot::invoice_amount},
    {"paymentnumber", Slot::payment_number},
    {"paymentno", Slot::payment_number},
    {"номерплатежа", Slot::payment_number},
    {"номероплаты", Slot::payment_number},
    {"номерпоступления", Slot::payment_number},
    {"номерплатежногодокумента", Slot::payment_number},
    {"номерплатежногопоручения", Slot::payment_number},
    {"paymentid", Slot::payment_id},
    {"paymentguid", Slot::payment_id},
    {"paymentref", Slot::payment_id},
    {"guidплатежа", Slot::payment_id},
    {"гуидплатежа", Slot::payment_id},
    {"уидплатежа", Slot::payment_id},
    {"идплатежа", Slot::payment_id},
    {"идентификаторплатежа", Slot::payment_id},
    {"guidоплаты", Slot::payment_id},
    {"идентификатороплаты", Slot::payment_id},
    {"paymentamount", Slot::payment_amount},
    {"суммаплатежа", Slot::payment_amount},
    {"суммапоступления", Slot::payment_amount},
    {"paymentdate", Slot::payment_date},
    {"amountpaidtotal", Slot::amount_paid},
    {"amountpaid", Slot::amount_paid},
    {"paidamount", Slot::amount_paid},
    {"paidtotal", Slot::amount_paid},
    {"totalpaid", Slot::amount_paid},
    {"суммаоплаты", Slot::amount_paid},
    {"суммаоплачено", Slot::amount_paid},
    {"оплачено", Slot::amount_paid},
    {"оплаченовсего", Slot::amount_paid},
    {"всегооплачено", Slot::amount_paid},
    {"amountdue", Slot::amount_due},
    {"balancedue", Slot::amount_due},
    {"остатоккоплате", Slot::amount_due},
    {"осталосьоплатить", Slot::amount_due},
    {"остаток", Slot::amount_due},
    {"коплате", Slot::amount_due},
    {"кдоплате", Slot::amount_due},
    {"суммакоплате", Slot::amount_due},
    {"суммаостатка", Slot::amount_due},
    {"задолженность", Slot::amount_due},
    {"долг", Slot::amount_due},
    {"currency", Slot::currency},
    {"валюта", Slot::currency},
    {"валютасчета", Slot::currency},
    {"paidat", Slot::paid_at},
    {"датаоплаты", Slot::paid_at},
    {"датаплатежа", Slot::paid_at},
};

constexpr Alias invoice_aliases[] = {
    {"number", Slot::invoice_number}, {"no", Slot::invoice_number},
    {"номер", Slot::invoice_number},  {"guid", Slot::invoice_id},
    {"id", Slot::invoice_id},         {"ref", Slot::invoice_id},
    {"refkey", Slot::invoice_id},     {"uuid", Slot::invoice_id},
    {"гуид", Slot::invoice_id},       {"уид", Slot::invoice_id},
    {"ид", Slot::invoice_id},         {"идентификатор", Slot::invoice_id},
    {"ссылка", Slot::invoice_id},     {"date", Slot::invoice_date},
    {"дата", Slot::invoice_date},     {"amount", Slot::invoice_amount},
    {"sum", Slot::invoice_amount},    {"total", Slot::invoice_amount},
    {"сумма", Slot::invoice_amount},  {"суммадокумента", Slot::invoice_amount},
    {"currency", Slot::currency},     {"валюта", Slot::currency},
};

constexpr Alias payment_aliases[] = {
    {"number", Slot::payment_number},
    {"no", Slot::payment_number},
    {"номер", Slot::payment_number},
    {"guid", Slot::payment_id},
    {"id", Slot::payment_id},
    {"ref", Slot::payment_id},
    {"refkey", Slot::payment_id},
    {"uuid", Slot::payment_id},
    {"гуид", Slot::payment_id},
    {"уид", Slot::payment_id},
    {"ид", Slot::payment_id},
    {"идентификатор", Slot::payment_id},
    {"ссылка", Slot::payment_id},
    {"date", Slot::payment_date},
    {"paidat", Slot::paid_at},
    {"дата", Slot::payment_date},
    {"датаоплаты", Slot::paid_at},
    {"amount", Slot::payment_amount},
    {"sum", Slot::payment_amount},
    {"сумма", Slot::payment_amount},
    {"суммадокумента", Slot::payment_amount},
    {"суммаплатежа", Slot::payment_amount},
    {"currency", Slot::currency},
    {"валюта", Slot::currency},
};

constexpr Alias client_aliases[] = {
    {"phone", Slot::phone},   {"clientphone", Slot::phone},      {"mobilephone", Slot::phone},
    {"телефон", Slot::phone}, {"мобильныйтелефон", Slot::phone},
};

struct SectionAlias {
  std::string_view key;
  Section section;
};

constexpr SectionAlias sections[] = {
    {"invoice", Section::invoice},     {"счет", Section::invoice},
    {"payment", Section::payment},     {"платеж", Section::payment},
    {"оплата", Section::payment},      {"поступление", Section::payment},
    {"client", Section::client},       {"customer", Section::client},
    {"counterparty", Section::client}, {"клиент", Section::client},
    {"контрагент", Section::client},   {"покупатель", Section::client},
};

template <std::size_t N>
std::optional<Slot> find_slot(const Alias (&aliases)[N], std::string_view name) {
  for (const auto& alias : aliases) {
    if (alias.key == name) {
      return alias.slot;
    }
  }
  return std::nullopt;
}

std::optional<Slot> slot_in(Section section, std::string_view name) {
  switch (section) {
    case Section::root:
      return find_slot(root_aliases, name);
    case Section::invoice:
      return find_slot(invoice_aliases, name);
    case Section::payment:
      return find_slot(payment_aliases, name);
    case Section::client:
      return find_slot(client_aliases, name);
  }
  return std::nullopt;
}

std::optional<Section> section_of(std::string_view name) {
  for (const auto& alias : sections) {
    if (alias.key == name) {
      return alias.section;
    }
  }
  return std::nullopt;
}

struct Value {
  std::string_view text;
  std::string_view written_key;  // for error messages, as the sender wrote it
};

struct Notice {
  std::array<Value, static_cast<std::size_t>(Slot::count)> values;

  Value& operator[](Slot slot) { return values[static_cast<std::size_t>(slot)]; }
  std::string_view text(Slot slot) const { return values[static_cast<std::size_t>(slot)].text; }
};

void read_section(od::object object, Section section, Notice& notice) {
  for (auto field : object) {
    const std::string_view written = field.unescaped_key();
    const auto name = key_form(written);
    od::value value = field.value();
    const od::json_type type = value.type();
    if (type == od::json_type::object) {
      if (section == Section::root) {
        if (const auto nested = section_of(name)) {
          read_section(value.get_object(), *nested, notice);
        }
      }
      continue;
    }
    const auto slot = slot_in(section, name);
    if (!slot) {
      continue;
    }
    auto& into = notice[*slot];
    const auto text = trim(scalar(value));
    if (into.text.empty() && !text.empty()) {
      into.text = text;
      into.written_key = written;
    }
  }
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::optional<int> number_in(std::string_view text, int min, int max) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!all_digits(text) || error != std::errc{} || end != text.data() + text.size() ||
      value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

std::string two_digits(int value) {
  std::string out(2, '0');
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
  return out;
}

// Amount text -> cents, for the amount due computed from the invoice total.
std::optional<std::int64_t> cents_of(std::string_view amount) {
  const bool negative = amount.starts_with('-');
  if (negative) {
    amount.remove_prefix(1);
  }
  const auto dot = amount.find('.');
  if (dot == std::string_view::npos) {
    return std::nullopt;
  }
  std::int64_t units = 0;
  std::int64_t cents = 0;
  const auto units_text = amount.substr(0, dot);
  const auto cents_text = amount.substr(dot + 1);
  if (std::from_chars(units_text.data(), units_text.data() + units_text.size(), units).ec !=
          std::errc{} ||
      std::from_chars(cents_text.data(), cents_text.data() + cents_text.size(), cents).ec !=
          std::errc{} ||
      units > INT64_MAX / 100 - 1) {
    return std::nullopt;
  }
  const auto total = units * 100 + cents;
  return negative ? -total : total;
}

std::string amount_of_cents(std::int64_t cents) {
  const bool negative = cents < 0;
  const auto magnitude = negative ? -cents : cents;
  return (negative ? "-" : "") + std::to_string(magnitude / 100) + "." +
         two_digits(static_cast<int>(magnitude % 100));
}

std::string content_charset(std::string_view content_type) {
  const auto folded = fold(content_type);
  const auto at = folded.find("charset=");
  if (at == std::string::npos) {
    return {};
  }
  auto charset = folded.substr(at + 8);
  charset = charset.substr(0, charset.find(';'));
  std::erase_if(charset, [](char c) { return c == '"' || c == ' ' || c == '\''; });
  return charset;
}

// The body in UTF-8, with room for the parser's padding.
std::string to_utf8(const std::string& body, const std::string& charset) {
  iconv_t converter = iconv_open("UTF-8", charset.c_str());
  if (converter ==
      reinterpret_cast<iconv_t>(-1)) {  // NOLINT(performance-no-int-to-ptr): iconv's error value
    throw RequestError(415, "charset \"" + charset + "\" is not supported; send UTF-8");
  }
  std::string out(body.size() * 4 + body_padding, '\0');
  auto* in = const_cast<char*>(body.data());
  std::size_t in_left = body.size();
  char* dest = out.data();
  std::size_t out_left = out.size() - body_padding;
  const auto result = iconv(converter, &in, &in_left, &dest, &out_left);
  iconv_close(converter);
  if (result == static_cast<std::size_t>(-1)) {
    throw RequestError(400, "body is not valid " + charset + " text");
  }
  out.resize(static_cast<std::size_t>(dest - out.data()));
  return out;
}

void put(domain::DomainEvent& event, std::string_view name, std::string_view value) {
  if (!value.empty()) {
    event.payload.emplace(name, value);
  }
}

std::string amount_field(const Notice& notice, Slot slot) {
  const auto& value = notice.values[static_cast<std::size_t>(slot)];
  if (value.text.empty()) {
    return {};
  }
  auto amount = normalize_amount(value.text);
  if (!amount) {
    throw RequestError(422, std::string(value.written_key) + ": \"" + std::string(value.text) +
                                "\" is not an amount of money (expected e.g. 15000.00 or "
                                "\"15 000,00\")");
  }
  return *amount;
}

std::string date_field(const Notice& notice, Slot slot) {
  const auto& value = notice.values[static_cast<std::size_t>(slot)];
  if (value.text.empty()) {
    return {};
  }
  auto date = normalize_datetime(value.text);
  if (!date) {
    throw RequestError(422, std::string(value.written_key) + ": \"" + std::string(value.text) +
                                "\" is not a date (expected 2025-03-14T12:30:00 or "
                                "14.03.2025 12:30:00)");
  }
  return *date;
}

std::string issue_id_of(std::string_view written) {
  auto id = trim(written);
  for (const std::string_view mark : {"#", "№"}) {
    if (id.starts_with(mark)) {
      id = trim(id.substr(mark.size()));
    }
  }
  return std::string(id);
}

domain::DomainEvent notice_to_event(const Notice& notice) {
  const auto status_text = notice.text(Slot::status);
  if (status_text.empty()) {
    throw RequestError(422, "status is missing (paid, partially_paid, cancelled or refunded)");
  }
  const auto status = normalize_payment_status(status_text);
  if (!status) {
    throw RequestError(422, "status \"" + std::string(status_text) +
                                "\" is not one of paid, partially_paid, cancelled, refunded "
                                "(or Оплачен, Частично оплачен, Отменен, Возврат)");
  }

  const auto issue_id = issue_id_of(notice.text(Slot::issue));
  const auto phone = normalize_client_phone(notice.text(Slot::phone));
  if (issue_id.empty() && phone.empty()) {
    throw RequestError(422,
                       "the notice names neither an Okdesk issue (okdesk_issue_id) nor a client "
                       "phone (client_phone): the payment cannot be linked to a conversation");
  }

  const std::string payment_id(notice.text(Slot::payment_id));
  const std::string invoice_id(notice.text(Slot::invoice_id));
  const std::string invoice_number(notice.text(Slot::invoice_number));
  const std::string payment_number(notice.text(Slot::payment_number));
  if (payment_id.empty() && invoice_id.empty() && invoice_number.empty()) {
    throw RequestError(422,
                       "the notice names no payment or invoice (payment.guid, invoice.guid or "
                       "invoice.number)");
  }

  auto amount_paid = amount_field(notice, Slot::amount_paid);
  const auto payment_amount = amount_field(notice, Slot::payment_amount);
  if (amount_paid.empty()) {
    amount_paid = payment_amount;
  }
  auto amount_due = amount_field(notice, Slot::amount_due);
  const auto invoice_amount = amount_field(notice, Slot::invoice_amount);
  if (amount_due.empty() && !invoice_amount.empty() && !amount_paid.empty() &&
      (*status == domain::payment::paid || *status == domain::payment::partially_paid)) {
    const auto total = cents_of(invoice_amount);
    const auto paid = cents_of(amount_paid);
    if (total && paid) {
      amount_due = amount_of_cents(*total > *paid ? *total - *paid : 0);
    }
  }
  auto paid_at = date_field(notice, Slot::paid_at);
  if (paid_at.empty()) {
    paid_at = date_field(notice, Slot::payment_date);
  }
  const auto invoice_date = date_field(notice, Slot::invoice_date);
  const auto currency = normalize_currency(notice.text(Slot::currency));

  domain::DomainEvent event;
  event.type = domain::EventType::PAYMENT_STATUS;
  event.user_id = phone;
  event.key = "1c:";
  if (!payment_id.empty()) {
    event.key.append(payment_id);
  } else {
    // 1C numbers restart every year, so a number alone is made unique by its date.
    event.key.append(!invoice_id.empty() ? invoice_id : invoice_number);
    if (invoice_id.empty() && invoice_date.size() >= 10) {
      event.key.append("@").append(invoice_date, 0, 10);
    }
    event.key.append(":");
    if (!payment_number.empty()) {
      event.key.append(payment_number);
    } else {
      event.key.append("total-").append(amount_paid);
    }
  }
  event.key.append(":").append(*status);
  put(event, key::status, *status);
  put(event, key::issue_id, issue_id);
  put(event, key::phone, phone);
  put(event, key::invoice_number, invoice_number);
  put(event, key::invoice_id, invoice_id);
  put(event, key::payment_number, payment_number);
  put(event, key::amount_paid, amount_paid);
  put(event, key::amount_due, amount_due);
  put(event, key::currency, currency);
  put(event, key::paid_at, paid_at);
  return event;
}

}  // namespace

std::optional<std::string> normalize_amount(std::string_view written) {
  // Group separators: space, no-break space, narrow no-break space, thin space, apostrophe.
  std::string compact;
  auto text = trim(written);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto rest = text.substr(i);
    if (rest.starts_with("\xC2\xA0")) {
      ++i;
    } else if (rest.starts_with("\xE2\x80\xAF") || rest.starts_with("\xE2\x80\x89")) {
      i += 2;
    } else if (text[i] != ' ' && text[i] != '\'') {
      compact += text[i];
    }
  }
  std::string_view number = compact;
  const bool negative = number.starts_with('-');
  if (negative || number.starts_with('+')) {
    number.remove_prefix(1);
  }
  if (number.empty() || number.find_first_not_of("0123456789.,") != std::string_view::npos) {
    return std::nullopt;
  }

  const auto last_dot = number.rfind('.');
  const auto last_comma = number.rfind(',');
  const auto dots = std::count(number.begin(), number.end(), '.');
  const auto commas = std::count(number.begin(), number.end(), ',');
  // The decimal mark is the last separator, unless it repeats (then every
  // separator groups thousands and there are no decimals).
  std::size_t decimal = std::string_view::npos;
  if (dots > 0 && commas > 0) {
    decimal = std::max(last_dot, last_comma);
    if ((number[decimal] == '.' ? dots : commas) > 1) {
      return std::nullopt;
    }
  } else if (dots == 1) {
    decimal = last_dot;
  } else if (commas == 1) {
    decimal = last_comma;
  }

  // Group separators before the decimal mark must split whole thousands.
  const auto integer_part = number.substr(0, decimal);
  if (integer_part.find_first_of(".,") != std::string_view::npos) {
    std::size_t group = 0;
    bool first_group = true;
    for (const char c : integer_part) {
      if (c == '.' || c == ',') {
        if (group == 0 || group > 3 || (!first_group && group != 3)) {
          return std::nullopt;
        }
        first_group = false;
        group = 0;
      } else {
        ++group;
      }
    }
    if (group != 3) {
      return std::nullopt;
    }
  }

  std::string units;
  std::string fraction;
  for (std::size_t i = 0; i < number.size(); ++i) {
    const char c = number[i];
    if (c == '.' || c == ',') {
      continue;
    }
    (decimal != std::string_view::npos && i > decimal ? fraction : units) += c;
  }
  if (units.empty() && fraction.empty()) {
    return std::nullopt;
  }
  while (fraction.size() > 2 && fraction.back() == '0') {
    fraction.pop_back();
  }
  if (fraction.size() > 2) {
    return std::nullopt;  // fractions of a kopeck: rounding money is not ours to do
  }
  fraction.resize(2, '0');
  const auto first = units.find_first_not_of('0');
  units = first == std::string::npos ? "0" : units.substr(first);
  const bool zero = units == "0" && fraction == "00";
  return (negative && !zero ? "-" : "") + units + "." + fraction;
}

std::optional<std::string> normalize_payment_status(std::string_view written) {
  static constexpr std::pair<std::string_view, std::string_view> statuses[] = {
      {"paid", domain::payment::paid},
      {"fully paid", domain::payment::paid},
      {"оплачен", domain::payment::paid},
      {"оплачено", domain::payment::paid},
      {"оплачена", domain::payment::paid},
      {"оплачен полностью", domain::payment::paid},
      {"оплачено полностью", domain::payment::paid},
      {"полностью оплачен", domain::payment::paid},
      {"оплата получена", domain::payment::paid},
      {"partially paid", domain::payment::partially_paid},
      {"partly paid", domain::payment::partially_paid},
      {"partial", domain::payment::partially_paid},
      {"частично оплачен", domain::payment::partially_paid},
      {"частично оплачено", domain::payment::partially_paid},
      {"частично оплачена", domain::payment::partially_paid},
      {"оплачен частично", domain::payment::partially_paid},
      {"оплачено частично", domain::payment::partially_paid},
      {"частичная оплата", domain::payment::partially_paid},
      {"cancelled", domain::payment::cancelled},
      {"canceled", domain::payment::cancelled},
      {"отменен", domain::payment::cancelled},
      {"отменено", domain::payment::cancelled},
      {"отменена", domain::payment::cancelled},
      {"отмена", domain::payment::cancelled},
      {"аннулирован", domain::payment::cancelled},
      {"аннулировано", domain::payment::cancelled},
      {"аннулирована", domain::payment::cancelled},
      {"refunded", domain::payment::refunded},
      {"refund", domain::payment::refunded},
      {"возврат", domain::payment::refunded},
      {"возвращен", domain::payment::refunded},
      {"возвращено", domain::payment::refunded},
      {"возвращена", domain::payment::refunded},
      {"возврат оплаты", domain::payment::refunded},
      {"оплата возвращена", domain::payment::refunded},
  };
  const auto phrase = phrase_form(written);
  for (const auto& [name, status] : statuses) {
    if (phrase == name) {
      return std::string(status);
    }
  }
  return std::nullopt;
}

std::optional<std::string> normalize_datetime(std::string_view written) {
  const auto text = trim(written);
  if (text.empty()) {
    return std::string{};
  }
  const auto space = text.find_first_of("T ");
  const auto date = text.substr(0, space);
  auto time = space == std::string_view::npos ? std::string_view{} : trim(text.substr(space + 1));

  int year = 0;
  int month = 0;
  int day = 0;
  if (date.size() == 10 && date[4] == '-' && date[7] == '-') {
    const auto y = number_in(date.substr(0, 4), 1, 9999);
    const auto m = number_in(date.substr(5, 2), 1, 12);
    const auto d = number_in(date.substr(8, 2), 1, 31);
    if (!y || !m || !d) {
      return std::nullopt;
    }
    year = *y;
    month = *m;
    day = *d;
  } else {
    const auto first_dot = date.find('.');
    const auto second_dot = date.find('.', first_dot + 1);
    if (first_dot == std::string_view::npos || second_dot == std::string_view::npos) {
      return std::nullopt;
    }
    const auto d = number_in(date.substr(0, first_dot), 1, 31);
    const auto m = number_in(date.substr(first_dot + 1, second_dot - first_dot - 1), 1, 12);
    const auto y_text = date.substr(second_dot + 1);
    const auto y = y_text.size() == 4 ? number_in(y_text, 1, 9999) : std::nullopt;
    if (!d || !m || !y) {
      return std::nullopt;
    }
    year = *y;
    month = *m;
    day = *d;
  }
  if (year == 1 && month == 1 && day == 1) {
    return std::string{};  // 1C's empty date
  }

  // Time: hh:mm[:ss][.fraction][Z|+hh:mm|-hh:mm]
  std::string zone;
  if (const auto z = time.find_first_of("Z+-"); z != std::string_view::npos) {
    zone = std::string(time.substr(z));
    time = time.substr(0, z);
    if (zone != "Z" &&
        !(zone.size() == 6 && zone[3] == ':' && number_in(zone.substr(1, 2), 0, 23) &&
          number_in(zone.substr(4, 2), 0, 59))) {
      return std::nullopt;
    }
  }
  time = time.substr(0, time.find('.'));
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!time.empty()) {
    const auto first_colon = time.find(':');
    if (first_colon == std::string_view::npos) {
      return std::nullopt;
    }
    const auto second_colon = time.find(':', first_colon + 1);
    const auto h = number_in(time.substr(0, first_colon), 0, 23);
    const auto m = number_in(time.substr(first_colon + 1, second_colon == std::string_view::npos
                                                              ? std::string_view::npos
                                                              : second_colon - first_colon - 1),
                             0, 59);
    const auto s = second_colon == std::string_view::npos
                       ? std::optional<int>(0)
                       : number_in(time.substr(second_colon + 1), 0, 60);
    if (!h || !m || !s) {
      return std::nullopt;
    }
    hour = *h;
    minute = *m;
    second = *s;
  }

  std::string year_text = std::to_string(year);
  year_text.insert(0, 4 - year_text.size(), '0');
  return year_text + "-" + two_digits(month) + "-" + two_digits(day) + "T" + two_digits(hour) +
         ":" + two_digits(minute) + ":" + two_digits(second) + zone;
}

std::string normalize_client_phone(std::string_view written) {
  auto digits = phone_digits(written);
  if (digits.size() == 11 && digits.front() == '8') {
    digits.front() = '7';
  } else if (digits.size() == 10 && digits.front() == '9') {
    digits.insert(digits.begin(), '7');
  }
  return digits;
}

std::string normalize_currency(std::string_view written) {
  static constexpr std::pair<std::string_view, std::string_view> currencies[] = {
      {"643", "RUB"},   {"rub", "RUB"},    {"rur", "RUB"}, {"руб", "RUB"}, {"руб.", "RUB"},
      {"рубль", "RUB"}, {"рублей", "RUB"}, {"₽", "RUB"}, {"840", "USD"}, {"$", "USD"},
      {"978", "EUR"},   {"€", "EUR"},      {"398", "KZT"}, {"933", "BYN"}, {"156", "CNY"},
  };
  const auto folded = fold(trim(written));
  for (const auto& [name, code] : currencies) {
    if (folded == name) {
      return std::string(code);
    }
  }
  std::string code(trim(written));
  for (auto& c : code) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return code;
}

domain::DomainEvent parse_payment_notice(const std::string& body, std::string_view content_type) {
  const auto charset = content_charset(content_type);
  const bool utf8 = charset.empty() || charset == "utf-8" || charset == "utf8";
  std::string converted;
  if (!utf8) {
    converted = to_utf8(body, charset);
  }
  const std::string& text = utf8 ? body : converted;

  std::string_view json_text = text;
  std::size_t capacity = text.capacity();
  if (json_text.starts_with("\xEF\xBB\xBF")) {
    json_text.remove_prefix(3);  // 1C may write a byte order mark; the parser does not skip it
    capacity -= 3;
  }

  Notice notice;
  simdjson::padded_string copy;
  try {
    auto document = json::iterate(json_text, capacity, copy);
    if (document.type() != od::json_type::object) {
      throw RequestError(400, "body must be a JSON object");
    }
    read_section(document.get_object(), Section::root, notice);
    if (!json::at_end(document)) {
      throw RequestError(400, "body has content after the JSON object");
    }
    return notice_to_event(notice);
  } catch (const simdjson::simdjson_error& error) {
    if (error.error() == simdjson::UTF8_ERROR) {
      throw RequestError(400,
                         "body is not valid UTF-8; send UTF-8 or name the charset in "
                         "Content-Type");
    }
    throw RequestError(400, json::invalid_json_message(error));
  }
}

}  // namespace fixit::infrastructure::web
