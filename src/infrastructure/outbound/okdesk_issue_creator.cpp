#include "infrastructure/outbound/okdesk_issue_creator.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

#include "application/errors.hpp"
#include "infrastructure/config/settings.hpp"
#include "infrastructure/logging.hpp"

namespace fixit::infrastructure::outbound {

using application::CreatedIssue;
using application::DeliveryError;
using application::Failure;
using application::IssueRequest;
using application::Task;

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) {
      ++i;
    }
    const auto start = i;
    while (i < text.size() && !is_space(text[i])) {
      ++i;
    }
    if (i > start) {
      words.emplace_back(text.substr(start, i - start));
    }
  }
  return words;
}

std::string digits_of(std::string_view text) {
  std::string digits;
  std::copy_if(text.begin(), text.end(), std::back_inserter(digits),
               [](char c) { return c >= '0' && c <= '9'; });
  return digits;
}

// Ids are integers in REST answers and strings in some clients' data.
std::string read_id(simdjson::dom::element element) {
  std::int64_t number = 0;
  if (element.get(number) == simdjson::SUCCESS) {
    return std::to_string(number);
  }
  std::uint64_t unsigned_number = 0;
  if (element.get(unsigned_number) == simdjson::SUCCESS) {
    return std::to_string(unsigned_number);
  }
  std::string_view text;
  if (element.get(text) == simdjson::SUCCESS) {
    return std::string(text);
  }
  return {};
}

std::string read_member_id(simdjson::dom::object object, std::string_view key) {
  simdjson::dom::element element;
  if (object[key].get(element) != simdjson::SUCCESS) {
    return {};
  }
  return read_id(element);
}

// The first record with an id in a search answer, which comes as one object,
// an array of them, or an object wrapping an array under `wrapper`.
std::optional<simdjson::dom::object> first_found(simdjson::dom::element doc,
                                                 std::string_view wrapper) {
  simdjson::dom::object object;
  if (doc.get(object) == simdjson::SUCCESS) {
    if (!read_member_id(object, "id").empty()) {
      return object;
    }
    simdjson::dom::element inner;
    if (object[wrapper].get(inner) == simdjson::SUCCESS) {
      return first_found(inner, wrapper);
    }
    return std::nullopt;
  }
  simdjson::dom::array array;
  if (doc.get(array) == simdjson::SUCCESS) {
    for (const auto item : array) {
      simdjson::dom::object candidate;
      if (item.get(candidate) == simdjson::SUCCESS && !read_member_id(candidate, "id").empty()) {
        return candidate;
      }
    }
  }
  return std::nullopt;
}

