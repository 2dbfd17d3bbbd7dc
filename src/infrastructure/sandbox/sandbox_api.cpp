#include "infrastructure/sandbox/sandbox_api.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "infrastructure/config/settings.hpp"

namespace fixit::infrastructure::sandbox {

namespace json = boost::json;

namespace {

json::value to_value(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array items;
      json::array array;
      if (element.get(items) != simdjson::SUCCESS) {
        return array;
      }
      for (const auto item : items) {
        array.push_back(to_value(item));
      }
      return array;
    }
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object fields;
      json::object object;
      if (element.get(fields) != simdjson::SUCCESS) {
        return object;
      }
      for (const auto field : fields) {
        object[field.key] = to_value(field.value);
      }
      return object;
    }
    case simdjson::dom::element_type::INT64:
      return element.get_int64().value_unsafe();
    case simdjson::dom::element_type::UINT64:
      return element.get_uint64().value_unsafe();
    case simdjson::dom::element_type::DOUBLE:
      return element.get_double().value_unsafe();
    case simdjson::dom::element_type::STRING:
      return json::string(element.get_string().value_unsafe());
    case simdjson::dom::element_type::BOOL:
      return element.get_bool().value_unsafe();
    case simdjson::dom::element_type::NULL_VALUE:
      return nullptr;
  }
  return nullptr;
}

std::string text_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) {
    return {};
  }
  return std::string(value->get_string());
}

const json::object* object_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_object() ? &value->get_object() : nullptr;
}

// An integer id given as a number or as a string of digits.
std::optional<std::int64_t> id_of(const json::value* value) {
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_int64()) {
    return value->get_int64();
  }
  if (value->is_uint64()) {
    return static_cast<std::int64_t>(value->get_uint64());
  }
  if (value->is_string()) {
    const auto text = std::string(value->get_string());
    if (!text.empty() && text.size() < 19 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::stoll(text);
    }
  }
  return std::nullopt;
}

std::size_t count_characters(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string now_iso() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%03lld+00:00", buffer, static_cast<long long>(millis));
  return out;
}

SandboxReply reply(unsigned status, const json::value& body) {
  return SandboxReply{status, json::serialize(body), "application/json", std::nullopt};
}

SandboxReply okdesk_error(unsigned status, json::value errors) {
  return reply(status, json::object{{"errors", std::move(errors)}});
}

struct GraphErrorInfo {
  unsigned status;
  const char* title;
  const char* details;
};

GraphErrorInfo graph_error_info(long code) {
  switch (code) {
    case 1:
      return {500, "An unknown error occurred", "An unknown error occurred"};
    case 2:
      return {503, "Service temporarily unavailable", "Service temporarily unavailable"};
    case 4:
      return {400, "Application request limit reached", "Application request limit reached"};
    case 100:
      return {400, "Invalid parameter", "Invalid parameter"};
    case 190:
      return {401, "Error validating access token: Session has expired",
              "The access token has expired"};
    case 80007:
      return {400, "Rate limit issues", "The WhatsApp Business Account reached its rate limit"};
    case 130429:
      return {400, "Rate limit hit",
              "Cloud API message throughput has been reached for this phone number"};
    case 131000:
      return {500, "Something went wrong", "Message failed to send because of an unknown error"};
    case 131016:
      return {503, "Service unavailable", "A service is temporarily unavailable"};
    case 131026:
      return {400, "Message Undeliverable", "Unable to deliver message"};
    case 131047:
      return {400, "Re-engagement message",
              "Message failed to send because more than 24 hours have passed since the "
              "customer last replied to this number."};
    case 131050:
      return {400, "Unable to deliver the message",
              "This recipient has chosen to stop receiving marketing messages on WhatsApp "
              "from your business"};
    case 131056:
      return {400, "(Business Account, Consumer Account) pair rate limit hit",
              "Too many messages sent from the sender phone number to the same recipient "
              "phone number in a short period of time"};
    default:
      break;
  }
  if (code >= 132000 && code < 133000) {
    return {400, "Template error", "The template call does not match the approved template"};
  }
  return {400, "Sandbox injected error", "Error injected through /_sandbox/fail"};
}

}  // namespace

