#include "notifications.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "infrastructure/web/http_types.hpp"

namespace fixit::bench {

namespace {

constexpr std::array<std::string_view, 6> texts{
    "Здравствуйте! После обновления не печатает кассовый аппарат, чеки не выходят. Что делать?",
    "Добрый день. Не работает интернет в офисе на втором этаже, роутер мигает красным.",
    "Ольга Смирнова",
    "ООО «Ромашка-Трейд»",
    "Подскажите, пожалуйста, когда приедет инженер? Мы ждём с утра.",
    "Спасибо, всё заработало 🙂 Ссылка на фото: "
    "https://example.com/a/b",
};

void append_hex4(std::string& out, std::uint32_t unit) {
  static constexpr char digits[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) {
    out += digits[(unit >> shift) & 0xf];
  }
}

std::string phone_of(std::size_t user) {
  auto digits = std::to_string(user);
  return "7999" + std::string(7 - std::min<std::size_t>(7, digits.size()), '0') + digits;
}

std::string message_id(std::size_t user, std::size_t n) {
  return "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ" + std::to_string(user) + "X" + std::to_string(n) +
         "AA==";
}

std::string message_value(std::size_t user, std::size_t n) {
  const auto phone = phone_of(user);
  return R"({"messaging_product":"whatsapp","metadata":{"display_phone_number":"79990000100",)"
         R"("phone_number_id":"100000000000001"},"contacts":[{"profile":{"name":")" +
         escape_like_meta("Иван Петров") + R"("},"wa_id":")" + phone +
         R"("}],"messages":[{"from":")" + phone + R"(","id":")" + message_id(user, n) +
         R"(","timestamp":"1764770660","type":"text","text":{"body":")" +
         escape_like_meta(texts[n % texts.size()]) + R"("}}]})";
}

std::string status_value(std::size_t user, std::size_t n) {
  return R"({"messaging_product":"whatsapp","metadata":{"display_phone_number":"79990000100",)"
         R"("phone_number_id":"100000000000001"},"statuses":[{"id":")" +
         message_id(user, n) +
         R"(","status":"delivered","timestamp":"1764770480","recipient_id":")" + phone_of(user) +
         R"(","pricing":{"billable":false,"pricing_model":"PMP","type":"free_customer_service",)"
         R"("category":"service"}}]})";
}

std::string entry(const std::string& value) {
  return R"({"id":"200000000000001","changes":[{"value":)" + value + R"(,"field":"messages"}]})";
}

std::string wrap(const std::string& entries) {
  return R"({"object":"whatsapp_business_account","entry":[)" + entries + "]}";
}

}  // namespace

std::string escape_like_meta(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      if (lead == '"' || lead == '\\' || lead == '/') {
        out += '\\';
      }
      out += static_cast<char>(lead);
      ++i;
      continue;
    }
    const std::size_t width = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    std::uint32_t code = lead & (width == 4 ? 0x07 : width == 3 ? 0x0f : 0x1f);
    for (std::size_t k = 1; k < width && i + k < text.size(); ++k) {
      code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    }
    i += width;
    if (code >= 0x10000) {
      code -= 0x10000;
      append_hex4(out, 0xD800 + (code >> 10));
      append_hex4(out, 0xDC00 + (code & 0x3ff));
    } else {
      append_hex4(out, code);
    }
  }
  return out;
}

std::string one_message_notification(std::size_t user, std::size_t n) {
  return wrap(entry(message_value(user, n)));
}

std::string batch_notification(std::size_t updates) {
  std::string entries;
  for (std::size_t i = 0; i < updates; ++i) {
    if (i > 0) {
      entries += ',';
    }
    entries += entry(i % 4 == 3 ? status_value(i, i) : message_value(i, i));
  }
  return wrap(entries);
}

std::string notification_of_size(std::size_t size) {
  std::string entries;
  for (std::size_t i = 0; entries.size() + 64 < size; ++i) {
    if (i > 0) {
      entries += ',';
    }
    entries += entry(message_value(i, i));
  }
  return wrap(entries);
}

std::string with_padding(const std::string& body) {
  std::string padded;
  padded.reserve(body.size() + infrastructure::web::body_padding);
  padded = body;
  return padded;
}

}  // namespace fixit::bench