void flatten_errors(simdjson::dom::element element, const std::string& prefix,
                    std::vector<std::string>& out) {
  std::string_view text;
  simdjson::dom::array array;
  simdjson::dom::object object;
  if (element.get(text) == simdjson::SUCCESS) {
    out.push_back(prefix.empty() ? std::string(text) : prefix + ": " + std::string(text));
  } else if (element.get(array) == simdjson::SUCCESS) {
    std::vector<std::string> items;
    for (const auto item : array) {
      flatten_errors(item, "", items);
    }
    if (items.empty()) {
      return;
    }
    std::string joined;
    for (const auto& item : items) {
      joined += (joined.empty() ? "" : ", ") + item;
    }
    out.push_back(prefix.empty() ? joined : prefix + ": " + joined);
  } else if (element.get(object) == simdjson::SUCCESS) {
    for (const auto field : object) {
      const std::string key(field.key);
      flatten_errors(field.value, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (!element.is_null()) {
    out.push_back(prefix.empty() ? simdjson::to_string(element)
                                 : prefix + ": " + simdjson::to_string(element));
  }
}

// Okdesk descriptions are HTML.
std::string as_html(std::string_view text) {
  std::string html;
  html.reserve(text.size() + 16);
  for (const char c : text) {
    switch (c) {
      case '&':
        html += "&amp;";
        break;
      case '<':
        html += "&lt;";
        break;
      case '>':
        html += "&gt;";
        break;
      case '\n':
        html += "<br>";
        break;
      case '\r':
        break;
      default:
        html.push_back(c);
    }
  }
  return html;
}

// Numeric ids go out as JSON numbers, as Okdesk's own answers have them.
boost::json::value id_value(const std::string& id) {
  if (!id.empty() && id.size() < 19 &&
      std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::stoll(id);
  }
  return boost::json::value(id);
}

constexpr std::string_view id_placeholder = "{id}";

// The pattern with every {id} replaced by `id`, encoded to fit any part of a URL.
std::string fill_pattern(std::string_view pattern, std::string_view id) {
  const auto encoded_id = boost::urls::encode(id, boost::urls::unreserved_chars);
  std::string filled;
  std::size_t from = 0;
  for (auto at = pattern.find(id_placeholder); at != std::string_view::npos;
       at = pattern.find(id_placeholder, from)) {
    filled.append(pattern.substr(from, at - from)).append(encoded_id);
    from = at + id_placeholder.size();
  }
  filled.append(pattern.substr(from));
  return filled;
}

bool ends_with_any(std::string_view word, std::initializer_list<std::string_view> endings) {
  return std::any_of(endings.begin(), endings.end(),
                     [&](std::string_view ending) { return word.ends_with(ending); });
}

}  // namespace

struct OkdeskIssueCreator::Call {
  std::string method = "GET";
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
  std::string what;  // e.g. "contact search", for messages

  static Call get(std::string path, std::string key, std::string value, std::string what) {
    Call call{"GET", std::move(path), {}, {}, std::move(what)};
    call.query.emplace_back(std::move(key), std::move(value));
    return call;
  }
  static Call post(std::string path, std::string body, std::string what) {
    return Call{"POST", std::move(path), {}, std::move(body), std::move(what)};
  }
};

std::optional<std::string> ticket_link_problem(std::string_view pattern) {
  if (pattern.empty()) {
    return std::nullopt;
  }
  if (pattern.find(id_placeholder) == std::string_view::npos) {
    return "it must contain {id} where the issue number goes";
  }
  const auto sample = fill_pattern(pattern, "1");
  const auto link = boost::urls::parse_uri_reference(sample);
  if (!link) {
    return "it is neither a URL nor a path";
  }
  if (!link->has_scheme()) {
    return std::nullopt;  // a path on OKDESK_URL
  }
  const auto scheme = link->scheme_id();
  if ((scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) ||
      link->encoded_host().empty()) {
    return "an absolute link must be an http or https URL with a host";
  }
  return std::nullopt;
}

std::string okdesk_error_message(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) {
    auto text = std::string(body.substr(0, 200));
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return text.empty() ? "no details" : text;
  }
  std::vector<std::string> parts;
  simdjson::dom::element errors;
  if (doc["errors"].get(errors) == simdjson::SUCCESS) {
    flatten_errors(errors, "", parts);
  } else {
    for (const auto key : {"error", "message"}) {
      simdjson::dom::element element;
      if (doc[key].get(element) == simdjson::SUCCESS) {
        flatten_errors(element, "", parts);
        break;
      }
    }
  }
  if (parts.empty()) {
    return "no details";
  }
  std::string message;
  for (const auto& part : parts) {
    message += (message.empty() ? "" : "; ") + part;
  }
  return message;
}

std::vector<std::string> phone_spellings(std::string_view phone) {
  const auto digits = digits_of(phone);
  if (digits.empty()) {
    return {};
  }
  if (digits.size() == 11 && (digits[0] == '7' || digits[0] == '8')) {
    const auto national = digits.substr(1);
    return {"7" + national, "+7" + national, "8" + national};
  }
  return {digits, "+" + digits};
}

PersonName split_person_name(std::string_view name) {
  const auto words = words_of(name);
  PersonName person;
  if (words.empty()) {
    return person;
  }
  // "Petrov Ivan Sergeevich": surname first when a patronymic closes the name.
  if (words.size() == 3 && ends_with_any(words[2], {"вич", "вна", "чна", "ична", "vich", "vna"})) {
    person.last = words[0];
    person.first = words[1];
    person.patronymic = words[2];
    return person;
  }
  person.first = words[0];
  for (std::size_t i = 1; i < words.size(); ++i) {
    person.last += (person.last.empty() ? "" : " ") + words[i];
  }
  return person;
}

OkdeskConfig OkdeskConfig::from(const Settings& settings) {
  OkdeskConfig config;
  config.url = settings.okdesk_url;
  config.api_token = settings.okdesk_api_token;
  config.ticket_link = settings.okdesk_ticket_link;
  return config;
}

OkdeskIssueCreator::OkdeskIssueCreator(HttpClient& http, OkdeskConfig config)
    : http_(http), config_(std::move(config)) {
  while (config_.url.ends_with('/')) {
    config_.url.pop_back();
  }
  if (!config_.url.empty()) {
    if (const auto reason = HttpClient::unusable_url_reason(config_.url)) {
      throw std::invalid_argument("OKDESK_URL cannot be used: " + *reason);
    }
  }
  if (const auto reason = ticket_link_problem(config_.ticket_link)) {
    throw std::invalid_argument("OKDESK_TICKET_LINK cannot be used: " + *reason);
  }
  if (config_.url.empty() || config_.api_token.empty()) {
    problem_ = "OKDESK_URL and OKDESK_API_TOKEN must be set to create issues";
  }
}

std::optional<std::string> OkdeskIssueCreator::problem() const {
  const std::lock_guard lock(problem_mutex_);
  return problem_;
}

void OkdeskIssueCreator::set_problem(std::optional<std::string> problem) {
  const std::lock_guard lock(problem_mutex_);
  if (problem && !problem_) {
    // Every call fails the same way until someone acts: say it loudly once.
    spdlog::error("okdesk account problem reason=\"{}\"", *problem);
  } else if (!problem && problem_) {
    spdlog::info("okdesk calls work again");
  }
  problem_ = std::move(problem);
}

std::string OkdeskIssueCreator::generate_ticket_link(const std::string& issue_id) const {
  if (config_.ticket_link.empty()) {
    boost::urls::url link(config_.url);
    link.segments().push_back("issues");
    link.segments().push_back(issue_id);
    return std::string(link.buffer());
  }
  auto filled = fill_pattern(config_.ticket_link, issue_id);
  const auto reference = boost::urls::parse_uri_reference(filled);
  if (!reference || reference->has_scheme() || config_.url.empty()) {
    return filled;
  }
  // A path (a client-portal page, say) is a page of the Okdesk account.
  boost::urls::url link(config_.url);
  if (!link.resolve(*reference)) {
    return filled;
  }
  return std::string(link.buffer());
}

std::string OkdeskIssueCreator::api_url(
    std::string_view path, const std::vector<std::pair<std::string, std::string>>& query) const {
  boost::urls::url url(config_.url);
  auto base_path = std::string(url.encoded_path());
  while (base_path.ends_with('/')) {
    base_path.pop_back();
  }
  url.set_encoded_path(base_path + "/api/v1" + std::string(path));
  // Encoded by hand: Boost.URL keeps '+' as is in a query, and Okdesk reads it as a space.
  const auto encode = [](const std::string& text) {
    return boost::urls::encode(text, boost::urls::unreserved_chars);
  };
  url.encoded_params().append({"api_token", encode(config_.api_token)});
  for (const auto& [key, value] : query) {
    url.encoded_params().append({encode(key), encode(value)});
  }
  return std::string(url.buffer());
}

Task<HttpResponse> OkdeskIssueCreator::call(const Call& call) {
  if (config_.url.empty() || config_.api_token.empty()) {
    throw DeliveryError(Failure::permanent,
                        "okdesk is not configured: OKDESK_URL and OKDESK_API_TOKEN must be set");
  }
  HttpRequest request;
  request.method = call.method;
  request.url = api_url(call.path, call.query);
  if (!call.body.empty()) {
    request.content_type = "application/json";
    request.body = call.body;
  }
  HttpResponse response;
  try {
    response = co_await http_.send(std::move(request));
  } catch (const TransportError& e) {
    const auto failure =
        e.kind() == TransportError::Kind::bad_url ? Failure::permanent : Failure::transient;
    const auto message =
        redact(redact(e.what(), config_.api_token),
               boost::urls::encode(config_.api_token, boost::urls::unreserved_chars));
    spdlog::info("okdesk call failed step=\"{}\" error=\"{}\"", call.what, message);
    throw DeliveryError(failure, "okdesk " + call.what + " failed: " + message);
  }
  if (response.status == 401) {
    set_problem("Okdesk refuses OKDESK_API_TOKEN (http 401 on " + call.what + ")");
  } else if (response.status < 500 && response.status != 429) {
    set_problem(std::nullopt);
  }
  co_return response;
}

namespace {

// The token as sent in a URL, which an echoed URL would show.
std::string encoded(const std::string& token) {
  return boost::urls::encode(token, boost::urls::unreserved_chars);
}

std::string scrub(std::string text, const std::string& token) {
  return redact(redact(std::move(text), token), encoded(token));
}

[[noreturn]] void refuse(const HttpResponse& response, const std::string& what,
                         const std::string& token) {
  const auto transient = response.status == 429 || response.status >= 500;
  const auto details = scrub(okdesk_error_message(response.body), token);
  const auto message =
      "okdesk " + what + " failed: http " + std::to_string(response.status) + ", " + details;
  if (transient) {
    spdlog::info("okdesk asks to retry later step=\"{}\" http={} retry_after={} details=\"{}\"",
                 what, response.status, response.retry_after, details);
  } else {
    spdlog::warn("okdesk refused step=\"{}\" http={} details=\"{}\"", what, response.status,
                 details);
  }
  DeliveryError error(transient ? Failure::transient : Failure::permanent, message,
                      std::to_string(response.status));
  if (response.status == 401) {
    error.mark_reported();  // a refused token is logged at error once, as an account problem
  }
  throw error;
}

// A 2xx answer that names no `errors`: Okdesk also reports refusals inside a 2xx body.
bool is_accepted(const HttpResponse& response) {
  if (response.status < 200 || response.status >= 300) {
    return false;
  }
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(response.body).get(object) != simdjson::SUCCESS) {
    return true;  // not an object: the caller reads (or refuses) it as it is
  }
  simdjson::dom::element errors;
  if (object["errors"].get(errors) != simdjson::SUCCESS || errors.is_null()) {
    return true;
  }
  // An empty "errors" ([], {}, "") names no error.
  switch (errors.type()) {
    case simdjson::dom::element_type::ARRAY:
      return errors.get_array().size() == 0;
    case simdjson::dom::element_type::OBJECT:
      return errors.get_object().size() == 0;
    case simdjson::dom::element_type::STRING:
      return errors.get_string().value().empty();
    default:
      return false;
  }
}

}  // namespace

