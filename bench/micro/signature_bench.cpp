// Checking X-Hub-Signature-256 on every webhook: the cost per request of
// proving the body came from Meta.
#include <benchmark/benchmark.h>

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

void BM_SignatureVerify700B(benchmark::State& state) {
  auto body = fixit::bench::one_message_notification(42, 5);
  body.resize(700, ' ');
  verify(state, body);
}
BENCHMARK(BM_SignatureVerify700B);

void BM_SignatureVerify300KB(benchmark::State& state) {
  auto body = fixit::bench::notification_of_size(300 * 1024);
  body.resize(300 * 1024, ' ');
  verify(state, body);
}
BENCHMARK(BM_SignatureVerify300KB);

}  // namespace
