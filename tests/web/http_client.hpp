#pragma once

// A small HTTP/1.1 client for the server tests: one keep-alive connection to
// 127.0.0.1, every operation bounded by a guard time so a broken server fails
// a test instead of hanging it.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fixit::test {

struct HttpReply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  bool keep_alive = true;

  [[nodiscard]] std::string header(const std::string& lower_case_name) const {
    const auto it = headers.find(lower_case_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port,
                      std::chrono::milliseconds guard = std::chrono::seconds(15));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends a request (Content-Length set from the body) and reads the answer.
  // Throws when the connection fails or the guard time passes.
  HttpReply request(const std::string& method, const std::string& target,
                    const std::string& body = {}, const Headers& headers = {});

  void send_raw(std::string_view bytes);
  // The next answer; nullopt when the server closed the connection instead.
  std::optional<HttpReply> read_reply();
  // The answer to a HEAD request: headers only, whatever Content-Length says.
  HttpReply read_head_reply();
  // Waits for the server to close the connection: true when it did, false when
  // the guard time passed first. Bytes that arrive meanwhile are discarded.
  bool wait_until_closed();

 private:
  std::optional<HttpReply> read(bool head);

  struct State;
  std::unique_ptr<State> state_;
};

// One request on a fresh connection.
HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {}, const Headers& headers = {});

}  // namespace fixit::test
