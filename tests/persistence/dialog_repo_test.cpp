// SQLiteDialogRepo, on an in-memory database and on a file.

#include "infrastructure/persistence/dialog_repo.hpp"
#include "application/process_event.hpp"
#include "infrastructure/persistence/outbox.hpp"
#include "persistence/support.hpp"

namespace fixit::testing {
namespace {

using application::ConcurrentUpdate;
using domain::Dialog;
using domain::State;
using infrastructure::persistence::Connection;
using infrastructure::persistence::SQLiteActionQueue;
using infrastructure::persistence::SQLiteDialogRepo;

enum class Storage { memory, file };

class DialogRepo : public ::testing::TestWithParam<Storage> {
 protected:
  DialogRepo()
      : database_(
            open_database(GetParam() == Storage::memory ? ":memory:" : dir_.file("dialogs.db"))),
        repo_(*database_) {}

  Dialog new_dialog(const std::string& user) {
    Dialog dialog;
    dialog.user_id = user;
    dialog.state = State::ASK_NAME;
    dialog.context = {{"phone", user}, {"problem", "Касса «Меркурий» не печатает\n\"чек\""}};
    return dialog;
  }

  std::optional<Dialog> load(const std::string& user) { return run_task(io_, repo_.load(user)); }
  void save(Dialog& dialog) { run_task(io_, repo_.save(dialog)); }

