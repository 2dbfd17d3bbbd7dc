// The inbox: each event stored once, durably, before store() returns; many
// concurrent stores share one commit.

#include <sqlite3.h>

#include "infrastructure/persistence/event_inbox.hpp"
#include "persistence/support.hpp"

namespace fixit::testing {
namespace {

using application::StoreResult;
using infrastructure::persistence::Connection;
using infrastructure::persistence::Database;

std::int64_t inbox_rows(Database& database) {
  return database.call([](Connection& c) {
    auto q = c.query("SELECT count(*) FROM inbox");
    q.step();
    return q.integer(0);
  });
}

bool all_ready(std::vector<std::future<StoreResult>>& futures) {
  return std::all_of(futures.begin(), futures.end(),
                     [](auto& f) { return f.wait_for(0s) == std::future_status::ready; });
}

class Inbox : public ::testing::Test {
 protected:
  StoreResult store(std::vector<domain::DomainEvent> events) {
    return run_task(io_, database_->inbox().store(std::move(events)));
  }

  // Holds the database thread until the returned promise is set, so that
  // everything submitted meanwhile is queued for the writer's next look.
  std::promise<void> hold_database() {
    std::promise<void> gate;
    asio::post(database_->executor(), [opened = gate.get_future().share()] { opened.wait(); });
    return gate;
  }

  // `count` webhooks storing one message each, started (and queued) now.
  std::vector<std::future<StoreResult>> start_stores(int count, const std::string& id_prefix) {
    std::vector<std::future<StoreResult>> futures;
    futures.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      futures.push_back(asio::co_spawn(
          io_,
          database_->inbox().store(
              {text_message("7916000" + std::to_string(i), id_prefix + std::to_string(i), "hi")}),
          asio::use_future));
    }
    return futures;
  }

  asio::io_context io_;
  std::unique_ptr<Database> database_ = open_database(":memory:");
};

TEST_F(Inbox, NewEventsAreAcceptedAndRepeatsAreDuplicates) {
  const auto first = text_message("79161234567", "wamid.A", "Касса не работает");
  const auto second = text_message("79161234567", "wamid.B", "Иван");

  const auto stored = store({first, second});
  const auto again = store({first});

  EXPECT_EQ(stored.accepted, 2U);
  EXPECT_EQ(stored.duplicates, 0U);
  EXPECT_EQ(again.accepted, 0U);
  EXPECT_EQ(again.duplicates, 1U);
  EXPECT_EQ(inbox_rows(*database_), 2);
}

TEST_F(Inbox, SameMessageTwiceInOneBatchIsStoredOnce) {
  const auto message = text_message("79161234567", "wamid.A", "Касса не работает");

  const auto stored = store({message, message});

  EXPECT_EQ(stored.accepted, 1U);
  EXPECT_EQ(stored.duplicates, 1U);
  EXPECT_EQ(inbox_rows(*database_), 1);
}

TEST_F(Inbox, SameMessageStoredConcurrentlyIsKeptOnce) {
  const auto message = text_message("79161234567", "wamid.A", "Касса не работает");
  constexpr int stores = 20;
  std::vector<std::future<StoreResult>> futures;
  futures.reserve(stores);
  for (int i = 0; i < stores; ++i) {
    futures.push_back(asio::co_spawn(io_, database_->inbox().store({message}), asio::use_future));
  }
  ASSERT_TRUE(run_until(io_, [&] { return all_ready(futures); }));

  std::size_t accepted = 0;
  std::size_t duplicates = 0;
  for (auto& future : futures) {
    const auto result = future.get();
    accepted += result.accepted;
    duplicates += result.duplicates;
  }
  EXPECT_EQ(accepted, 1U);
  EXPECT_EQ(duplicates, 19U);
  EXPECT_EQ(inbox_rows(*database_), 1);
}

TEST_F(Inbox, ReceiptsOfOneMessageAreDistinctEvents) {
  const auto stored = store({receipt("wamid.out.1", "sent", "79161234567"),
                             receipt("wamid.out.1", "delivered", "79161234567"),
                             receipt("wamid.out.1", "delivered", "79161234567")});

  EXPECT_EQ(stored.accepted, 2U);
  EXPECT_EQ(stored.duplicates, 1U);
}

TEST_F(Inbox, ConcurrentStoresShareOneCommit) {
  // Every store is queued before the writer looks: it must take them all in
  // one transaction.
  auto gate = hold_database();
  constexpr int webhooks = 50;
  auto futures = start_stores(webhooks, "wamid.g");
  io_.poll();
  const auto commits_before = database_->commit_count();
  gate.set_value();
  ASSERT_TRUE(run_until(io_, [&] { return all_ready(futures); }));

  for (auto& future : futures) {
    EXPECT_EQ(future.get().accepted, 1U);
  }
  EXPECT_EQ(database_->commit_count() - commits_before, 1U);
  EXPECT_EQ(inbox_rows(*database_), webhooks);
}

TEST_F(Inbox, DiskErrorInAGroupCommitFailsEveryStoreOfItAndKeepsNothing) {
  auto gate = hold_database();
  auto futures = start_stores(5, "wamid.d");
  // A write in the same group that meets a failing disk.
  auto failing = asio::co_spawn(io_, database_->write([](Connection&) {
    throw infrastructure::persistence::DatabaseError(SQLITE_IOERR, "disk I/O error");
  }),
                                asio::use_future);
  io_.poll();
  gate.set_value();
  ASSERT_TRUE(run_until(io_, [&] {
    return all_ready(futures) &&
           failing.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }));

  for (auto& future : futures) {
    EXPECT_THROW(future.get(), infrastructure::persistence::DatabaseError);
  }
  EXPECT_THROW(failing.get(), infrastructure::persistence::DatabaseError);
  EXPECT_EQ(inbox_rows(*database_), 0);

  // Meta delivers again; with the disk back, the same events are stored.
  EXPECT_EQ(store({text_message("79160000", "wamid.d0", "hi")}).accepted, 1U);
}

TEST_F(Inbox, EventWithoutKeyIsRefusedAndNothingIsStored) {
  auto keyless = text_message("79161234567", "wamid.X", "hi");
  keyless.key.clear();

  EXPECT_THROW(store({text_message("79161234567", "wamid.A", "hi"), keyless}),
               std::invalid_argument);
  EXPECT_EQ(inbox_rows(*database_), 0);
}

TEST_F(Inbox, EventKeepsItsTypeUserAndPayload) {
  const auto message = text_message("79161234567", "wamid.A", "Касса \"Меркурий\"\nне работает");
  store({message});

  const auto pending = database_->call(
      [](Connection& c) { return infrastructure::persistence::pending_events(c, 10); });

  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending.front().to_event(), message);
}

TEST(InboxOnFile, StoredEventIsOnDiskWhenStoreReturns) {
  asio::io_context io;
  TempDir dir;
  const auto path = dir.file("inbox.db");
  {
    auto database = open_database(path);
    run_task(io, database->inbox().store({text_message("79161234567", "wamid.A", "hi")}));
  }

  auto reopened = open_database(path);
  const auto entry = reopened->call(
      [](Connection& c) { return infrastructure::persistence::find_event(c, "wamid.A"); });
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->state, "pending");
}

}  // namespace
}  // namespace fixit::testing
