#include "infrastructure/web/waba_parser.hpp"

#include <spdlog/spdlog.h>

#include <array>

#include "infrastructure/web/http_types.hpp"
#include "infrastructure/web/json_read.hpp"

namespace fixit::infrastructure::web {

namespace {

namespace od = simdjson::ondemand;
namespace key = domain::key;
using domain::DomainEvent;
using domain::EventType;
using json::scalar;

// Everything below holds views into the parser's buffers: they stay valid for
// the whole parse of one body, and events copy them out at the end of a change.

struct ContactView {
  std::string_view wa_id;
  std::string_view user_id;
  std::string_view name;
};

// The text a message's kind object carries (text.body, image.caption, ...).
struct KindObject {
  std::string_view key;
  std::string_view text;
  std::string joined;  // when the text is made of several parts
  bool uses_joined = false;

  [[nodiscard]] std::string_view value() const { return uses_joined ? joined : text; }
};

struct MessageView {
  std::string_view id;
  std::string_view from;
  std::string_view from_user_id;
  std::string_view timestamp;
  std::string_view kind;
  std::array<KindObject, 4> objects;
  std::size_t object_count = 0;

  [[nodiscard]] std::string_view text() const {
    for (std::size_t i = 0; i < object_count; ++i) {
      if (objects[i].key == kind) {
        return objects[i].value();
      }
    }
    return {};
  }
};

struct StatusView {
  std::string_view id;
  std::string_view status;
  std::string_view timestamp;
  std::string_view recipient_id;
  std::string_view recipient_user_id;
  std::string_view error_code;
  std::string_view error_title;
};

// One change's value. Kept per thread so its vectors keep their capacity.
struct ChangeScratch {
  std::vector<ContactView> contacts;
  std::vector<MessageView> messages;
  std::size_t message_count = 0;  // messages is reused: only the first message_count are live
  std::vector<StatusView> statuses;
  std::string_view field;

  void clear() {
    contacts.clear();
    message_count = 0;
    statuses.clear();
    field = {};
  }

