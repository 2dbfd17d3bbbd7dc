#pragma once

// In-memory stand-ins for the storage ports, for tests of the use cases.

#include <map>
#include <string>
#include <vector>

#include "application/errors.hpp"
#include "application/ports.hpp"

namespace fixit::testing {

class InMemoryDialogRepository : public application::IDialogRepository {
 public:
  application::Task<std::optional<domain::Dialog>> load(const std::string& user_id) override {
    const auto it = dialogs_.find(user_id);
    co_return it == dialogs_.end() ? std::nullopt : std::optional(it->second);
  }

  application::Task<std::optional<domain::Dialog>> find_by_issue(
      const std::string& issue_id) override {
    const auto link = issue_links_.find(issue_id);
    if (link == issue_links_.end()) {
      co_return std::nullopt;
    }
    co_return co_await load(link->second);
  }

  application::Task<void> save(domain::Dialog& dialog) override {
    const auto it = dialogs_.find(dialog.user_id);
    const auto stored_version = it == dialogs_.end() ? 0 : it->second.version;
    if (stored_version != dialog.version) {
      throw application::ConcurrentUpdate(dialog.user_id);
    }
    ++dialog.version;
    dialogs_[dialog.user_id] = dialog;
    if (const auto issue = dialog.context.find("issue_id"); issue != dialog.context.end()) {
      issue_links_[issue->second] = dialog.user_id;
    }
    ++saves;
    co_return;
  }

  std::map<std::string, domain::Dialog> dialogs_;
  std::map<std::string, std::string> issue_links_;
  int saves = 0;
};

struct QueuedAction {
  std::string user_id;
  domain::DialogAction action;
  domain::Context context;
};

class InMemoryActionQueue : public application::IActionQueue {
 public:
  application::Task<void> enqueue(const domain::Dialog& dialog,
                                  const std::vector<domain::DialogAction>& actions,
                                  const domain::DomainEvent&) override {
    for (const auto& action : actions) {
      queued.push_back({dialog.user_id, action, dialog.context});
    }
    co_return;
  }

  std::vector<QueuedAction> queued;
};

}  // namespace fixit::testing
