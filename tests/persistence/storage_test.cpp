// The database itself: schema and migrations, the connection's settings, the
// JSON columns, readiness, and the thread its work runs on.

#include <sqlite3.h>

#include <fstream>

#include "infrastructure/persistence/json_map.hpp"
#include "infrastructure/persistence/schema.hpp"
#include "persistence/support.hpp"

namespace fixit::testing {
namespace {

using infrastructure::persistence::apply_migrations;
using infrastructure::persistence::Connection;
using infrastructure::persistence::ConnectionOptions;
using infrastructure::persistence::Database;
using infrastructure::persistence::DatabaseError;
using infrastructure::persistence::latest_schema_version;
using infrastructure::persistence::schema_version;

std::vector<std::string> columns_of(Database& database, const std::string& table) {
  return database.call([&](Connection& connection) {
    std::vector<std::string> names;
    auto q = connection.query("SELECT name FROM pragma_table_info(?1) ORDER BY cid");
    q.bind(1, table);
    while (q.step()) {
      names.push_back(q.text(0));
    }
    return names;
  });
}

TEST(Schema, NewDatabaseIsAtTheLatestVersionWithTheDialogsTableAsNamed) {
  auto database = open_database(":memory:");

  EXPECT_EQ(database->call([](Connection& c) { return schema_version(c); }),
            latest_schema_version());
  EXPECT_THAT(
      columns_of(*database, "dialogs"),
      ::testing::ElementsAre("user_id", "state", "context", "version", "created_at", "updated_at"));
  EXPECT_THAT(columns_of(*database, "inbox"), ::testing::Contains("event_key"));
  EXPECT_THAT(
      columns_of(*database, "outbox"),
      ::testing::IsSupersetOf({"kind", "attempts", "next_attempt_at", "last_error", "state"}));
  EXPECT_FALSE(columns_of(*database, "issue_links").empty());
  EXPECT_FALSE(columns_of(*database, "deliveries").empty());
}

TEST(Schema, MigratingTwiceChangesNothing) {
  TempDir dir;
  const auto path = dir.file("twice.db");
  {
    Connection connection(ConnectionOptions{path});
    EXPECT_EQ(apply_migrations(connection), 0);
  }
  Connection connection(ConnectionOptions{path});
  EXPECT_EQ(apply_migrations(connection), latest_schema_version());
  EXPECT_EQ(schema_version(connection), latest_schema_version());
}

TEST(Schema, DatabaseOfANewerProgramIsRefusedAndLeftAlone) {
  TempDir dir;
  const auto path = dir.file("newer.db");
  {
    Connection connection(ConnectionOptions{path});
    connection.exec("PRAGMA user_version = 999");
  }

  try {
    open_database(path);
    FAIL() << "a newer schema must be refused";
  } catch (const DatabaseError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("newer"));
  }
  Connection connection(ConnectionOptions{path});
  EXPECT_EQ(schema_version(connection), 999);
}

TEST(Database, FileDatabaseIsCreatedInItsFolderInWalMode) {
  TempDir dir;
  const auto path = dir.file("nested/folder/fixit.db");

  auto database = open_database(path);

  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(database->call([](Connection& c) { return c.journal_mode(); }), "wal");
}

TEST(Database, UnwritableLocationFailsToOpenWithAClearError) {
  TempDir dir;
  const auto blocker = dir.file("file");
  std::ofstream(blocker) << "not a folder";

  EXPECT_THROW(open_database(blocker + "/fixit.db"), std::exception);
}

TEST(Database, ReadinessFailsWhenTheFileDisappears) {
  asio::io_context io;
  TempDir dir;
  const auto path = dir.file("ready.db");
  auto database = open_database(path);

  EXPECT_EQ(run_task(io, database->check_ready()), std::nullopt);

  std::filesystem::remove(path);
  const auto reason = run_task(io, database->check_ready());
  ASSERT_TRUE(reason.has_value());
  EXPECT_THAT(*reason, ::testing::HasSubstr("missing"));
}

TEST(Database, AwaitingAnOperationResumesOnTheCallersThread) {
  asio::io_context io;
  auto database = open_database(":memory:");
  std::thread::id database_thread;
  std::thread::id resumed_on;

  run_task(io, [&]() -> Task<void> {
    database_thread =
        co_await database->read([](Connection&) { return std::this_thread::get_id(); });
    resumed_on = std::this_thread::get_id();
  }());

  EXPECT_NE(database_thread, std::this_thread::get_id());
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
}

TEST(Database, WriteThatThrowsRollsBackOnlyItsOwnChanges) {
  asio::io_context io;
  auto database = open_database(":memory:");
  std::promise<void> gate;
  auto opened = gate.get_future().share();
  asio::post(database->executor(), [opened] { opened.wait(); });

  auto good = asio::co_spawn(io, database->write([](Connection& c) {
    c.exec("INSERT INTO issue_links (issue_id, user_id, created_at) VALUES ('1', 'a', 0)");
  }),
                             asio::use_future);
  auto bad = asio::co_spawn(io, database->write([](Connection& c) {
    c.exec("INSERT INTO issue_links (issue_id, user_id, created_at) VALUES ('2', 'b', 0)");
    throw std::invalid_argument("refused");
  }),
                            asio::use_future);
  io.poll();
  gate.set_value();
  ASSERT_TRUE(run_until(io, [&] {
    return good.wait_for(0s) == std::future_status::ready &&
           bad.wait_for(0s) == std::future_status::ready;
  }));

  EXPECT_NO_THROW(good.get());
  EXPECT_THROW(bad.get(), std::invalid_argument);
  const auto kept = database->call([](Connection& c) {
    auto q = c.query("SELECT group_concat(issue_id) FROM issue_links");
    q.step();
    return q.text(0);
  });
  EXPECT_EQ(kept, "1");
}

TEST(JsonMap, RoundTripsQuotesNewlinesAndCyrillic) {
  const infrastructure::persistence::TextMap values{
      {"text", "Касса \"Меркурий\" не печатает\nчек"}, {"empty", ""}, {"slash", "a\\b/c"}};

  const auto json = infrastructure::persistence::to_json(values);

  EXPECT_EQ(infrastructure::persistence::text_map_from_json(json), values);
}

TEST(JsonMap, RefusesAnythingButAnObjectOfStrings) {
  EXPECT_THROW(infrastructure::persistence::text_map_from_json("[1]"), std::runtime_error);
  EXPECT_THROW(infrastructure::persistence::text_map_from_json("{\"a\": 1}"), std::runtime_error);
  EXPECT_THROW(infrastructure::persistence::text_map_from_json("not json"), std::runtime_error);
}

}  // namespace
}  // namespace fixit::testing
