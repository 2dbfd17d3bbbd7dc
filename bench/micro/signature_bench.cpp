// Checking X-Hub-Signature-256 on every webhook: the cost per request of
// proving the body came from Meta.
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "infrastructure/web/credentials.hpp"
#include "notifications.hpp"

namespace {

using fixit::infrastructure::web::to_hex;
using fixit::infrastructure::web::WabaSignature;

void verify(benchmark::State& state, const std::string& body) {
  const WabaSignature signature("0f6c1e9a2b7d4c3e8a5b1f0d9c7e6a4b");
  const auto header = "sha256=" + to_hex(signature.digest(body));
  for (auto _ : state) {
    benchmark::DoNotOptimize(signature.matches(header, body));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

std::string body_of_700_bytes();

void BM_SignatureVerify700B(benchmark::State& state) {
  verify(state, body_of_700_bytes());
}
BENCHMARK(BM_SignatureVerify700B);

void BM_SignatureVerify300KB(benchmark::State& state) {
  auto body = fixit::bench::notification_of_size(300 * 1024);
  body.resize(300 * 1024, ' ');
  verify(state, body);
}
BENCHMARK(BM_SignatureVerify300KB);

// For comparison, two ways the same check can be written with OpenSSL 3.
constexpr std::string_view reference_key = "0f6c1e9a2b7d4c3e8a5b1f0d9c7e6a4b";

std::string body_of_700_bytes() {
  auto body = fixit::bench::one_message_notification(42, 5);
  body.resize(700, ' ');
  return body;
}

// The one-shot HMAC(): looks the algorithm up on every call.
void BM_ReferenceHmacOneShot700B(benchmark::State& state) {
  const auto body = body_of_700_bytes();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  for (auto _ : state) {
    HMAC(EVP_sha256(), reference_key.data(), static_cast<int>(reference_key.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &length);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ReferenceHmacOneShot700B);

// A keyed EVP_MAC_CTX duplicated for every body (what WabaSignature did before
// it kept one context per thread).
void BM_ReferenceMacDupPerCall700B(benchmark::State& state) {
  const auto body = body_of_700_bytes();
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* keyed = EVP_MAC_CTX_new(mac);
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  EVP_MAC_init(keyed, reinterpret_cast<const unsigned char*>(reference_key.data()),
               reference_key.size(), params);
  unsigned char out[32];
  for (auto _ : state) {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed);
    std::size_t length = 0;
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(body.data()), body.size());
    EVP_MAC_final(ctx, out, &length, sizeof out);
    EVP_MAC_CTX_free(ctx);
    benchmark::DoNotOptimize(out);
  }
  EVP_MAC_CTX_free(keyed);
  EVP_MAC_free(mac);
}
BENCHMARK(BM_ReferenceMacDupPerCall700B);

}  // namespace
