#pragma once

// The service company's default conversation: greet, ask name and company,
// open an issue, follow payment and progress until the work is done.
// Wording lives in FlowTexts so an operator can change it without a rebuild.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "domain/flow.hpp"

namespace fixit::domain {

struct FlowTexts {
  // Message texts by id ("ask_name", "issue_created", ...), with placeholders.
  std::map<std::string, std::string> texts;
  // Words for helpdesk status codes ("in_progress" -> "в работе"). A code not
  // listed is shown with the name the helpdesk sent.
  std::map<std::string, std::string> status_names;
  // Status codes after which the work is considered finished.
  std::set<std::string> done_statuses;
  // What a client writes to say thanks or "ok" once the work is done; such a
  // message gets a polite answer instead of opening a new issue. Compared
  // without case, spaces or punctuation.
  std::set<std::string> acknowledgements;

  // The built-in Russian texts.
  static FlowTexts defaults();

  // The text for `id`; throws std::out_of_range naming the id when missing.
  [[nodiscard]] const std::string& text(const std::string& id) const;
};

// The rules of the default flow, worded by `texts`.
std::vector<FlowRule> default_flow_rules(const FlowTexts& texts);

// The title given to an issue opened from a client's first message: its first
// line, shortened on a character boundary to at most `max_chars` characters.
std::string issue_title_from_problem(const std::string& problem, std::size_t max_chars = 80);

}  // namespace fixit::domain
