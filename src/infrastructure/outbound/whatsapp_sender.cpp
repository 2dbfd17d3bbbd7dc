#include "infrastructure/outbound/whatsapp_sender.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/url.hpp>

#include "infrastructure/config/settings.hpp"
#include "infrastructure/logging.hpp"

namespace fixit::infrastructure::outbound {

using application::DeliveryError;
using application::Failure;
using application::SentMessage;
using application::Task;

namespace {

std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) {
    return 1;
  }
  if ((lead >> 5) == 0x6) {
    return 2;
  }
  if ((lead >> 4) == 0xE) {
    return 3;
  }
  if ((lead >> 3) == 0x1E) {
    return 4;
  }
  return 1;  // a stray continuation byte counts as one character
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// Template parameters may not contain line breaks, tabs or long runs of spaces.
std::string as_template_parameter(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (const char c : trim_spaces(text)) {
    if (is_space(c)) {
      space = true;
      continue;
    }
    if (space) {
      out.push_back(' ');
      space = false;
    }
    out.push_back(c);
  }
  return out;
}

std::string status_text(long code, unsigned status) {
  return code != 0 ? std::to_string(code) : std::to_string(status);
}

}  // namespace

std::vector<std::string> split_text(std::string_view text, std::size_t max_chars) {
  std::vector<std::string> parts;
  max_chars = std::max<std::size_t>(1, max_chars);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = pos;
    std::size_t count = 0;
    std::size_t after_newline = std::string_view::npos;
    std::size_t after_space = std::string_view::npos;
    while (end < text.size() && count < max_chars) {
      const auto c = static_cast<unsigned char>(text[end]);
      const auto length = std::min(utf8_length(c), text.size() - end);
      end += length;
      ++count;
      if (c == '\n') {
        after_newline = end;
      } else if (c == ' ' || c == '\t') {
        after_space = end;
      }
    }

    std::size_t cut = end;
    if (end < text.size()) {
      // A break in the window's first half would leave a needlessly short part.
      const auto half = pos + (end - pos) / 2;
      if (after_newline != std::string_view::npos && after_newline > half) {
        cut = after_newline;
      } else if (after_space != std::string_view::npos && after_space > half) {
        cut = after_space;
      }
    }
    const auto part = end < text.size() ? trim_spaces(text.substr(pos, cut - pos))
                                        : trim_spaces(text.substr(pos));
    if (!part.empty()) {
      parts.emplace_back(part);
    }
    pos = end < text.size() ? cut : text.size();
  }
  return parts;
}

application::Failure classify_whatsapp_error(long code, unsigned http_status) {
  switch (code) {
    case 1:
    case 2:
    case 4:
    case 80007:
    case 130429:
    case 131000:
    case 131016:
    case 131056:
      return Failure::transient;
    case 100:
    case 190:
    case 131026:
    case 131047:
    case 131050:
      return Failure::permanent;
    default:
      break;
  }
  if (code >= 132000 && code < 133000) {
    return Failure::permanent;
  }
  if (http_status == 429 || http_status >= 500) {
    return Failure::transient;
  }
  return Failure::permanent;
}

bool is_account_problem(long code) {
  return code == 190 || code == 10 || (code >= 200 && code < 300) || code == 368 || code == 131031;
}

WhatsAppConfig WhatsAppConfig::from(const Settings& settings) {
  WhatsAppConfig config;
  config.api_url = settings.waba_api_url;
  config.phone_number_id = settings.waba_phone_number_id;
  config.access_token = settings.waba_access_token;
  config.template_name = settings.waba_template_name;
  config.template_lang = settings.waba_template_lang;
  return config;
}

struct WhatsAppSender::Answer {
  unsigned status = 0;
  long code = 0;  // error.code; 0 when the answer had none
  std::string message;
  std::string details;
  std::string message_id;  // messages[0].id of a sent message
  bool success = false;    // {"success": true} of a read receipt

  [[nodiscard]] bool ok() const {
    return status >= 200 && status < 300 && code == 0 && (success || !message_id.empty());
  }
};

