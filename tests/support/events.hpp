#pragma once

// Builders for the domain events tests feed to the flow.

#include <string>

#include "domain/event.hpp"

namespace fixit::testing {

inline domain::DomainEvent message_event(const std::string& from, const std::string& text,
                                         const std::string& kind = "text",
                                         const std::string& id = {}) {
  static int counter = 0;
  domain::DomainEvent event;
  event.type = domain::EventType::MESSAGE;
  event.key = id.empty() ? "wamid.test." + std::to_string(++counter) : id;
  event.user_id = from;
  event.payload = {{"message_id", event.key}, {"kind", kind}, {"text", text}, {"phone", from}};
  return event;
}

inline domain::DomainEvent issue_created_event(const std::string& user, const std::string& id,
                                               const std::string& link) {
  domain::DomainEvent event;
  event.type = domain::EventType::ISSUE_CREATED;
  event.key = "issue_created:" + id;
  event.user_id = user;
  event.payload = {{"issue_id", id}, {"issue_link", link}};
  return event;
}

inline domain::DomainEvent payment_event(const std::string& issue_id, const std::string& status,
                                         const std::string& amount_due = "0.00") {
  domain::DomainEvent event;
  event.type = domain::EventType::PAYMENT_STATUS;
  event.key = "1c:" + issue_id + ":" + status;
  event.payload = {
      {"issue_id", issue_id},      {"status", status},         {"invoice_number", "СП00-000123"},
      {"amount_paid", "15000.00"}, {"amount_due", amount_due}, {"currency", "RUB"}};
  return event;
}

inline domain::DomainEvent status_event(const std::string& issue_id, const std::string& from,
                                        const std::string& to, const std::string& to_name,
                                        const std::string& comment = {}) {
  domain::DomainEvent event;
  event.type = domain::EventType::ISSUE_UPDATED;
  event.key = "okdesk:" + issue_id + ":new_ticket_status:" + to;
  event.payload = {{"issue_id", issue_id},       {"event_type", "new_ticket_status"},
                   {"old_status_code", from},    {"new_status_code", to},
                   {"new_status_name", to_name}, {"comment", comment}};
  return event;
}

inline domain::DomainEvent comment_event(const std::string& issue_id, const std::string& text) {
  domain::DomainEvent event;
  event.type = domain::EventType::ISSUE_UPDATED;
  event.key = "okdesk:" + issue_id + ":new_comment:" + text;
  event.payload = {{"issue_id", issue_id}, {"event_type", "new_comment"}, {"comment", text}};
  return event;
}

}  // namespace fixit::testing