Task<std::optional<OkdeskIssueCreator::Contact>> OkdeskIssueCreator::find_contact(
    const std::string& phone) {
  for (const auto& spelling : phone_spellings(phone)) {
    const auto response =
        co_await call(Call::get("/contacts/", "phone", spelling, "contact search"));
    if (response.status == 404) {
      continue;  // Okdesk's way of saying "no such contact"
    }
    if (!is_accepted(response)) {
      refuse(response, "contact search", config_.api_token);
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(response.body).get(doc) != simdjson::SUCCESS) {
      refuse(HttpResponse{502, response.body, {}, {}}, "contact search (unreadable answer)",
             config_.api_token);
    }
    if (const auto found = first_found(doc, "contacts")) {
      Contact contact{read_member_id(*found, "id"), read_member_id(*found, "company_id")};
      spdlog::debug("okdesk contact found contact_id={} phone={}", contact.id,
                    mask_phone(spelling));
      co_return contact;
    }
  }
  co_return std::nullopt;
}

Task<std::string> OkdeskIssueCreator::find_company(const std::string& name) {
  try {
    const auto response = co_await call(Call::get("/companies/", "name", name, "company search"));
    if (response.status == 404) {
      co_return std::string{};
    }
    if (!is_accepted(response)) {
      refuse(response, "company search", config_.api_token);
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(response.body).get(doc) == simdjson::SUCCESS) {
      if (const auto found = first_found(doc, "companies")) {
        co_return read_member_id(*found, "id");
      }
    }
    co_return std::string{};
  } catch (const DeliveryError& e) {
    // The issue is worth more than its company link: only a transient failure
    // (worth waiting for) stops it.
    if (e.transient()) {
      throw;
    }
    spdlog::warn("okdesk company search skipped reason=\"{}\"", e.what());
    co_return std::string{};
  }
}

