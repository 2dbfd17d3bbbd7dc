// Reading a WhatsApp notification into DomainEvents: one message (the usual
// webhook) and a full batch of 1,000 updates (Meta's largest).
#include <benchmark/benchmark.h>

#include "infrastructure/web/waba_parser.hpp"
#include "notifications.hpp"

namespace {

using fixit::infrastructure::web::parse_waba_notification;

void parse(benchmark::State& state, const std::string& body, std::size_t expected_updates) {
  const auto padded = fixit::bench::with_padding(body);
  const auto check = parse_waba_notification(padded);
  if (check.events.size() != expected_updates) {
    state.SkipWithError("the notification did not parse into the expected events");
    return;
  }
  for (auto _ : state) {
    auto notification = parse_waba_notification(padded);
    benchmark::DoNotOptimize(notification.events.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * expected_updates));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

void BM_ParseOneMessage(benchmark::State& state) {
  parse(state, fixit::bench::one_message_notification(42, 1), 1);
}
BENCHMARK(BM_ParseOneMessage);

void BM_Parse1000Updates(benchmark::State& state) {
  parse(state, fixit::bench::batch_notification(1000), 1000);
}
BENCHMARK(BM_Parse1000Updates);

}  // namespace
