#pragma once

// Checking who sent a webhook: Meta's HMAC signature, HTTP Basic Auth and
// bearer tokens. Every comparison with a secret takes the same time whatever
// the guess, so a caller cannot learn the secret byte by byte.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fixit::infrastructure::web {

// True when `given` equals `expected`. The time taken depends on the length of
// `expected` only.
bool constant_time_equal(std::string_view given, std::string_view expected);

using Sha256Digest = std::array<std::uint8_t, 32>;

// The digest in an `X-Hub-Signature-256: sha256=<hex>` header (hex in either
// case); nullopt when the header is missing its prefix or is not 64 hex digits.
std::optional<Sha256Digest> parse_hub_signature(std::string_view header);

// HMAC-SHA256 keyed with the WhatsApp app secret. The MAC is fetched and keyed
// once; each thread works on its own copy of the keyed context, restarted for
// every body, so calls may run on several threads.
class WabaSignature {
 public:
  explicit WabaSignature(std::string_view app_secret);
  ~WabaSignature();
  WabaSignature(const WabaSignature&) = delete;
  WabaSignature& operator=(const WabaSignature&) = delete;

  [[nodiscard]] Sha256Digest digest(std::string_view body) const;
  // True when `header` carries the digest of the body bytes exactly as received.
  [[nodiscard]] bool matches(std::string_view header, std::string_view body) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Lower-case hex of a digest.
std::string to_hex(const Sha256Digest& digest);

// The user and password of an `Authorization: Basic ...` header; nullopt when
// the header is not Basic Auth or not valid base64 with a colon.
struct BasicCredentials {
  std::string user;
  std::string password;
};
std::optional<BasicCredentials> parse_basic_auth(std::string_view authorization);

// True when `authorization` is Basic Auth with exactly this user and password.
// An empty expected user or password matches nothing.
bool basic_auth_matches(std::string_view authorization, std::string_view user,
                        std::string_view password);

// True when `authorization` is `Bearer <token>` with exactly this token. An
// empty expected token matches nothing.
bool bearer_matches(std::string_view authorization, std::string_view token);

}  // namespace fixit::infrastructure::web