Task<OkdeskIssueCreator::Contact> OkdeskIssueCreator::create_contact(
    const IssueRequest& request, const std::string& phone, const std::string& company_id) {
  auto person = split_person_name(request.client.name);
  const auto spellings = phone_spellings(phone);
  const auto stored_phone = spellings.size() > 1 ? spellings[1] : std::string{};
  if (person.first.empty()) {
    person.first = "WhatsApp";
  }
  if (person.last.empty()) {
    // Okdesk wants a last name; say where the contact came from rather than invent one.
    person.last = stored_phone.empty() ? "WhatsApp" : stored_phone;
  }

  boost::json::object contact{{"first_name", person.first}, {"last_name", person.last}};
  if (!person.patronymic.empty()) {
    contact["patronymic"] = person.patronymic;
  }
  if (!stored_phone.empty()) {
    contact["phone"] = stored_phone;
  }
  if (!company_id.empty()) {
    contact["company_id"] = id_value(company_id);
  }
  const boost::json::object body{{"contact", contact}};

  const auto response =
      co_await call(Call::post("/contacts/", boost::json::serialize(body), "contact creation"));
  if (!is_accepted(response)) {
    refuse(response, "contact creation", config_.api_token);
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object object;
  if (parser.parse(response.body).get(doc) != simdjson::SUCCESS ||
      doc.get(object) != simdjson::SUCCESS || read_member_id(object, "id").empty()) {
    refuse({422, response.body, {}, {}}, "contact creation (answer without an id)",
           config_.api_token);
  }
  Contact created{read_member_id(object, "id"), read_member_id(object, "company_id")};
  if (created.company_id.empty()) {
    created.company_id = company_id;
  }
  spdlog::info("okdesk contact created contact_id={} phone={}", created.id,
               mask_phone(digits_of(phone)));
  co_return created;
}

Task<std::string> OkdeskIssueCreator::post_issue(const IssueRequest& request,
                                                 const Contact& contact) {
  auto title = request.issue.title;
  if (title.empty()) {
    title = "WhatsApp: " + (request.client.name.empty() ? request.client.id : request.client.name);
  }
  boost::json::object issue{{"title", title}, {"description", as_html(request.issue.description)}};
  if (!contact.id.empty()) {
    issue["contact_id"] = id_value(contact.id);
  }
  if (!contact.company_id.empty()) {
    issue["company_id"] = id_value(contact.company_id);
  }
  const boost::json::object body{{"issue", issue}};

  const auto response =
      co_await call(Call::post("/issues/", boost::json::serialize(body), "issue creation"));
  if (!is_accepted(response)) {
    refuse(response, "issue creation", config_.api_token);
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object object;
  std::string id;
  if (parser.parse(response.body).get(doc) == simdjson::SUCCESS &&
      doc.get(object) == simdjson::SUCCESS) {
    id = read_member_id(object, "id");
  }
  if (id.empty()) {
    // Not retried: Okdesk may have created the issue, and a retry would make a second one.
    refuse({422, response.body, {}, {}}, "issue creation (answer without an id)",
           config_.api_token);
  }
  co_return id;
}

Task<CreatedIssue> OkdeskIssueCreator::create_issue(const IssueRequest& request) {
  const auto phone = request.client.phone.empty() ? request.client.id : request.client.phone;

  auto contact = co_await find_contact(phone);
  if (!contact) {
    std::string company_id;
    if (!request.company.empty()) {
      company_id = co_await find_company(request.company);
    }
    contact = co_await create_contact(request, phone, company_id);
  } else if (contact->company_id.empty() && !request.company.empty()) {
    contact->company_id = co_await find_company(request.company);
  }

  CreatedIssue created;
  created.id = co_await post_issue(request, *contact);
  created.link = generate_ticket_link(created.id);
  spdlog::info("okdesk issue created issue_id={} contact_id={} company_id={}", created.id,
               contact->id, contact->company_id.empty() ? "none" : contact->company_id);
  co_return created;
}

}  // namespace fixit::infrastructure::outbound
