#pragma once

// Opens tickets in Okdesk through its REST API (/api/v1), finding or creating
// the client's contact first so the ticket is linked to them.

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "application/ports.hpp"
#include "infrastructure/outbound/http_client.hpp"

namespace fixit::infrastructure {
struct Settings;
}

namespace fixit::infrastructure::outbound {

struct OkdeskConfig {
  std::string url;  // the account's origin, e.g. https://yourcompany.okdesk.ru
  std::string api_token;
  // The link clients get, with {id} for the issue number: an http(s) URL or a
  // path on `url` (e.g. /portal/issues/{id}); empty means {url}/issues/{id}.
  std::string ticket_link;

  static OkdeskConfig from(const Settings& settings);
};

// Why `pattern` cannot make ticket links (no {id}, or an absolute URL that is
// not http(s)), or nothing when it can. An empty pattern means the default link.
std::optional<std::string> ticket_link_problem(std::string_view pattern);

// One readable sentence from an Okdesk error body, whose `errors` may be a
// string, an array or an object of field -> message(s).
std::string okdesk_error_message(std::string_view body);

// The spellings a phone may be stored under in Okdesk, which matches phones as
// exact strings: 79161234567, +79161234567 and 89161234567 for a Russian number.
std::vector<std::string> phone_spellings(std::string_view phone);

// A contact's name parts from what the client typed as their name.
struct PersonName {
  std::string first;
  std::string last;
  std::string patronymic;
};
PersonName split_person_name(std::string_view name);

class OkdeskIssueCreator final : public application::IIssueCreator {
 public:
  // Throws std::invalid_argument when OKDESK_URL cannot be used (see HttpClient)
  // or the ticket link pattern cannot make links (see ticket_link_problem).
  OkdeskIssueCreator(HttpClient& http, OkdeskConfig config);

  // Finds the client's contact by phone (or creates it), then the issue. Throws
  // application::DeliveryError: transient for 429, 5xx and network failures,
  // permanent for other refusals, a 2xx answer with `errors` included. A retry after a transient
  // failure finds the contact created by the failed attempt instead of creating another.
  application::Task<application::CreatedIssue> create_issue(
      const application::IssueRequest& request) override;

  [[nodiscard]] std::string generate_ticket_link(const std::string& issue_id) const override;

  // What keeps issues from being created (missing settings, a token Okdesk
  // refuses), for a readiness check; cleared by the next successful call.
  [[nodiscard]] std::optional<std::string> problem() const;

 private:
  struct Contact {
    std::string id;
    std::string company_id;
  };
  struct Call;

  application::Task<std::optional<Contact>> find_contact(const std::string& phone);
  application::Task<std::string> find_company(const std::string& name);
  application::Task<Contact> create_contact(const application::IssueRequest& request,
                                            const std::string& phone,
                                            const std::string& company_id);
  application::Task<std::string> post_issue(const application::IssueRequest& request,
                                            const Contact& contact);
  application::Task<HttpResponse> call(const Call& call);
  [[nodiscard]] std::string api_url(
      std::string_view path, const std::vector<std::pair<std::string, std::string>>& query) const;

  void set_problem(std::optional<std::string> problem);

  HttpClient& http_;
  OkdeskConfig config_;

  mutable std::mutex problem_mutex_;
  std::optional<std::string> problem_;
};

}  // namespace fixit::infrastructure::outbound