std::optional<json::value> read_json(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text.data(), text.size()).get(doc) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return to_value(doc);
}

SandboxConfig SandboxConfig::from(const Environment& env) {
  SandboxConfig config;
  config.waba_access_token = env.get_or("WABA_ACCESS_TOKEN", "");
  config.okdesk_api_token = env.get_or("OKDESK_API_TOKEN", "");
  config.waba_phone_number_id = env.get_or("WABA_PHONE_NUMBER_ID", "");
  return config;
}

struct SandboxApi::Parsed {
  std::string method;
  std::string path;
  std::vector<std::string> segments;
  std::vector<std::pair<std::string, std::string>> query;
  std::string authorization;
  std::string raw_body;
  std::optional<json::value> body;

  [[nodiscard]] std::optional<std::string> param(std::string_view key) const {
    for (const auto& [name, value] : query) {
      if (name == key) {
        return value;
      }
    }
    return std::nullopt;
  }
};

SandboxApi::SandboxApi(SandboxConfig config) : config_(std::move(config)) {
  if (!config_.record_file.empty()) {
    record_out_.open(config_.record_file, std::ios::trunc | std::ios::binary);
    if (!record_out_) {
      throw std::runtime_error("cannot open the record file " + config_.record_file.string());
    }
  }
}

SandboxReply SandboxApi::handle(const SandboxRequest& request) {
  Parsed parsed;
  parsed.method = request.method;
  parsed.authorization = request.authorization;
  parsed.raw_body = request.body;
  const auto target = boost::urls::parse_origin_form(request.target);
  if (!target) {
    return reply(400, json::object{{"error", "malformed request target"}});
  }
  parsed.path = target->path();
  for (const auto segment : target->segments()) {
    if (!segment.empty()) {
      parsed.segments.push_back(segment);
    }
  }
  // As form decoding does on the real servers, a raw '+' in the query is a space.
  for (const auto param : target->params(boost::urls::encoding_opts(true))) {
    parsed.query.emplace_back(param.key, param.has_value ? param.value : std::string{});
  }
  if (!request.body.empty()) {
    parsed.body = read_json(request.body);
  }

  const std::lock_guard lock(mutex_);
  if (!parsed.segments.empty() && parsed.segments.front() == "_sandbox") {
    return control(parsed);
  }

  std::string endpoint;
  const auto& s = parsed.segments;
  if (parsed.method == "POST" && s.size() >= 2 && s.size() <= 3 && s.back() == "messages" &&
      (s.size() == 2 || s.front().starts_with("v"))) {
    endpoint = "waba.messages";
  } else if (s.size() >= 3 && s[0] == "api" && s[1] == "v1") {
    const auto& resource = s[2];
    if (resource == "contacts" && s.size() == 3) {
      endpoint = parsed.method == "POST" ? "okdesk.contacts.create" : "okdesk.contacts.search";
    } else if (resource == "companies" && s.size() == 3 && parsed.method == "GET") {
      endpoint = "okdesk.companies.search";
    } else if (resource == "issues" && s.size() == 3 && parsed.method == "POST") {
      endpoint = "okdesk.issues.create";
    } else if (resource == "issues" && s.size() == 4 && parsed.method == "GET") {
      endpoint = "okdesk.issues.get";
    } else {
      endpoint = "okdesk.unknown";
    }
  } else {
    endpoint = "unknown";
  }

  SandboxReply answer;
  const auto fault = std::find_if(faults_.begin(), faults_.end(), [&](const Fault& f) {
    return f.endpoint == endpoint && f.remaining > 0;
  });
  if (fault != faults_.end()) {
    answer = injected(*fault, endpoint);
    if (--fault->remaining == 0) {
      faults_.erase(fault);
    }
  } else {
    answer = route(parsed, endpoint);
  }
  record(parsed, endpoint, answer);
  return answer;
}

