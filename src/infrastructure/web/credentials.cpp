#include "infrastructure/web/credentials.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <atomic>
#include <cctype>
#include <stdexcept>

namespace fixit::infrastructure::web {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const auto a = static_cast<unsigned char>(text[i]);
    const auto b = static_cast<unsigned char>(prefix[i]);
    if (std::tolower(a) != std::tolower(b)) {
      return false;
    }
  }
  return true;
}

// The credentials after an auth scheme name ("Basic", "Bearer"), spaces trimmed.
std::optional<std::string_view> after_scheme(std::string_view authorization,
                                             std::string_view scheme) {
  if (!starts_with_ignoring_case(authorization, scheme) || authorization.size() == scheme.size() ||
      authorization[scheme.size()] != ' ') {
    return std::nullopt;
  }
  auto rest = authorization.substr(scheme.size());
  const auto first = rest.find_first_not_of(' ');
  if (first == std::string_view::npos) {
    return std::nullopt;
  }
  rest = rest.substr(first);
  return rest.substr(0, rest.find_last_not_of(' ') + 1);
}

}  // namespace

bool constant_time_equal(std::string_view given, std::string_view expected) {
  // Walk the expected length whatever is given, so timing tells nothing about
  // how much of a guess was right.
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    difference |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return difference == 0;
}

std::optional<Sha256Digest> parse_hub_signature(std::string_view header) {
  constexpr std::string_view prefix = "sha256=";
  if (!starts_with_ignoring_case(header, prefix)) {
    return std::nullopt;
  }
  auto hex = header.substr(prefix.size());
  while (!hex.empty() && (hex.back() == ' ' || hex.back() == '\t')) {
    hex.remove_suffix(1);
  }
  Sha256Digest digest{};
  if (hex.size() != digest.size() * 2) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    digest[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return digest;
}

namespace {

std::atomic<std::uint64_t> next_signature_id{1};

// The keyed context a thread last used, and which WabaSignature it belongs to.
// EVP_MAC_init without a key restarts it with the key it has, which costs far
// less than duplicating the keyed context for every body.
struct ThreadMacContext {
  std::uint64_t owner = 0;
  EVP_MAC_CTX* ctx = nullptr;

  ThreadMacContext() = default;
  ThreadMacContext(const ThreadMacContext&) = delete;
  ThreadMacContext& operator=(const ThreadMacContext&) = delete;
  ~ThreadMacContext() { EVP_MAC_CTX_free(ctx); }
};

}  // namespace

struct WabaSignature::State {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* keyed = nullptr;
  // Never reused, so a context keyed by a destroyed instance is never taken
  // for a new one at the same address.
  std::uint64_t id = next_signature_id.fetch_add(1);

  ~State() {
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
  }
};

WabaSignature::WabaSignature(std::string_view app_secret) : state_(std::make_unique<State>()) {
  state_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (state_->mac == nullptr) {
    throw std::runtime_error("OpenSSL has no HMAC implementation");
  }
  state_->keyed = EVP_MAC_CTX_new(state_->mac);
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  // OpenSSL refuses an empty key; an unset secret is refused before any use.
  static constexpr unsigned char no_key = 0;
  const auto* key =
      app_secret.empty() ? &no_key : reinterpret_cast<const unsigned char*>(app_secret.data());
  const auto key_size = app_secret.empty() ? std::size_t{1} : app_secret.size();
  if (state_->keyed == nullptr || EVP_MAC_init(state_->keyed, key, key_size, params) != 1) {
    throw std::runtime_error("HMAC-SHA256 could not be keyed");
  }
}

WabaSignature::~WabaSignature() = default;

Sha256Digest WabaSignature::digest(std::string_view body) const {
  thread_local ThreadMacContext cached;
  if (cached.owner != state_->id) {
    EVP_MAC_CTX_free(cached.ctx);
    cached.ctx = EVP_MAC_CTX_dup(state_->keyed);
    cached.owner = cached.ctx != nullptr ? state_->id : 0;
  }
  Sha256Digest out{};
  EVP_MAC_CTX* ctx = cached.ctx;
  std::size_t length = 0;
  const bool ok =
      ctx != nullptr && EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1 &&
      EVP_MAC_final(ctx, out.data(), &length, out.size()) == 1 && length == out.size();
  if (!ok) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return out;
}

bool WabaSignature::matches(std::string_view header, std::string_view body) const {
  const auto claimed = parse_hub_signature(header);
  if (!claimed) {
    return false;
  }
  const auto actual = digest(body);
  return CRYPTO_memcmp(claimed->data(), actual.data(), actual.size()) == 0;
}

std::string to_hex(const Sha256Digest& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (const auto byte : digest) {
    hex += digits[byte >> 4];
    hex += digits[byte & 0x0f];
  }
  return hex;
}

std::optional<BasicCredentials> parse_basic_auth(std::string_view authorization) {
  const auto encoded = after_scheme(authorization, "Basic");
  if (!encoded || encoded->size() % 4 != 0 || encoded->size() > 4096) {
    return std::nullopt;
  }
  std::string decoded(encoded->size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                     reinterpret_cast<const unsigned char*>(encoded->data()),
                                     static_cast<int>(encoded->size()));
  if (length < 0) {
    return std::nullopt;
  }
  // EVP_DecodeBlock counts the padding as decoded zero bytes.
  std::size_t size = static_cast<std::size_t>(length);
  for (auto it = encoded->rbegin(); it != encoded->rend() && *it == '=' && size > 0; ++it) {
    --size;
  }
  decoded.resize(size);
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  return BasicCredentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

bool basic_auth_matches(std::string_view authorization, std::string_view user,
                        std::string_view password) {
  if (user.empty() || password.empty()) {
    return false;
  }
  const auto credentials = parse_basic_auth(authorization);
  if (!credentials) {
    return false;
  }
  // Both compared every time, so a right user name is not told apart by timing.
  const bool user_ok = constant_time_equal(credentials->user, user);
  const bool password_ok = constant_time_equal(credentials->password, password);
  return user_ok && password_ok;
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
  if (token.empty()) {
    return false;
  }
  const auto given = after_scheme(authorization, "Bearer");
  return given && constant_time_equal(*given, token);
}

}  // namespace fixit::infrastructure::web
