#pragma once

// Sends replies through the WhatsApp Cloud API (Graph API messages endpoint).

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "application/errors.hpp"
#include "application/ports.hpp"
#include "infrastructure/outbound/http_client.hpp"

namespace fixit::infrastructure {
struct Settings;
}

namespace fixit::infrastructure::outbound {

struct WhatsAppConfig {
  std::string api_url;  // e.g. https://graph.facebook.com/v21.0
  std::string phone_number_id;
  std::string access_token;
  std::string template_name;  // sent instead of free text once the 24-hour window closed
  std::string template_lang = "ru";

  static WhatsAppConfig from(const Settings& settings);
};

// The longest text one WhatsApp message may carry, in characters.
inline constexpr std::size_t max_text_chars = 4096;

// `text` cut into parts of at most `max_chars` characters (code points of the
// UTF-8 text), preferring to cut after a line break, then after a space.
std::vector<std::string> split_text(std::string_view text, std::size_t max_chars = max_text_chars);

// How a Graph API error answer is to be treated, by its error.code (0 when the
// body had none) and the HTTP status.
application::Failure classify_whatsapp_error(long code, unsigned http_status);

// True for codes meaning the sender cannot work until someone fixes the token,
// its permissions or the account (190 token expired, ...).
bool is_account_problem(long code);

class WhatsAppSender final : public application::IMessageSender {
 public:
  // Throws std::invalid_argument when the API URL cannot be used (see HttpClient).
  WhatsAppSender(HttpClient& http, WhatsAppConfig config);

  // Sends `text` to the user with WhatsApp id `to` (digits), in several messages
  // when it is longer than one may be. When WhatsApp refuses free text because
  // its 24-hour window closed, sends the configured template with the text as
  // its parameter instead. Throws application::DeliveryError.
  //
  // A transient failure after some parts went out makes a retry send those
  // parts again; texts are rarely that long.
  application::Task<application::SentMessage> send_text(const std::string& to,
                                                        const std::string& text) override;
  // Sends the configured template (WABA_TEMPLATE_NAME, WABA_TEMPLATE_LANG) with
  // `text`, flattened to one line, as its body parameter: for a text WhatsApp
  // reported undeliverable after the send call because the window had closed.
  application::Task<application::SentMessage> send_template(const std::string& to,
                                                            const std::string& text) override;
  application::Task<void> mark_read(const std::string& message_id) override;

  // What keeps the sender from working (an expired token...), for a readiness
  // check; cleared by the next successful call.
  [[nodiscard]] std::optional<std::string> problem() const;

 private:
  struct Answer;
  application::Task<Answer> post(const std::string& body);
  application::Task<std::string> send_part(const std::string& to, const std::string& text);
  application::Task<std::string> post_template(const std::string& to, const std::string& text);
  [[noreturn]] void fail(const Answer& answer, std::string_view what);
  void succeeded();

  HttpClient& http_;
  WhatsAppConfig config_;
  std::string messages_url_;

  mutable std::mutex problem_mutex_;
  std::optional<std::string> problem_;
};

}  // namespace fixit::infrastructure::outbound