WhatsAppSender::WhatsAppSender(HttpClient& http, WhatsAppConfig config)
    : http_(http), config_(std::move(config)) {
  while (config_.api_url.ends_with('/')) {
    config_.api_url.pop_back();
  }
  if (const auto reason = HttpClient::unusable_url_reason(config_.api_url)) {
    throw std::invalid_argument("WABA_API_URL cannot be used: " + *reason);
  }
  boost::urls::url url(config_.api_url);
  url.segments().push_back(config_.phone_number_id);
  url.segments().push_back("messages");
  messages_url_ = std::string(url.buffer());
  if (config_.phone_number_id.empty() || config_.access_token.empty()) {
    problem_ = "WABA_PHONE_NUMBER_ID and WABA_ACCESS_TOKEN must be set to send messages";
  }
}

std::optional<std::string> WhatsAppSender::problem() const {
  const std::lock_guard lock(problem_mutex_);
  return problem_;
}

void WhatsAppSender::succeeded() {
  const std::lock_guard lock(problem_mutex_);
  if (problem_) {
    spdlog::info("whatsapp sending works again");
    problem_.reset();
  }
}

Task<WhatsAppSender::Answer> WhatsAppSender::post(const std::string& body) {
  if (config_.phone_number_id.empty() || config_.access_token.empty()) {
    throw DeliveryError(Failure::permanent,
                        "whatsapp is not configured: WABA_PHONE_NUMBER_ID and "
                        "WABA_ACCESS_TOKEN must be set");
  }
  HttpRequest request;
  request.method = "POST";
  request.url = messages_url_;
  request.headers.emplace_back("Authorization", "Bearer " + config_.access_token);
  request.content_type = "application/json";
  request.body = body;

  HttpResponse response;
  try {
    response = co_await http_.send(std::move(request));
  } catch (const TransportError& e) {
    const auto failure =
        e.kind() == TransportError::Kind::bad_url ? Failure::permanent : Failure::transient;
    spdlog::info("whatsapp call failed error=\"{}\"", redact(e.what(), config_.access_token));
    throw DeliveryError(failure, "whatsapp: " + redact(e.what(), config_.access_token));
  }

  Answer answer;
  answer.status = response.status;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(response.body).get(doc) != simdjson::SUCCESS) {
    if (answer.status >= 200 && answer.status < 300) {
      answer.status = 502;  // a 2xx we cannot read did not confirm anything
    }
    answer.message = "answer is not JSON";
    co_return answer;
  }
  simdjson::dom::object error;
  if (doc["error"].get(error) == simdjson::SUCCESS) {
    std::int64_t code = 0;
    if (error["code"].get(code) == simdjson::SUCCESS) {
      answer.code = static_cast<long>(code);
    }
    std::string_view text;
    if (error["message"].get(text) == simdjson::SUCCESS) {
      answer.message = text;
    }
    if (error.at_pointer("/error_data/details").get(text) == simdjson::SUCCESS) {
      answer.details = text;
    }
    if (answer.code == 0 && answer.status < 400) {
      answer.status = 400;  // an error object is a refusal whatever the status said
    }
  }
  std::string_view id;
  if (doc.at_pointer("/messages/0/id").get(id) == simdjson::SUCCESS) {
    answer.message_id = id;
  }
  bool success = false;
  if (doc["success"].get(success) == simdjson::SUCCESS) {
    answer.success = success;
  }
  co_return answer;
}

void WhatsAppSender::fail(const Answer& answer, std::string_view what) {
  const auto failure = classify_whatsapp_error(answer.code, answer.status);
  std::string message = "whatsapp refused the " + std::string(what) + ": ";
  message += answer.code != 0 ? "error " + std::to_string(answer.code) : "no error code";
  message += ", http " + std::to_string(answer.status);
  if (!answer.message.empty()) {
    message += ", " + answer.message;
  }
  if (!answer.details.empty()) {
    message += " (" + answer.details + ")";
  }
  message = redact(message, config_.access_token);

  DeliveryError error(failure, message, status_text(answer.code, answer.status));
  if (is_account_problem(answer.code)) {
    error.mark_reported();
    const std::lock_guard lock(problem_mutex_);
    // Every call fails the same way until someone acts: say it loudly once.
    if (!problem_) {
      spdlog::error("whatsapp account problem code={} message=\"{}\"", answer.code,
                    redact(answer.message, config_.access_token));
    } else {
      spdlog::debug("whatsapp account problem persists code={}", answer.code);
    }
    problem_ = answer.code == 190 ? "WhatsApp rejects WABA_ACCESS_TOKEN (error 190): " + message
                                  : "WhatsApp refuses the account (error " +
                                        std::to_string(answer.code) + "): " + message;
  } else if (failure == Failure::permanent) {
    spdlog::warn("whatsapp message refused code={} http={} message=\"{}\"", answer.code,
                 answer.status, redact(answer.message, config_.access_token));
  } else {
    spdlog::info("whatsapp asks to retry later code={} http={} message=\"{}\"", answer.code,
                 answer.status, redact(answer.message, config_.access_token));
  }
  throw error;
}