SandboxReply SandboxApi::injected(const Fault& fault, const std::string& endpoint) {
  const bool graph = endpoint.starts_with("waba.");
  if (fault.hang) {
    // What a gateway says once it gives up on a hung upstream; the client has
    // normally hung up long before.
    auto answer =
        graph ? reply(504, json::object{{"error", {{"message", "Gateway timeout"}, {"code", 2}}}})
              : SandboxReply{504, "<html><body>504 Gateway Time-out</body></html>", "text/html",
                             std::nullopt};
    answer.hang = fault.hang_for;
    return answer;
  }
  if (graph && (fault.waba_code != 0 || !fault.body)) {
    const auto code = fault.waba_code != 0 ? fault.waba_code : 1;
    const auto info = graph_error_info(code);
    const auto status = fault.status != 0 ? fault.status : info.status;
    const auto message =
        code == 190 ? std::string(info.title) : "(#" + std::to_string(code) + ") " + info.title;
    return reply(status,
                 json::object{{"error",
                               {{"message", message},
                                {"type", "OAuthException"},
                                {"code", code},
                                {"error_data",
                                 {{"messaging_product", "whatsapp"}, {"details", info.details}}},
                                {"fbtrace_id", "ASandboxInjected"}}}});
  }
  const auto status = fault.status != 0 ? fault.status : 500;
  if (fault.body) {
    return reply(status, *fault.body);
  }
  if (status >= 500) {
    // Okdesk's front proxy answers server errors with an HTML page, not JSON.
    return SandboxReply{status,
                        "<html><head><title>" + std::to_string(status) +
                            "</title></head><body><h1>We're sorry, but something went "
                            "wrong.</h1></body></html>",
                        "text/html", std::nullopt};
  }
  return okdesk_error(status, status == 429 ? "Превышен лимит запросов" : "Ошибка запроса");
}

SandboxReply SandboxApi::route(const Parsed& request, const std::string& endpoint) {
  if (endpoint == "waba.messages") {
    return graph_messages(request);
  }
  if (endpoint.starts_with("okdesk.")) {
    return okdesk(request, endpoint);
  }
  return reply(404, json::object{{"error",
                                  {{"message", "Unknown path components: " + request.path},
                                   {"type", "OAuthException"},
                                   {"code", 2500}}}});
}