  asio::io_context io_;
  TempDir dir_;
  std::unique_ptr<infrastructure::persistence::Database> database_;
  SQLiteDialogRepo repo_;
};

TEST_P(DialogRepo, UnknownUserHasNoDialog) {
  EXPECT_EQ(load("79990000000"), std::nullopt);
}

TEST_P(DialogRepo, SavedDialogLoadsAsItWasWithTheNextVersion) {
  auto dialog = new_dialog("79161234567");

  save(dialog);
  EXPECT_EQ(dialog.version, 1);
  const auto loaded = load("79161234567");

  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(*loaded, dialog);
}

TEST_P(DialogRepo, EverySaveAdvancesTheVersionAndKeepsTheChanges) {
  auto dialog = new_dialog("79161234567");
  save(dialog);

  dialog.state = State::ASK_COMPANY;
  dialog.context["name"] = "Иван";
  save(dialog);

  const auto loaded = load("79161234567");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->version, 2);
  EXPECT_EQ(loaded->state, State::ASK_COMPANY);
  EXPECT_EQ(loaded->get("name"), "Иван");
}

TEST_P(DialogRepo, SaveOfAStaleCopyIsRefusedAndChangesNothing) {
  auto dialog = new_dialog("79161234567");
  save(dialog);
  auto first = *load("79161234567");
  auto second = *load("79161234567");

  first.context["name"] = "Иван";
  save(first);
  second.context["name"] = "Пётр";

  EXPECT_THROW(save(second), ConcurrentUpdate);
  EXPECT_EQ(load("79161234567")->get("name"), "Иван");
}

TEST_P(DialogRepo, SecondNewDialogForTheSameUserIsRefused) {
  auto first = new_dialog("79161234567");
  auto second = new_dialog("79161234567");
  save(first);

  EXPECT_THROW(save(second), ConcurrentUpdate);
}

TEST_P(DialogRepo, DialogIsFoundByItsIssue) {
  auto dialog = new_dialog("79161234567");
  save(dialog);
  EXPECT_EQ(run_task(io_, repo_.find_by_issue("1501")), std::nullopt);

  dialog.context["issue_id"] = "1501";
  save(dialog);

  const auto found = run_task(io_, repo_.find_by_issue("1501"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user_id, "79161234567");
}

TEST_P(DialogRepo, EarlierIssuesStillLeadToTheDialog) {
  auto dialog = new_dialog("79161234567");
  dialog.context["issue_id"] = "1501";
  save(dialog);
  dialog.context["issue_id"] = "1777";
  save(dialog);

  EXPECT_TRUE(run_task(io_, repo_.find_by_issue("1501")).has_value());
  EXPECT_TRUE(run_task(io_, repo_.find_by_issue("1777")).has_value());
}

TEST_P(DialogRepo, DialogWithoutUserIsRefused) {
  Dialog dialog;
  EXPECT_THROW(save(dialog), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Storage, DialogRepo, ::testing::Values(Storage::memory, Storage::file),
                         [](const auto& info) {
                           return info.param == Storage::memory ? "InMemory" : "OnFile";
                         });

TEST(DialogRepoOnFile, DialogSurvivesReopeningTheDatabase) {
  asio::io_context io;
  TempDir dir;
  const auto path = dir.file("reopen.db");
  {
    auto database = open_database(path);
    SQLiteDialogRepo repo(*database);
    Dialog dialog;
    dialog.user_id = "79161234567";
    dialog.state = State::ASK_COMPANY;
    dialog.context = {{"name", "Иван"}};
    run_task(io, repo.save(dialog));
  }

  auto database = open_database(path);
  SQLiteDialogRepo repo(*database);
  const auto loaded = run_task(io, repo.load("79161234567"));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->state, State::ASK_COMPANY);
  EXPECT_EQ(loaded->get("name"), "Иван");
}

// Counts the conflicts the real repository reports.
class CountingRepo : public application::IDialogRepository {
 public:
  explicit CountingRepo(application::IDialogRepository& inner) : inner_(inner) {}

  Task<std::optional<Dialog>> load(const std::string& user_id) override {
    co_return co_await inner_.load(user_id);
  }
  Task<std::optional<Dialog>> find_by_issue(const std::string& issue_id) override {
    co_return co_await inner_.find_by_issue(issue_id);
  }
  Task<void> save(Dialog& dialog) override {
    bool conflict = false;
    try {
      co_await inner_.save(dialog);
    } catch (const ConcurrentUpdate&) {
      conflict = true;
    }
    if (conflict) {
      ++conflicts;
      throw ConcurrentUpdate(dialog.user_id);
    }
  }

  int conflicts = 0;

 private:
  application::IDialogRepository& inner_;
};

TEST(DialogRepoConcurrency, ConcurrentStepsOnOneDialogLoseNoUpdate) {
  asio::io_context io;
  auto database = open_database(":memory:");
  SQLiteDialogRepo sqlite_repo(*database);
  CountingRepo repo(sqlite_repo);
  SQLiteActionQueue queue(*database);

  // Every message increments a counter in the context: a lost update shows
  // as a count below the number of messages.
  std::vector<domain::FlowRule> rules;
  rules.push_back({"count",
                   State::NEW,
                   [](const domain::DomainEvent&, const Dialog&) { return true; },
                   State::NEW,
                   {},
                   [](domain::Context& context, const domain::DomainEvent&) {
                     const auto count = context["count"];
                     context["count"] = std::to_string(count.empty() ? 1 : std::stoi(count) + 1);
                   }});
  const domain::FlowEngine engine(std::move(rules));
  application::ProcessOptions options;
  options.max_concurrent_update_retries = 100;
  application::ProcessEvent process(engine, repo, queue, options);

  Dialog dialog;
  dialog.user_id = "79161234567";
  run_task(io, sqlite_repo.save(dialog));

  constexpr int steps = 12;
  std::vector<domain::DomainEvent> events;  // the use case borrows its event until it is done
  events.reserve(steps);
  for (int i = 0; i < steps; ++i) {
    events.push_back(text_message("79161234567", "wamid.c" + std::to_string(i), "hi"));
  }
  std::vector<std::future<application::ProcessResult>> results;
  results.reserve(events.size());
  for (const auto& event : events) {
    results.push_back(asio::co_spawn(io, process(event), asio::use_future));
  }
  ASSERT_TRUE(run_until(io, [&] {
    return std::all_of(results.begin(), results.end(),
                       [](auto& r) { return r.wait_for(0s) == std::future_status::ready; });
  }));
  for (auto& result : results) {
    EXPECT_EQ(result.get().outcome, application::Outcome::applied);
  }

  const auto stored = run_task(io, sqlite_repo.load("79161234567"));
  EXPECT_EQ(stored->get("count"), std::to_string(steps));
  EXPECT_EQ(stored->version, steps + 1);
  EXPECT_GT(repo.conflicts, 0) << "the steps did not overlap; the test proves nothing";
}

}  // namespace
}  // namespace fixit::testing
