#pragma once

// Okdesk webhooks -> DomainEvents.
//
// A status change (`new_ticket_status`) and a public comment by an employee
// (`new_comment`) become ISSUE_UPDATED events; the comment HTML arrives as plain
// text. Everything else (other event types, private comments, comments the
// client wrote) yields no event and a reason for the log: Okdesk gets its 200
// and nothing happens twice.

#include <optional>
#include <string>

#include "domain/event.hpp"

namespace fixit::infrastructure::web {

struct OkdeskNotification {
  std::string event_type;
  std::string issue_id;
  std::optional<domain::DomainEvent> event;
  std::string ignored;  // why there is no event
};

// Throws RequestError: 400 when the body is not a JSON object, 422 when an
// event this service acts on lacks the issue id or its event type.
OkdeskNotification parse_okdesk_webhook(const std::string& body);

}  // namespace fixit::infrastructure::web