SandboxReply SandboxApi::graph_messages(const Parsed& request) {
  const auto graph_error = [](long code, const std::string& details) {
    const auto info = graph_error_info(code);
    return reply(
        info.status,
        json::object{{"error",
                      {{"message", code == 190 ? std::string(info.title)
                                               : "(#" + std::to_string(code) + ") " + info.title},
                       {"type", "OAuthException"},
                       {"code", code},
                       {"error_data", {{"messaging_product", "whatsapp"}, {"details", details}}},
                       {"fbtrace_id", "ASandbox"}}}});
  };

  const std::string bearer = "Bearer ";
  if (!request.authorization.starts_with(bearer) || config_.waba_access_token.empty() ||
      request.authorization.substr(bearer.size()) != config_.waba_access_token) {
    return reply(401, json::object{{"error",
                                    {{"message",
                                      "Invalid OAuth access token - Cannot parse "
                                      "access token"},
                                     {"type", "OAuthException"},
                                     {"code", 190},
                                     {"fbtrace_id", "ASandbox"}}}});
  }
  const auto& phone_number_id = request.segments[request.segments.size() - 2];
  if (!config_.waba_phone_number_id.empty() && phone_number_id != config_.waba_phone_number_id) {
    return reply(
        400,
        json::object{{"error",
                      {{"message", "Unsupported post request. Object with ID '" + phone_number_id +
                                       "' does not exist, cannot be loaded due to "
                                       "missing permissions, or does not support "
                                       "this operation."},
                       {"type", "GraphMethodException"},
                       {"code", 100},
                       {"error_subcode", 33},
                       {"fbtrace_id", "ASandbox"}}}});
  }
  if (!request.body || !request.body->is_object()) {
    return graph_error(100, "The request body must be a JSON object");
  }
  const auto& body = request.body->get_object();
  if (text_of(body, "messaging_product") != "whatsapp") {
    return graph_error(100, "The parameter messaging_product is required and must be whatsapp");
  }

  if (body.contains("status")) {
    const auto message_id = text_of(body, "message_id");
    if (text_of(body, "status") != "read" || !message_id.starts_with("wamid.")) {
      return graph_error(100, "A read receipt needs status \"read\" and a wamid message_id");
    }
    return reply(200, json::object{{"success", true}});
  }

  const auto to = text_of(body, "to");
  std::string wa_id;
  std::copy_if(to.begin(), to.end(), std::back_inserter(wa_id),
               [](char c) { return c >= '0' && c <= '9'; });
  if (wa_id.empty()) {
    return graph_error(100, "The parameter to is required");
  }
  const auto type = text_of(body, "type").empty() ? std::string("text") : text_of(body, "type");
  json::object sent{{"to", wa_id}, {"type", type}};
  if (type == "text") {
    const auto* text = object_of(body, "text");
    const auto text_body = text == nullptr ? std::string{} : text_of(*text, "body");
    if (text_body.empty()) {
      return graph_error(100, "The parameter text['body'] is required");
    }
    if (count_characters(text_body) > 4096) {
      return graph_error(100, "Param text['body'] must be at most 4096 characters long");
    }
    sent["text"] = text_body;
  } else if (type == "template") {
    const auto* tmpl = object_of(body, "template");
    const auto* language = tmpl == nullptr ? nullptr : object_of(*tmpl, "language");
    if (tmpl == nullptr || text_of(*tmpl, "name").empty() || language == nullptr ||
        text_of(*language, "code").empty()) {
      return graph_error(100, "A template needs template.name and template.language.code");
    }
    sent["template"] = *tmpl;
  } else if (type == "interactive") {
    if (object_of(body, "interactive") == nullptr) {
      return graph_error(100, "The parameter interactive is required");
    }
    sent["interactive"] = body.at("interactive");
  } else {
    return graph_error(100, "Param type must be one of {text, template, interactive} here");
  }

  if (type != "template") {
    const auto rule = recipient_errors_.find(wa_id);
    if (rule != recipient_errors_.end()) {
      const auto code = rule->second.first;
      if (rule->second.second > 0 && --rule->second.second == 0) {
        recipient_errors_.erase(rule);
      }
      return graph_error(code, graph_error_info(code).details);
    }
  }

  const auto id = "wamid.SANDBOX" + std::to_string(next_message_++);
  sent["id"] = id;
  messages_.push_back(sent);
  return reply(
      200, json::object{{"messaging_product", "whatsapp"},
                        {"contacts", json::array{json::object{{"input", to}, {"wa_id", wa_id}}}},
                        {"messages", json::array{json::object{{"id", id}}}}});
}

