#pragma once

// WhatsApp Cloud API webhook notifications -> DomainEvents.
//
// Every entry, change, message and status of a notification is read (Meta
// batches up to 1,000 updates in one POST). Each inbound message of any kind
// becomes a MESSAGE event, each receipt a MESSAGE_STATUS event. What is not
// used (other subscription fields, value-level errors, items without an id)
// is counted as skipped and logged at debug: answering anything but 200 would
// only make Meta resend it for days.

#include <cstddef>
#include <string>
#include <vector>

#include "domain/event.hpp"

namespace fixit::infrastructure::web {

struct WabaNotification {
  std::vector<domain::DomainEvent> events;
  std::size_t skipped = 0;
};

// `body` is read in place when its capacity leaves web::body_padding spare bytes.
// Throws RequestError(400) when the body is not a JSON object.
WabaNotification parse_waba_notification(const std::string& body);

}  // namespace fixit::infrastructure::web
