#include "infrastructure/web/okdesk_parser.hpp"

#include <openssl/evp.h>

#include <array>

#include "infrastructure/web/html_text.hpp"
#include "infrastructure/web/http_types.hpp"
#include "infrastructure/web/json_read.hpp"
#include "infrastructure/web/phone.hpp"

namespace fixit::infrastructure::web {

namespace {

namespace od = simdjson::ondemand;
namespace key = domain::key;
using json::scalar;

constexpr std::string_view status_change = "new_ticket_status";
constexpr std::string_view new_comment = "new_comment";

struct StatusView {
  std::string_view code;
  std::string_view name;
};

struct EventView {
  std::string_view type;
  std::string_view author_type;
  StatusView old_status;
  StatusView new_status;
  bool has_comment = false;
  std::string_view comment_id;
  std::string_view comment_html;
  bool comment_public = false;
};

struct IssueView {
  std::string_view id;
  StatusView status;
  StatusView old_status;
  std::string_view wa_chat_id;
};

bool is_object(od::value& value) {
  return value.type() == od::json_type::object;
}

StatusView read_status(od::value value) {
  StatusView status;
  if (!is_object(value)) {
    return status;
  }
  for (auto field : value.get_object()) {
    const std::string_view name = field.unescaped_key();
    if (name == "code") {
      status.code = scalar(field.value());
    } else if (name == "name") {
      status.name = scalar(field.value());
    }
  }
  return status;
}

void read_event(od::value value, EventView& event) {
  for (auto field : value.get_object()) {
    const std::string_view name = field.unescaped_key();
    od::value field_value = field.value();
    if (name == "event_type") {
      event.type = scalar(field_value);
    } else if (name == "old_status") {
      event.old_status = read_status(field_value);
    } else if (name == "new_status") {
      event.new_status = read_status(field_value);
    } else if (name == "author" && is_object(field_value)) {
      for (auto author_field : field_value.get_object()) {
        if (std::string_view(author_field.unescaped_key()) == "type") {
          event.author_type = scalar(author_field.value());
        }
      }
    } else if (name == "comment" && is_object(field_value)) {
      event.has_comment = true;
      for (auto comment_field : field_value.get_object()) {
        const std::string_view comment_name = comment_field.unescaped_key();
        if (comment_name == "id") {
          event.comment_id = scalar(comment_field.value());
        } else if (comment_name == "is_public" || comment_name == "public") {
          event.comment_public = json::truthy(comment_field.value());
        } else if (comment_name == "content") {
          event.comment_html = scalar(comment_field.value());
        }
      }
    }
  }
}

void read_issue(od::value value, IssueView& issue) {
  for (auto field : value.get_object()) {
    const std::string_view name = field.unescaped_key();
    od::value field_value = field.value();
    if (name == "id") {
      issue.id = scalar(field_value);
    } else if (name == "status") {
      issue.status = read_status(field_value);
    } else if (name == "old_status") {
      issue.old_status = read_status(field_value);
    } else if (name == "parameters" && field_value.type() == od::json_type::array) {
      for (od::value parameter : field_value.get_array()) {
        if (!is_object(parameter)) {
          continue;
        }
        std::string_view code;
        std::string_view parameter_value;
        for (auto parameter_field : parameter.get_object()) {
          const std::string_view parameter_name = parameter_field.unescaped_key();
          if (parameter_name == "code") {
            code = scalar(parameter_field.value());
          } else if (parameter_name == "value") {
            parameter_value = scalar(parameter_field.value());
          }
        }
        if (code == "wa_chat_id" && !parameter_value.empty()) {
          issue.wa_chat_id = parameter_value;
        }
      }
    }
  }
}

// Okdesk sends no event id. A status change without a comment is told apart
// from an earlier change to the same status by the body itself, so a retried
// delivery (same bytes) is a duplicate and a later change is not.
std::string body_fingerprint(const std::string& body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(body.data(), body.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < 8 && i < size; ++i) {
    hex += digits[digest[i] >> 4];
    hex += digits[digest[i] & 0x0f];
  }
  return hex;
}

void put(domain::DomainEvent& event, std::string_view name, std::string_view value) {
  event.payload.emplace(name, value);
}

}  // namespace

OkdeskNotification parse_okdesk_webhook(const std::string& body) {
  EventView event;
  IssueView issue;
  OkdeskNotification out;
  simdjson::padded_string copy;
  try {
    auto document = json::iterate(body, body.capacity(), copy);
    if (document.type() != od::json_type::object) {
      throw RequestError(400, "body must be a JSON object");
    }
    for (auto field : document.get_object()) {
      const std::string_view name = field.unescaped_key();
      od::value value = field.value();
      if (name == "event" && is_object(value)) {
        read_event(value, event);
      } else if (name == "issue" && is_object(value)) {
        read_issue(value, issue);
      }
    }
    if (!json::at_end(document)) {
      throw RequestError(400, "body has content after the JSON object");
    }

    if (event.type.empty()) {
      throw RequestError(422, "event.event_type is missing");
    }
    out.event_type = event.type;
    out.issue_id = issue.id;
    if (event.type != status_change && event.type != new_comment) {
      out.ignored = "event type not used";
      return out;
    }
    if (issue.id.empty()) {
      throw RequestError(422, "issue.id is missing");
    }

    domain::DomainEvent result;
    result.type = domain::EventType::ISSUE_UPDATED;
    put(result, key::issue_id, issue.id);
    put(result, key::event_type, event.type);
    if (!issue.wa_chat_id.empty()) {
      put(result, key::phone, phone_digits(issue.wa_chat_id));
    }

    if (event.type == new_comment) {
      if (!event.has_comment || event.comment_id.empty()) {
        throw RequestError(422, "event.comment.id is missing");
      }
      if (!event.comment_public) {
        out.ignored = "comment is not public";
        return out;
      }
      if (event.author_type == "contact") {
        out.ignored = "comment written by the client";
        return out;
      }
      result.key = "okdesk:" + out.issue_id + ":new_comment:" + std::string(event.comment_id);
      put(result, key::comment, html_to_text(event.comment_html));
    } else {
      const auto old_status = event.old_status.code.empty() ? issue.old_status : event.old_status;
      const auto new_status = event.new_status.code.empty() ? issue.status : event.new_status;
      if (new_status.code.empty()) {
        throw RequestError(422, "event.new_status.code is missing");
      }
      put(result, key::old_status_code, old_status.code);
      put(result, key::old_status_name, old_status.name);
      put(result, key::new_status_code, new_status.code);
      put(result, key::new_status_name, new_status.name);
      if (event.has_comment && event.comment_public) {
        auto comment = html_to_text(event.comment_html);
        if (!comment.empty()) {
          put(result, key::comment, comment);
        }
      }
      result.key =
          "okdesk:" + out.issue_id + ":new_ticket_status:" + std::string(new_status.code) + ":" +
          (event.comment_id.empty() ? body_fingerprint(body) : "c" + std::string(event.comment_id));
    }
    out.event = std::move(result);
  } catch (const simdjson::simdjson_error& error) {
    throw RequestError(400, json::invalid_json_message(error));
  }
  return out;
}

}  // namespace fixit::infrastructure::web