SandboxReply SandboxApi::okdesk(const Parsed& request, const std::string& endpoint) {
  const auto token = request.param("api_token");
  if (!token || config_.okdesk_api_token.empty() || *token != config_.okdesk_api_token) {
    return okdesk_error(401, "Доступ запрещён: неверный api_token");
  }

  if (endpoint == "okdesk.contacts.search") {
    const auto phone = request.param("phone");
    const auto id = request.param("id");
    if (!phone && !id) {
      return okdesk_error(400, "Не указаны параметры поиска");
    }
    json::array found;
    if (phone) {
      if (const auto ids = contacts_by_phone_.find(*phone); ids != contacts_by_phone_.end()) {
        for (const auto contact_id : ids->second) {
          found.push_back(contacts_.at(contact_id));
        }
      }
    } else {
      for (const auto& [contact_id, contact] : contacts_) {
        if (std::to_string(contact_id) == *id) {
          found.push_back(contact);
        }
      }
    }
    if (contact_search_shape_ == "array") {
      return reply(200, found);
    }
    if (contact_search_shape_ == "wrapped") {
      return reply(200, json::object{{"contacts", found}});
    }
    if (found.empty()) {
      return okdesk_error(404, "Контакт не найден");
    }
    return reply(200, found.front());
  }

  if (endpoint == "okdesk.contacts.create") {
    if (!request.body) {
      return okdesk_error(400, "Тело запроса должно быть JSON");
    }
    return add_contact(*request.body, false);
  }

  if (endpoint == "okdesk.companies.search") {
    const auto name = request.param("name");
    const auto id = request.param("id");
    if (!name && !id) {
      return okdesk_error(400, "Не указаны параметры поиска");
    }
    for (const auto& [company_id, company] : companies_) {
      if ((name &&
           (text_of(company, "name") == *name || text_of(company, "additional_name") == *name)) ||
          (id && std::to_string(company_id) == *id)) {
        return reply(200, company);
      }
    }
    return okdesk_error(404, "Компания не найдена");
  }

  if (endpoint == "okdesk.issues.create") {
    if (!request.body || !request.body->is_object()) {
      return okdesk_error(400, "Тело запроса должно быть JSON");
    }
    const auto* wrapped = object_of(request.body->get_object(), "issue");
    const auto& issue_in = wrapped != nullptr ? *wrapped : request.body->get_object();
    json::object errors;
    const auto title = text_of(issue_in, "title");
    if (title.empty()) {
      errors["title"] = json::array{"не может быть пустым"};
    }
    const auto* contact_field = issue_in.if_contains("contact_id");
    const auto contact_id = id_of(contact_field);
    if (contact_field != nullptr && !contact_field->is_null() &&
        (!contact_id || !contacts_.contains(*contact_id))) {
      errors["contact_id"] = json::array{"не найден"};
    }
    const auto* company_field = issue_in.if_contains("company_id");
    const auto company_id = id_of(company_field);
    if (company_field != nullptr && !company_field->is_null() && !company_id) {
      errors["company_id"] = json::array{"должно иметь тип integer"};
    }
    if (!errors.empty()) {
      return okdesk_error(422, errors);
    }

    const auto id = next_issue_++;
    json::value contact = nullptr;
    if (contact_id) {
      contact = json::object{{"id", *contact_id}, {"name", contacts_.at(*contact_id).at("name")}};
    }
    json::object issue{{"id", id},
                       {"title", title},
                       {"description", text_of(issue_in, "description")},
                       {"created_at", now_iso()},
                       {"completed_at", nullptr},
                       {"deadline_at", nullptr},
                       {"source", "from_employee"},
                       {"company_id", company_id ? json::value(*company_id) : json::value()},
                       {"group_id", nullptr},
                       {"status", {{"code", "opened"}, {"name", "Открыта"}}},
                       {"old_status", nullptr},
                       {"priority", {{"code", "normal"}, {"name", "Обычный"}}},
                       {"type", nullptr},
                       {"parameters", json::array{}},
                       {"comments", {{"count", 0}, {"last_at", nullptr}}},
                       {"contact", contact},
                       {"assignee", nullptr},
                       {"author", {{"id", 1}, {"name", "Sandbox API"}}}};
    issues_[id] = issue;
    return reply(200, issue);
  }

  if (endpoint == "okdesk.issues.get") {
    const json::value id_text(request.segments[3]);
    const auto id = id_of(&id_text);
    if (!id || !issues_.contains(*id)) {
      return okdesk_error(404, "Заявка не найдена");
    }
    return reply(200, issues_.at(*id));
  }
  return okdesk_error(404, "Не найдено");
}

