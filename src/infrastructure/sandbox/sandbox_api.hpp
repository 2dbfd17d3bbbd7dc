#pragma once

// The sandbox's behaviour, apart from its HTTP server: a stand-in for the Graph
// API messages endpoint and the Okdesk endpoints the service calls, checking
// what the real ones check and answering as they do, plus control endpoints
// under /_sandbox/ to inspect what it received and to make it fail.
//
// Endpoints (any Graph version prefix, trailing slashes optional):
//   POST /{version}/{phone-number-id}/messages   waba.messages
//   GET  /api/v1/contacts/?phone=|id=            okdesk.contacts.search
//   POST /api/v1/contacts/                       okdesk.contacts.create
//   GET  /api/v1/companies/?name=|id=            okdesk.companies.search
//   POST /api/v1/issues/                         okdesk.issues.create
//   GET  /api/v1/issues/{id}                     okdesk.issues.get
// Control:
//   GET  /_sandbox/requests    every request received, as a JSON array
//   GET  /_sandbox/messages | /_sandbox/issues | /_sandbox/contacts   what was created
//   POST /_sandbox/fail        {"endpoint": E, "times": N, "status": 500}
//                              {"endpoint": E, "times": N, "hang": true, "hang_ms": M}
//                              {"endpoint": E, "times": N, "status": 422, "body": {...}}
//                              {"endpoint": "waba.messages", "times": N, "waba_code": 131026}
//                              {"recipient": "79161234567", "waba_code": 131047}
//   POST /_sandbox/contacts    seed a contact; POST /_sandbox/companies seed a company
//   POST /_sandbox/config      {"contact_search": "object" | "array" | "wrapped"}
//   POST /_sandbox/reset       forget everything above

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace fixit::infrastructure {
class Environment;
}

namespace fixit::infrastructure::sandbox {

struct SandboxConfig {
  std::string waba_access_token;      // the bearer token the Graph endpoint accepts
  std::string okdesk_api_token;       // the api_token the Okdesk endpoints accept
  std::string waba_phone_number_id;   // when set, the only phone number id that exists
  std::filesystem::path record_file;  // JSON lines, one per request; empty for none
  std::chrono::milliseconds default_hang{120000};

  // From WABA_ACCESS_TOKEN, OKDESK_API_TOKEN and WABA_PHONE_NUMBER_ID in `env`.
  static SandboxConfig from(const Environment& env);
};

struct SandboxRequest {
  std::string method;
  std::string target;  // path and query, as received
  std::string authorization;
  std::string body;
};

struct SandboxReply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Answer only after this long (a hung upstream); the server drops it on stop.
  std::optional<std::chrono::milliseconds> hang;
};

// Reading JSON with simdjson into a Boost.JSON value (to store and re-serialize
// it). nullopt when `text` is not JSON.
std::optional<boost::json::value> read_json(std::string_view text);

class SandboxApi {
 public:
  // Throws std::runtime_error when the record file cannot be opened.
  explicit SandboxApi(SandboxConfig config);

  // Thread-safe: the server may run on another thread than a test reading state.
  SandboxReply handle(const SandboxRequest& request);

  [[nodiscard]] boost::json::array requests() const;
  [[nodiscard]] boost::json::array messages() const;
  [[nodiscard]] boost::json::array issues() const;
  [[nodiscard]] boost::json::array contacts() const;

 private:
  struct Fault {
    std::string endpoint;
    int remaining = 1;
    bool hang = false;
    std::chrono::milliseconds hang_for{0};
    unsigned status = 0;
    long waba_code = 0;
    std::optional<boost::json::value> body;
  };
  struct Parsed;

  SandboxReply route(const Parsed& request, const std::string& endpoint);
  SandboxReply control(const Parsed& request);
  SandboxReply injected(const Fault& fault, const std::string& endpoint);
  SandboxReply graph_messages(const Parsed& request);
  SandboxReply okdesk(const Parsed& request, const std::string& endpoint);
  SandboxReply add_fault(const boost::json::value& body);
  SandboxReply add_contact(const boost::json::value& body, bool seeding);
  SandboxReply add_company(const boost::json::value& body);
  void record(const Parsed& request, const std::string& endpoint, const SandboxReply& answer);
  void reset();

  SandboxConfig config_;
  mutable std::mutex mutex_;
  std::ofstream record_out_;

  boost::json::array requests_;
  boost::json::array messages_;
  std::map<std::int64_t, boost::json::object> issues_;
  std::map<std::int64_t, boost::json::object> contacts_;
  // Contact ids by their phone and mobile_phone text: a search by phone stays
  // quick with tens of thousands of contacts (a load test creates one per client).
  std::map<std::string, std::set<std::int64_t>, std::less<>> contacts_by_phone_;
  std::map<std::int64_t, boost::json::object> companies_;
  std::deque<Fault> faults_;
  std::map<std::string, std::pair<long, int>>
      recipient_errors_;  // wa_id -> (code, times; -1 always)
  std::string contact_search_shape_ = "object";
  std::int64_t next_message_ = 1;
  std::int64_t next_issue_ = 1001;
  std::int64_t next_contact_ = 5001;
  std::int64_t next_company_ = 201;
};

}  // namespace fixit::infrastructure::sandbox
