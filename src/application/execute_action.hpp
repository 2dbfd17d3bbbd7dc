#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "application/ports.hpp"

namespace fixit::application {

// An action taken from the queue, with what the dialog knew when it was decided.
struct PendingAction {
  std::int64_t id = 0;
  std::string user_id;
  domain::DialogAction action;
  domain::Context context;
};

struct ActionResult {
  // An event the flow must see next (ISSUE_CREATED after create_issue).
  std::optional<domain::DomainEvent> follow_up;
  // Messenger ids of the messages sent, to match delivery receipts with.
  std::vector<std::string> sent_message_ids;
};

// Executes one queued action through the ports. Throws DeliveryError as the
// ports do; the caller decides about retries.
class ExecuteAction {
 public:
  ExecuteAction(IMessageSender& messenger, IIssueCreator& helpdesk,
                IAccountingConnector& accounting);

  Task<ActionResult> operator()(const PendingAction& pending);

 private:
  IMessageSender& messenger_;
  IIssueCreator& helpdesk_;
  IAccountingConnector& accounting_;
};

}  // namespace fixit::application