SandboxReply SandboxApi::add_contact(const json::value& body, bool seeding) {
  if (!body.is_object()) {
    return okdesk_error(400, "Тело запроса должно быть JSON-объектом");
  }
  const auto* wrapped = object_of(body.get_object(), "contact");
  const auto& in = wrapped != nullptr ? *wrapped : body.get_object();
  json::object errors;
  const auto first = text_of(in, "first_name");
  const auto last = text_of(in, "last_name");
  if (first.empty()) {
    errors["first_name"] = json::array{"не может быть пустым"};
  }
  if (last.empty()) {
    errors["last_name"] = json::array{"не может быть пустым"};
  }
  for (const auto* key : {"phone", "mobile_phone"}) {
    const auto phone = text_of(in, key);
    const bool valid = std::all_of(phone.begin(), phone.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '+' || c == ' ' || c == '(' || c == ')' || c == '-';
    });
    if (!phone.empty() && (!valid || phone.find('+', 1) != std::string::npos)) {
      errors[key] = json::array{"имеет неверный формат"};
    }
  }
  const auto* company_field = in.if_contains("company_id");
  const auto company_id = id_of(company_field);
  if (company_field != nullptr && !company_field->is_null() && !company_id) {
    errors["company_id"] = json::array{"должно иметь тип integer"};
  }
  if (!errors.empty()) {
    return okdesk_error(422, errors);
  }

  auto id = next_contact_;
  if (const auto given = id_of(in.if_contains("id")); seeding && given) {
    id = *given;
  }
  if (contacts_.contains(id)) {
    return okdesk_error(422, json::object{{"id", json::array{"уже существует"}}});
  }
  next_contact_ = std::max(next_contact_, id + 1);
  const auto patronymic = text_of(in, "patronymic");
  const auto nullable = [&](std::string_view key) {
    const auto text = text_of(in, key);
    return text.empty() ? json::value() : json::value(text);
  };
  json::object contact{{"id", id},
                       {"name", last + " " + first + (patronymic.empty() ? "" : " " + patronymic)},
                       {"first_name", first},
                       {"last_name", last},
                       {"patronymic", nullable("patronymic")},
                       {"position", nullable("position")},
                       {"email", nullable("email")},
                       {"phone", nullable("phone")},
                       {"mobile_phone", nullable("mobile_phone")},
                       {"comment", nullable("comment")},
                       {"login", nullptr},
                       {"crm_1c_id", nullptr},
                       {"company_id", company_id ? json::value(*company_id) : json::value()},
                       {"active", true},
                       {"access_level", json::array{}},
                       {"maintenance_entity_ids", json::array{}},
                       {"parameters", json::array{}},
                       {"updated_at", now_iso()}};
  contacts_[id] = contact;
  for (const auto* key : {"phone", "mobile_phone"}) {
    contacts_by_phone_[text_of(contact, key)].insert(id);
  }
  return reply(200, contact);
}

SandboxReply SandboxApi::add_company(const json::value& body) {
  if (!body.is_object() || text_of(body.get_object(), "name").empty()) {
    return reply(400, json::object{{"error", "a company needs a name"}});
  }
  const auto& in = body.get_object();
  auto id = id_of(in.if_contains("id")).value_or(next_company_);
  next_company_ = std::max(next_company_, id + 1);
  json::object company{{"id", id},
                       {"name", text_of(in, "name")},
                       {"additional_name", text_of(in, "additional_name")},
                       {"active", true}};
  companies_[id] = company;
  return reply(200, company);
}

SandboxReply SandboxApi::add_fault(const json::value& body) {
  if (!body.is_object()) {
    return reply(400, json::object{{"error", "expected a JSON object"}});
  }
  const auto& in = body.get_object();
  const auto* times_field = in.if_contains("times");
  const int times = times_field != nullptr && times_field->is_int64()
                        ? static_cast<int>(times_field->get_int64())
                        : 1;
  const auto code = id_of(in.if_contains("waba_code"));

  const auto recipient = text_of(in, "recipient");
  if (!recipient.empty()) {
    if (!code) {
      return reply(400, json::object{{"error", "a recipient rule needs waba_code"}});
    }
    const int limit = times_field != nullptr ? times : -1;
    if (*code == 0) {
      recipient_errors_.erase(recipient);
    } else {
      recipient_errors_[recipient] = {static_cast<long>(*code), limit};
    }
    return reply(200, json::object{{"ok", true}});
  }

  static const std::vector<std::string> endpoints{
      "waba.messages",           "okdesk.contacts.search", "okdesk.contacts.create",
      "okdesk.companies.search", "okdesk.issues.create",   "okdesk.issues.get"};
  Fault fault;
  fault.endpoint = text_of(in, "endpoint");
  if (std::find(endpoints.begin(), endpoints.end(), fault.endpoint) == endpoints.end()) {
    std::string known;
    for (const auto& e : endpoints) {
      known += (known.empty() ? "" : ", ") + e;
    }
    return reply(400, json::object{{"error", "endpoint must be one of " + known}});
  }
  if (times < 1) {
    return reply(400, json::object{{"error", "times must be a positive whole number"}});
  }
  fault.remaining = times;
  const auto* hang = in.if_contains("hang");
  fault.hang = hang != nullptr && hang->is_bool() && hang->get_bool();
  fault.hang_for = config_.default_hang;
  if (const auto ms = id_of(in.if_contains("hang_ms"))) {
    fault.hang_for = std::chrono::milliseconds(*ms);
  }
  if (const auto status = id_of(in.if_contains("status"))) {
    if (*status < 100 || *status > 599) {
      return reply(400, json::object{{"error", "status must be an HTTP status"}});
    }
    fault.status = static_cast<unsigned>(*status);
  }
  fault.waba_code = code ? static_cast<long>(*code) : 0;
  if (const auto* answer = in.if_contains("body")) {
    fault.body = *answer;
  }
  if (!fault.hang && fault.status == 0 && fault.waba_code == 0) {
    return reply(400, json::object{{"error", "say how to fail: status, hang or waba_code"}});
  }
  faults_.push_back(std::move(fault));
  return reply(200, json::object{{"ok", true}});
}

