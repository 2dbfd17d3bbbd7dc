#include "web/test_support.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fixit::test {

namespace {
// Tests log warnings and worse unless FIXIT_TEST_LOG names another level.
const bool log_level_set = [] {
  const char* level = std::getenv("FIXIT_TEST_LOG");
  spdlog::set_level(spdlog::level::from_str(level != nullptr ? level : "warn"));
  return true;
}();
}  // namespace

std::string read_fixture(const std::string& name) {
  const std::string path = std::string(FIXIT_FIXTURES_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("fixture not found: " + path);
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string padded(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  out.assign(text);
  return out;
}

std::string sign(std::string_view body, std::string_view secret) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &size);
  static constexpr char digits[] = "0123456789abcdef";
  std::string header = "sha256=";
  for (unsigned int i = 0; i < size; ++i) {
    header += digits[digest[i] >> 4];
    header += digits[digest[i] & 0x0f];
  }
  return header;
}

std::string basic_auth(std::string_view user, std::string_view password) {
  const std::string plain = std::string(user) + ":" + std::string(password);
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                   reinterpret_cast<const unsigned char*>(plain.data()),
                                   static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(size));
  return "Basic " + encoded;
}

infrastructure::Settings test_settings() {
  infrastructure::Settings settings;
  settings.bind_address = "127.0.0.1";
  settings.port = 0;
  settings.waba_app_secret = app_secret;
  settings.waba_verify_token = verify_token;
  settings.okdesk_user = okdesk_user;
  settings.okdesk_pass = okdesk_pass;
  settings.accounting_user = accounting_user;
  settings.accounting_pass = accounting_pass;
  settings.accounting_token = accounting_token;
  settings.read_timeout = std::chrono::seconds(10);
  settings.idle_timeout = std::chrono::seconds(10);
  settings.drain_timeout = std::chrono::seconds(10);
  return settings;
}

}  // namespace fixit::test
