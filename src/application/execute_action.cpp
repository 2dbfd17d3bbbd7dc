#include "application/execute_action.hpp"

namespace fixit::application {

using domain::ActionKind;

namespace {
std::string value_of(const domain::Context& context, std::string_view key) {
  const auto it = context.find(std::string(key));
  return it == context.end() ? std::string{} : it->second;
}
}  // namespace

ExecuteAction::ExecuteAction(IMessageSender& messenger, IIssueCreator& helpdesk,
                             IAccountingConnector& accounting)
    : messenger_(messenger), helpdesk_(helpdesk), accounting_(accounting) {}

Task<ActionResult> ExecuteAction::operator()(const PendingAction& pending) {
  ActionResult result;
  const auto& action = pending.action;
  const domain::User client{pending.user_id, value_of(pending.context, domain::ctx::name),
                            value_of(pending.context, domain::ctx::phone)};

  switch (action.kind) {
    case ActionKind::reply: {
      auto sent = co_await messenger_.send_text(pending.user_id, action.text);
      result.sent_message_ids = std::move(sent.message_ids);
      break;
    }
    case ActionKind::reply_template: {
      auto sent = co_await messenger_.send_template(pending.user_id, action.text);
      result.sent_message_ids = std::move(sent.message_ids);
      break;
    }
    case ActionKind::mark_read:
      co_await messenger_.mark_read(action.message_id);
      break;
    case ActionKind::create_issue: {
      IssueRequest request;
      request.issue.title = action.title;
      request.issue.description = action.description;
      request.client = client;
      request.company = value_of(pending.context, domain::ctx::company);
      const auto created = co_await helpdesk_.create_issue(request);

      domain::DomainEvent event;
      event.type = domain::EventType::ISSUE_CREATED;
      event.key = "issue_created:" + std::to_string(pending.id);
      event.user_id = pending.user_id;
      event.payload[std::string(domain::key::issue_id)] = created.id;
      event.payload[std::string(domain::key::issue_link)] =
          created.link.empty() ? helpdesk_.generate_ticket_link(created.id) : created.link;
      if (action.quiet) {
        event.payload[std::string(domain::key::quiet)] = "1";
      }
      result.follow_up = std::move(event);
      break;
    }
    case ActionKind::request_invoice: {
      const InvoiceRequest request{value_of(pending.context, domain::ctx::issue_id), client,
                                   value_of(pending.context, domain::ctx::company)};
      co_await accounting_.request_invoice(request);
      break;
    }
  }
  co_return result;
}

}  // namespace fixit::application
