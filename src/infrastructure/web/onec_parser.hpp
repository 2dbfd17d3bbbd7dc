#pragma once

// 1C payment notices -> PAYMENT_STATUS events.
//
// The documented contract has English keys (docs/accounting-webhook.md); what
// 1C developers write by hand is accepted too: Russian keys (НомерСчета,
// СуммаОплаты, ...), money as localised strings ("20 000,00" with a space or
// U+00A0 between groups), dates as dd.mm.yyyy hh:mm:ss, a leading UTF-8 BOM and
// a body in the charset its Content-Type names (windows-1251). Money stays
// decimal text from start to end; it never passes through a double.

#include <optional>
#include <string>
#include <string_view>

#include "domain/event.hpp"

namespace fixit::infrastructure::web {

// Throws RequestError: 400 when the body is not JSON, 415 for a charset that
// cannot be read, 422 when the notice lacks its status, a payment or invoice,
// or both the issue and the phone, or carries an amount or date that cannot
// be read.
domain::DomainEvent parse_payment_notice(const std::string& body, std::string_view content_type);

// "20 000,5" -> "20000.50", 15000 -> "15000.00"; nullopt when the text is no
// amount of money (letters, an exponent, more than two significant decimals).
std::optional<std::string> normalize_amount(std::string_view written);

// paid, partially_paid, cancelled or refunded from what 1C writes ("Оплачен",
// "Частично оплачен", "canceled", ...); nullopt when unknown.
std::optional<std::string> normalize_payment_status(std::string_view written);

// "14.03.2025 12:30:00" or "2025-03-14T12:30:00" -> "2025-03-14T12:30:00" (1C
// local time; an offset given is kept). 1C's empty date (0001-01-01) gives "".
// nullopt when not a date.
std::optional<std::string> normalize_datetime(std::string_view written);

// Digits only, with the Russian habits of writing a mobile number turned into
// the international form WhatsApp uses: 8 916 ... -> 7916..., 916 ... -> 7916...
std::string normalize_client_phone(std::string_view written);

// ISO 4217 letters for what 1C writes (643, руб., RUR -> RUB).
std::string normalize_currency(std::string_view written);

}  // namespace fixit::infrastructure::web