Task<std::string> WhatsAppSender::send_part(const std::string& to, const std::string& text) {
  boost::json::object body{{"messaging_product", "whatsapp"},
                           {"recipient_type", "individual"},
                           {"to", to},
                           {"type", "text"},
                           {"text", {{"preview_url", false}, {"body", text}}}};
  auto answer = co_await post(boost::json::serialize(body));
  if (answer.ok() && !answer.message_id.empty()) {
    co_return answer.message_id;
  }
  if (answer.code == 131047) {
    co_return std::string{};  // the caller falls back to the template
  }
  fail(answer, "text message");
}

Task<std::string> WhatsAppSender::post_template(const std::string& to, const std::string& text) {
  boost::json::object language{{"code", config_.template_lang}};
  boost::json::array parameters{
      boost::json::object{{"type", "text"}, {"text", as_template_parameter(text)}}};
  boost::json::array components{boost::json::object{{"type", "body"}, {"parameters", parameters}}};
  boost::json::object body{
      {"messaging_product", "whatsapp"},
      {"recipient_type", "individual"},
      {"to", to},
      {"type", "template"},
      {"template",
       {{"name", config_.template_name}, {"language", language}, {"components", components}}}};
  auto answer = co_await post(boost::json::serialize(body));
  if (answer.ok() && !answer.message_id.empty()) {
    co_return answer.message_id;
  }
  fail(answer, "template message");
}

Task<SentMessage> WhatsAppSender::send_text(const std::string& to, const std::string& text) {
  const auto parts = split_text(text);
  if (parts.empty()) {
    throw DeliveryError(Failure::permanent, "whatsapp: an empty text cannot be sent");
  }

  SentMessage sent;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto id = co_await send_part(to, parts[i]);
    if (!id.empty()) {
      sent.message_ids.push_back(std::move(id));
      continue;
    }

    // The 24-hour window closed: only a template may go out now.
    if (config_.template_name.empty()) {
      spdlog::warn("whatsapp window closed and no template configured to={}", mask_phone(to));
      throw DeliveryError(Failure::permanent,
                          "whatsapp refused the text message: error 131047, the 24-hour "
                          "window closed and WABA_TEMPLATE_NAME is not set",
                          "131047");
    }
    std::string rest;
    for (std::size_t j = i; j < parts.size(); ++j) {
      rest += (rest.empty() ? "" : " ") + parts[j];
    }
    spdlog::info("whatsapp window closed, sending the template to={} template={}", mask_phone(to),
                 config_.template_name);
    sent.message_ids.push_back(co_await post_template(to, rest));
    sent.used_template = true;
    break;
  }
  succeeded();
  spdlog::debug("whatsapp text sent to={} parts={} template={}", mask_phone(to),
                sent.message_ids.size(), sent.used_template);
  co_return sent;
}

Task<SentMessage> WhatsAppSender::send_template(const std::string& to, const std::string& text) {
  if (config_.template_name.empty()) {
    throw DeliveryError(Failure::permanent,
                        "whatsapp: no template to send, WABA_TEMPLATE_NAME is not set");
  }
  if (as_template_parameter(text).empty()) {
    throw DeliveryError(Failure::permanent, "whatsapp: an empty text cannot be sent");
  }
  SentMessage sent;
  sent.message_ids.push_back(co_await post_template(to, text));
  sent.used_template = true;
  succeeded();
  spdlog::debug("whatsapp template sent to={} template={}", mask_phone(to), config_.template_name);
  co_return sent;
}

Task<void> WhatsAppSender::mark_read(const std::string& message_id) {
  const boost::json::object body{
      {"messaging_product", "whatsapp"}, {"status", "read"}, {"message_id", message_id}};
  const auto answer = co_await post(boost::json::serialize(body));
  if (!answer.ok()) {
    fail(answer, "read receipt");
  }
  succeeded();
}

}  // namespace fixit::infrastructure::outbound
