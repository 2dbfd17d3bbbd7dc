// One group commit of N inbox rows through the Database: N webhooks store one
// event each at the same moment, the database thread gathers them into one
// transaction (a savepoint each) and one commit, and every caller resumes.
// A file in a temporary folder, WAL, with synchronous NORMAL and FULL.
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <filesystem>
#include <latch>
#include <memory>
#include <string>
#include <vector>

#include "infrastructure/persistence/database.hpp"

namespace {

namespace asio = boost::asio;
using namespace fixit;
using infrastructure::persistence::Database;
using infrastructure::persistence::DatabaseOptions;
using infrastructure::persistence::Synchronous;

domain::DomainEvent inbox_event(std::uint64_t n) {
  domain::DomainEvent event;
  event.type = domain::EventType::MESSAGE;
  event.key = "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQBENCH" + std::to_string(n) + "AA==";
  event.user_id = "7999" + std::to_string(1000000 + n % 10000);
  event.payload = {{"message_id", event.key},
                   {"kind", "text"},
                   {"text", "Здравствуйте! После обновления не печатает кассовый аппарат."},
                   {"timestamp", "1764770660"},
                   {"profile_name", "Ольга"},
                   {"phone", event.user_id}};
  return event;
}

void BM_GroupCommitInbox(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto synchronous = state.range(1) == 0 ? Synchronous::normal : Synchronous::full;
  const auto folder =
      std::filesystem::temp_directory_path() / ("fixit-bench-commit-" + std::to_string(::getpid()));
  std::filesystem::remove_all(folder);
  DatabaseOptions options;
  options.path = (folder / "bench.db").string();
  options.synchronous = synchronous;
  // The commit itself, not the pacing between commits under load.
  options.min_commit_interval = std::chrono::microseconds(0);
  std::uint64_t next_key = 0;
  {
    auto database = std::make_unique<Database>(options);
    asio::io_context io(1);
    std::size_t accepted = 0;
    const auto commits_before = database->commit_count();
    for (auto _ : state) {
      // Hold the database strand until all N stores are queued behind it, so
      // they meet in one transaction as concurrent webhooks would.
      std::latch queued(1);
      asio::post(database->executor(), [&queued] { queued.wait(); });
      for (std::size_t i = 0; i < rows; ++i) {
        std::vector<domain::DomainEvent> events;
        events.push_back(inbox_event(next_key++));
        asio::co_spawn(
            io,
            [&database, &accepted, events = std::move(events)]() mutable -> asio::awaitable<void> {
              const auto result = co_await database->inbox().store(std::move(events));
              accepted += result.accepted;
            },
            asio::detached);
      }
      asio::post(io, [&queued] { queued.count_down(); });
      io.run();
      io.restart();
    }
    const auto commits = database->commit_count() - commits_before;
    if (accepted != state.iterations() * rows) {
      state.SkipWithError("not every row was stored");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
    state.counters["commits_per_iteration"] =
        static_cast<double>(commits) / static_cast<double>(state.iterations());
  }
  std::filesystem::remove_all(folder);
}
BENCHMARK(BM_GroupCommitInbox)
    ->ArgNames({"rows", "full"})
    ->ArgsProduct({{1, 64, 1024}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
