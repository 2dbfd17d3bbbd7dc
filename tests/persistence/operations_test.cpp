// The retry policy on its own, and the operator commands as the CLI runs them.

#include <fstream>
#include <sstream>

#include "infrastructure/config/settings.hpp"
#include "infrastructure/persistence/operations.hpp"
#include "infrastructure/pipeline/retry_policy.hpp"
#include "persistence/support.hpp"

namespace fixit::testing {
namespace {

using infrastructure::persistence::Connection;
using infrastructure::persistence::run_operator_command;
using infrastructure::pipeline::RetryPolicy;

TEST(RetryPolicy, PauseDoublesPerFailureAndNeverShrinks) {
  RetryPolicy policy;
  policy.base = 1000ms;
  policy.cap = 10min;

  // 1 s doubled nine times stays below ten minutes.
  for (int failures = 1; failures < 10; ++failures) {
    const auto longest_now = policy.delay_after(failures, 0.999);
    const auto shortest_next = policy.delay_after(failures + 1, 0.0);
    EXPECT_LE(longest_now, shortest_next) << "after failure " << failures;
  }
  EXPECT_EQ(policy.delay_after(1, 0.0), 500ms);
  EXPECT_EQ(policy.delay_after(3, 0.0), 2000ms);
  EXPECT_EQ(policy.delay_after(3, 0.5), 3000ms);
}

TEST(RetryPolicy, JitterSpreadsThePauseOverItsUpperHalf) {
  RetryPolicy policy;
  policy.base = 1000ms;

  EXPECT_EQ(policy.delay_after(2, 0.0), 1000ms);
  EXPECT_EQ(policy.delay_after(2, 0.5), 1500ms);
  EXPECT_LT(policy.delay_after(2, 0.999), 2000ms);
  EXPECT_NE(policy.delay_after(2, 0.1), policy.delay_after(2, 0.9));
}

TEST(RetryPolicy, PauseIsCapped) {
  RetryPolicy policy;
  policy.base = 1000ms;
  policy.cap = 60s;

  for (int failures = 7; failures < 200; failures += 13) {
    EXPECT_LE(policy.delay_after(failures, 0.999), 60s);
    EXPECT_GE(policy.delay_after(failures, 0.0), 30s);
  }
}

TEST(RetryPolicy, AttemptsAreLimited) {
  RetryPolicy policy;
  policy.max_attempts = 3;

  EXPECT_TRUE(policy.may_retry(2));
  EXPECT_FALSE(policy.may_retry(3));
}

class OperatorCommand : public ::testing::Test {
 protected:
  OperatorCommand() { settings_.db_path = dir_.path() / "data" / "fixit.db"; }

  std::optional<int> run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return run_operator_command(args, settings_, out_, err_);
  }

  // A failed reply and a failed event, as a crashed or refused run leaves them.
  // Not const: it writes the fixture's database.
  void seed_failures() {  // NOLINT(readability-make-member-function-const)
    auto database = open_database(settings_.db_path.string());
    database->call([](Connection& c) {
      c.exec(
          "INSERT INTO outbox (user_id, kind, action, context, cause_key, state, attempts, "
          "next_attempt_at, last_error, created_at, updated_at) VALUES ('79161234567', "
          "'reply', '{\"text\":\"hi\"}', '{}', 'wamid.1', 'failed', 12, 0, "
          "'gave up after 12 attempts: graph api 500', 0, 0);"
          "INSERT INTO inbox (event_key, type, user_id, payload, received_at, state, error) "
          "VALUES ('wamid.2', 'MESSAGE', '79161234567', '{}', 0, 'failed', 'broken');");
    });
  }

  TempDir dir_;
  infrastructure::Settings settings_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(OperatorCommand, ArgumentsWithoutACommandAreLeftToTheService) {
  EXPECT_EQ(run({"--env-file", "x.env"}), std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(settings_.db_path));
}

TEST_F(OperatorCommand, RefusesADatabaseThatDoesNotExistInsteadOfCreatingOne) {
  EXPECT_EQ(run({"--failed-actions"}), 1);
  EXPECT_THAT(err_.str(), ::testing::HasSubstr("no database at"));
  EXPECT_FALSE(std::filesystem::exists(settings_.db_path));
}

TEST_F(OperatorCommand, ListsFailedActionsWithTheirReasonAndAMaskedPhone) {
  seed_failures();

  EXPECT_EQ(run({"--failed-actions"}), 0);

  EXPECT_THAT(out_.str(), ::testing::HasSubstr("gave up after 12 attempts"));
  EXPECT_THAT(out_.str(), ::testing::Not(::testing::HasSubstr("79161234567")));
  EXPECT_THAT(out_.str(), ::testing::HasSubstr("1 failed action(s)"));
}

TEST_F(OperatorCommand, RequeuesAllFailedActionsWithAFreshAttemptCount) {
  seed_failures();

  EXPECT_EQ(run({"--requeue-actions", "all"}), 0);
  EXPECT_THAT(out_.str(), ::testing::HasSubstr("1 action(s) queued again"));

  auto database = open_database(settings_.db_path.string());
  const auto entry =
      database->call([](Connection& c) { return infrastructure::persistence::find_action(c, 1); });
  EXPECT_EQ(entry->state, "pending");
  EXPECT_EQ(entry->attempts, 0);
}

TEST_F(OperatorCommand, ListsAndRequeuesFailedEvents) {
  seed_failures();

  EXPECT_EQ(run({"--failed-events"}), 0);
  EXPECT_THAT(out_.str(), ::testing::HasSubstr("wamid.2"));
  EXPECT_EQ(run({"--requeue-events", "1"}), 0);
  EXPECT_THAT(out_.str(), ::testing::HasSubstr("1 event(s) queued again"));
  EXPECT_EQ(run({"--failed-events"}), 0);
  EXPECT_THAT(out_.str(), ::testing::HasSubstr("no failed events"));
}

TEST_F(OperatorCommand, BadIdsAreRefusedAndChangeNothing) {
  seed_failures();

  EXPECT_EQ(run({"--requeue-actions", "12,abc"}), 2);
  EXPECT_THAT(err_.str(), ::testing::HasSubstr("12,abc"));
  EXPECT_EQ(run({"--requeue-actions"}), 2);
  EXPECT_EQ(run({"--failed-actions", "--failed-events"}), 2);
  EXPECT_EQ(run({"--failed-actions"}), 0);
  EXPECT_THAT(out_.str(), ::testing::HasSubstr("1 failed action(s)"));
}

TEST_F(OperatorCommand, UnopenableDatabaseIsReportedWithExitCodeOne) {
  std::ofstream(dir_.path() / "data") << "a file where the folder should be";

  EXPECT_EQ(run({"--failed-actions"}), 1);
  EXPECT_THAT(err_.str(), ::testing::HasSubstr("database"));
}

}  // namespace
}  // namespace fixit::testing