  MessageView& next_message() {
    if (message_count == messages.size()) {
      messages.emplace_back();
    }
    auto& message = messages[message_count++];
    message.id = message.from = message.from_user_id = message.timestamp = message.kind = {};
    message.object_count = 0;
    return message;
  }
};

bool is_object(od::value& value) {
  return value.type() == od::json_type::object;
}
bool is_array(od::value& value) {
  return value.type() == od::json_type::array;
}

// Keys of a message that are not the object named after its type.
bool is_message_metadata(std::string_view name) {
  return name == "context" || name == "referral" || name == "errors" || name == "identity";
}

// The first text-like field of a nested reply object (button_reply, list_reply, nfm_reply).
std::string_view reply_text(od::value value) {
  std::string_view title;
  std::string_view body;
  std::string_view text;
  for (auto field : value.get_object()) {
    const std::string_view name = field.unescaped_key();
    if (name == "title") {
      title = scalar(field.value());
    } else if (name == "body") {
      body = scalar(field.value());
    } else if (name == "text") {
      text = scalar(field.value());
    }
  }
  return !title.empty() ? title : !body.empty() ? body : text;
}

// A shared-contacts array: the formatted names, comma separated.
void read_shared_contacts(od::value value, KindObject& into) {
  into.uses_joined = true;
  into.joined.clear();
  for (od::value contact : value.get_array()) {
    if (!is_object(contact)) {
      continue;
    }
    for (auto field : contact.get_object()) {
      if (std::string_view(field.unescaped_key()) != "name") {
        continue;
      }
      od::value name = field.value();
      if (!is_object(name)) {
        continue;
      }
      std::string_view formatted;
      std::string_view first;
      std::string_view last;
      for (auto part : name.get_object()) {
        const std::string_view part_name = part.unescaped_key();
        if (part_name == "formatted_name") {
          formatted = scalar(part.value());
        } else if (part_name == "first_name") {
          first = scalar(part.value());
        } else if (part_name == "last_name") {
          last = scalar(part.value());
        }
      }
      if (!into.joined.empty()) {
        into.joined += ", ";
      }
      if (!formatted.empty()) {
        into.joined += formatted;
      } else {
        into.joined += first;
        if (!first.empty() && !last.empty()) {
          into.joined += ' ';
        }
        into.joined += last;
      }
    }
  }
}

// The object named after a message's type. Known kinds keep their documented
// text; kinds invented later give their first body, caption, text or title.
void read_kind_object(std::string_view name, od::value value, KindObject& into) {
  into.key = name;
  into.text = {};
  into.uses_joined = false;
  if (is_array(value)) {
    read_shared_contacts(value, into);
    return;
  }
  if (!is_object(value)) {
    return;
  }
  std::string_view body, caption, text, title, emoji, place_name, address, nested;
  for (auto field : value.get_object()) {
    const std::string_view field_name = field.unescaped_key();
    od::value field_value = field.value();
    if (is_object(field_value)) {
      if (nested.empty()) {
        nested = reply_text(field_value);
      }
      continue;
    }
    if (field_name == "body") {
      body = scalar(field_value);
    } else if (field_name == "caption") {
      caption = scalar(field_value);
    } else if (field_name == "text") {
      text = scalar(field_value);
    } else if (field_name == "title") {
      title = scalar(field_value);
    } else if (field_name == "emoji") {
      emoji = scalar(field_value);
    } else if (field_name == "name") {
      place_name = scalar(field_value);
    } else if (field_name == "address") {
      address = scalar(field_value);
    }
  }

  if (name == "location") {
    if (!place_name.empty() && !address.empty()) {
      into.uses_joined = true;
      into.joined.assign(place_name);
      into.joined += ", ";
      into.joined += address;
    } else {
      into.text = !place_name.empty() ? place_name : address;
    }
    return;
  }
  if (name == "unsupported") {
    return;  // its `type` names what WhatsApp could not show, it is no text
  }
  for (const auto candidate : {body, caption, text, title, emoji, nested}) {
    if (!candidate.empty()) {
      into.text = candidate;
      return;
    }
  }
}

void log_errors(std::string_view where, od::value value) {
  if (!is_array(value)) {
    return;
  }
  for (od::value error : value.get_array()) {
    if (!is_object(error)) {
      continue;
    }
    std::string_view code;
    std::string_view title;
    for (auto field : error.get_object()) {
      const std::string_view name = field.unescaped_key();
      if (name == "code") {
        code = scalar(field.value());
      } else if (name == "title") {
        title = scalar(field.value());
      }
    }
    spdlog::debug("whatsapp reported an error where={} code={} title=\"{}\"", where, log_text(code),
                  log_text(title));
  }
}

void read_message(od::value value, ChangeScratch& change) {
  if (!is_object(value)) {
    return;
  }
  auto& message = change.next_message();
  for (auto field : value.get_object()) {
    const std::string_view name = field.unescaped_key();
    od::value field_value = field.value();
    if (name == "id") {
      message.id = scalar(field_value);
    } else if (name == "from") {
      message.from = scalar(field_value);
    } else if (name == "from_user_id") {
      message.from_user_id = scalar(field_value);
    } else if (name == "timestamp") {
      message.timestamp = scalar(field_value);
    } else if (name == "type") {
      message.kind = scalar(field_value);
    } else if (name == "errors") {
      log_errors("message", field_value);
    } else if (!is_message_metadata(name) && message.object_count < message.objects.size()) {
      const od::json_type type = field_value.type();
      if (type == od::json_type::object || type == od::json_type::array) {
        read_kind_object(name, field_value, message.objects[message.object_count++]);
      }
    }
  }
}

void read_status(od::value value, ChangeScratch& change) {
  if (!is_object(value)) {
    return;
  }
  StatusView status;
  for (auto field : value.get_object()) {
    const std::string_view name = field.unescaped_key();
    od::value field_value = field.value();
    if (name == "id") {
      status.id = scalar(field_value);
    } else if (name == "status") {
      status.status = scalar(field_value);
    } else if (name == "timestamp") {
      status.timestamp = scalar(field_value);
    } else if (name == "recipient_id") {
      status.recipient_id = scalar(field_value);
    } else if (name == "recipient_user_id") {
      status.recipient_user_id = scalar(field_value);
    } else if (name == "errors" && is_array(field_value)) {
      for (od::value error : field_value.get_array()) {
        if (!is_object(error) || !status.error_code.empty() || !status.error_title.empty()) {
          continue;  // the first error is the one that counts
        }
        for (auto error_field : error.get_object()) {
          const std::string_view error_name = error_field.unescaped_key();
          if (error_name == "code") {
            status.error_code = scalar(error_field.value());
          } else if (error_name == "title") {
            status.error_title = scalar(error_field.value());
          }
        }
      }
    }
  }
  change.statuses.push_back(status);
}

void read_contacts(od::value value, ChangeScratch& change) {
  for (od::value contact_value : value.get_array()) {
    if (!is_object(contact_value)) {
      continue;
    }
    ContactView contact;
    for (auto field : contact_value.get_object()) {
      const std::string_view name = field.unescaped_key();
      od::value field_value = field.value();
      if (name == "wa_id") {
        contact.wa_id = scalar(field_value);
      } else if (name == "user_id") {
        contact.user_id = scalar(field_value);
      } else if (name == "profile" && is_object(field_value)) {
        for (auto profile_field : field_value.get_object()) {
          if (std::string_view(profile_field.unescaped_key()) == "name") {
            contact.name = scalar(profile_field.value());
          }
        }
      }
    }
    change.contacts.push_back(contact);
  }
}

void read_change_value(od::value value, ChangeScratch& change) {
  for (auto field : value.get_object()) {
    const std::string_view name = field.unescaped_key();
    od::value field_value = field.value();
    if (name == "messages" && is_array(field_value)) {
      for (od::value item : field_value.get_array()) {
        read_message(item, change);
      }
    } else if (name == "statuses" && is_array(field_value)) {
      for (od::value item : field_value.get_array()) {
        read_status(item, change);
      }
    } else if (name == "contacts" && is_array(field_value)) {
      read_contacts(field_value, change);
    } else if (name == "errors") {
      log_errors("value", field_value);
    }
  }
}

const ContactView* contact_of(const MessageView& message, std::size_t index,
                              const std::vector<ContactView>& contacts) {
  for (const auto& contact : contacts) {
    if ((!message.from.empty() &&
         (contact.wa_id == message.from || contact.user_id == message.from)) ||
        (!message.from_user_id.empty() && contact.user_id == message.from_user_id)) {
      return &contact;
    }
  }
  // Without a sender id the contact at the same position describes the sender.
  if (message.from.empty() && message.from_user_id.empty() && !contacts.empty()) {
    return &contacts[index < contacts.size() ? index : 0];
  }
  // A wa_id may be spelled differently from `from` (some countries' mobile
  // prefixes); a lone contact is still the sender.
  if (contacts.size() == 1) {
    return &contacts.front();
  }
  return nullptr;
}

void put(DomainEvent& event, std::string_view name, std::string_view value) {
  event.payload.emplace(name, value);
}

void emit_change(const ChangeScratch& change, WabaNotification& out) {
  for (std::size_t i = 0; i < change.message_count; ++i) {
    const auto& message = change.messages[i];
    if (message.id.empty()) {
      ++out.skipped;
      spdlog::debug("whatsapp message without id skipped kind={}", log_text(message.kind));
      continue;
    }
    const auto* contact = contact_of(message, i, change.contacts);
    std::string_view user = message.from;
    std::string_view phone = message.from;
    if (user.empty() && contact != nullptr) {
      user = !contact->wa_id.empty() ? contact->wa_id : contact->user_id;
      phone = contact->wa_id;
    }
    if (user.empty()) {
      user = message.from_user_id;
    }

    DomainEvent event;
    event.type = EventType::MESSAGE;
    event.key = message.id;
    event.user_id = user;
    put(event, key::message_id, message.id);
    put(event, key::kind, message.kind.empty() ? std::string_view("unknown") : message.kind);
    put(event, key::text, message.text());
    put(event, key::timestamp, message.timestamp);
    if (contact != nullptr && !contact->name.empty()) {
      put(event, key::profile_name, contact->name);
    }
    if (!phone.empty()) {
      put(event, key::phone, phone);
    }
    out.events.push_back(std::move(event));
  }

  for (const auto& status : change.statuses) {
    if (status.id.empty() || status.status.empty()) {
      ++out.skipped;
      spdlog::debug("whatsapp status without id or status skipped");
      continue;
    }
    DomainEvent event;
    event.type = EventType::MESSAGE_STATUS;
    event.key.reserve(status.id.size() + 1 + status.status.size());
    event.key.append(status.id).append(":").append(status.status);
    event.user_id = !status.recipient_id.empty() ? status.recipient_id : status.recipient_user_id;
    put(event, key::message_id, status.id);
    put(event, key::status, status.status);
    put(event, key::timestamp, status.timestamp);
    if (!status.error_code.empty() || !status.error_title.empty()) {
      put(event, key::error_code, status.error_code);
      put(event, key::error_title, status.error_title);
    }
    out.events.push_back(std::move(event));
  }
}

void read_change(od::value value, ChangeScratch& change, WabaNotification& out) {
  change.clear();
  for (auto field : value.get_object()) {
    const std::string_view name = field.unescaped_key();
    od::value field_value = field.value();
    if (name == "value" && is_object(field_value)) {
      read_change_value(field_value, change);
    } else if (name == "field") {
      change.field = scalar(field_value);
    }
  }
  // `field` may come before or after `value`; only `messages` carries messages
  // and statuses (a missing field is given the benefit of the doubt).
  if (!change.field.empty() && change.field != "messages") {
    out.skipped += change.message_count + change.statuses.size() + 1;
    spdlog::debug("whatsapp change ignored field={}", log_text(change.field));
    return;
  }
  emit_change(change, out);
}

void read_entry(od::value value, ChangeScratch& change, WabaNotification& out) {
  for (auto field : value.get_object()) {
    if (std::string_view(field.unescaped_key()) != "changes") {
      continue;
    }
    od::value changes = field.value();
    if (!is_array(changes)) {
      continue;
    }
    for (od::value change_value : changes.get_array()) {
      if (is_object(change_value)) {
        read_change(change_value, change, out);
      }
    }
  }
}

}  // namespace

WabaNotification parse_waba_notification(const std::string& body) {
  thread_local ChangeScratch change;
  WabaNotification out;
  simdjson::padded_string copy;
  try {
    auto document = json::iterate(body, body.capacity(), copy);
    if (document.type() != od::json_type::object) {
      throw RequestError(400, "body must be a JSON object");
    }
    for (auto field : document.get_object()) {
      const std::string_view name = field.unescaped_key();
      od::value value = field.value();
      if (name == "entry" && is_array(value)) {
        for (od::value entry : value.get_array()) {
          if (is_object(entry)) {
            read_entry(entry, change, out);
          }
        }
      } else if (name == "object") {
        const auto object = scalar(value);
        if (object != "whatsapp_business_account") {
          spdlog::debug("whatsapp notification for another object object={}", log_text(object));
        }
      }
    }
    if (!json::at_end(document)) {
      throw RequestError(400, "body has content after the JSON object");
    }
  } catch (const simdjson::simdjson_error& error) {
    throw RequestError(400, json::invalid_json_message(error));
  }
  return out;
}

}  // namespace fixit::infrastructure::web
