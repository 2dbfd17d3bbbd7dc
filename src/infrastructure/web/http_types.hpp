#pragma once

// The web adapter's view of a request and its answer, free of Beast types so the
// routes and their tests compile without the HTTP machinery.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fixit::infrastructure::web {

// Spare bytes a request body keeps after its end so the JSON parser can read it
// in place (simdjson's SIMDJSON_PADDING; checked where simdjson is included).
inline constexpr std::size_t body_padding = 64;

enum class Method { get, head, post, put, patch, del, options, other };

struct HttpRequest {
  Method method = Method::other;
  std::string_view target;  // path and query, as sent
  std::string_view content_type;
  std::string_view authorization;
  std::string_view hub_signature;  // X-Hub-Signature-256
  std::string_view request_id;
  // The body as received; its capacity leaves room for the JSON parser's padding.
  const std::string* body = nullptr;
};

struct HttpResponse {
  unsigned status = 200;
  std::string_view content_type = "application/json";
  std::string body;
  std::string_view allow;             // for 405
  std::string_view www_authenticate;  // for 401 on Basic Auth routes
  // For the request's log line.
  std::size_t events = 0;
  std::size_t duplicates = 0;
};

// A request that cannot be served as sent: `status` is the HTTP status to answer
// with (400 for unreadable input, 422 for readable input that lacks what it needs)
// and what() the message for the client.
class RequestError : public std::runtime_error {
 public:
  RequestError(unsigned status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  [[nodiscard]] unsigned status() const { return status_; }

 private:
  unsigned status_;
};

// Text from a request, fit for a log line: control characters and quotes
// replaced (a sender cannot forge lines or fields), at most `limit` bytes.
inline std::string log_text(std::string_view text, std::size_t limit = 120) {
  std::string out(text.substr(0, limit));
  for (auto& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '"') {
      c = '?';
    }
  }
  if (text.size() > limit) {
    out += "...";
  }
  return out;
}

// The path part of a request target ("/webhook/waba?x=1" -> "/webhook/waba").
inline std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace fixit::infrastructure::web