SandboxReply SandboxApi::control(const Parsed& request) {
  const auto what = request.segments.size() > 1 ? request.segments[1] : std::string{};
  const json::value empty = json::object{};
  const auto& body = request.body ? *request.body : empty;
  if (request.method == "GET") {
    if (what == "requests") {
      return reply(200, requests_);
    }
    if (what == "messages") {
      return reply(200, messages_);
    }
    if (what == "issues" || what == "contacts") {
      json::array items;
      for (const auto& [id, item] : what == "issues" ? issues_ : contacts_) {
        items.push_back(item);
      }
      return reply(200, items);
    }
    if (what == "health") {
      return reply(200, json::object{{"ok", true}});
    }
  } else if (request.method == "POST") {
    if (!request.raw_body.empty() && !request.body) {
      return reply(400, json::object{{"error", "the body is not JSON"}});
    }
    if (what == "fail") {
      return add_fault(body);
    }
    if (what == "contacts") {
      return add_contact(body, true);
    }
    if (what == "companies") {
      return add_company(body);
    }
    if (what == "reset") {
      reset();
      return reply(200, json::object{{"ok", true}});
    }
    if (what == "config") {
      const auto shape = body.is_object() ? text_of(body.get_object(), "contact_search") : "";
      if (shape != "object" && shape != "array" && shape != "wrapped") {
        return reply(400,
                     json::object{{"error", "contact_search must be object, array or wrapped"}});
      }
      contact_search_shape_ = shape;
      return reply(200, json::object{{"ok", true}});
    }
  }
  return reply(404, json::object{{"error", "unknown sandbox control " + request.method + " " +
                                               request.path}});
}

void SandboxApi::record(const Parsed& request, const std::string& endpoint,
                        const SandboxReply& answer) {
  json::object query;
  for (const auto& [key, value] : request.query) {
    query[key] = key == "api_token" || key == "access_token" ? "***" : value;
  }
  json::value body = nullptr;
  if (request.body) {
    body = *request.body;
  } else if (!request.raw_body.empty()) {
    body = request.raw_body;
  }
  json::object entry{
      {"method", request.method}, {"path", request.path},
      {"query", query},           {"body", body},
      {"endpoint", endpoint},     {"status", static_cast<std::int64_t>(answer.status)}};
  if (answer.hang) {
    entry["hung"] = true;
  }
  if (record_out_.is_open()) {
    record_out_ << json::serialize(entry) << '\n';
    record_out_.flush();
  }
  requests_.push_back(std::move(entry));
}

void SandboxApi::reset() {
  requests_.clear();
  messages_.clear();
  issues_.clear();
  contacts_.clear();
  contacts_by_phone_.clear();
  companies_.clear();
  faults_.clear();
  recipient_errors_.clear();
  contact_search_shape_ = "object";
  next_message_ = 1;
  next_issue_ = 1001;
  next_contact_ = 5001;
  next_company_ = 201;
}

json::array SandboxApi::requests() const {
  const std::lock_guard lock(mutex_);
  return requests_;
}

json::array SandboxApi::messages() const {
  const std::lock_guard lock(mutex_);
  return messages_;
}

json::array SandboxApi::issues() const {
  const std::lock_guard lock(mutex_);
  json::array items;
  for (const auto& [id, issue] : issues_) {
    items.push_back(issue);
  }
  return items;
}

json::array SandboxApi::contacts() const {
  const std::lock_guard lock(mutex_);
  json::array items;
  for (const auto& [id, contact] : contacts_) {
    items.push_back(contact);
  }
  return items;
}

}  // namespace fixit::infrastructure::sandbox
