// The pipeline end to end: webhook events in the inbox, the real default flow,
// actions through mocked ports, retries, restarts and receipts.

#include <boost/asio/detached.hpp>

#include <array>
#include <charconv>

#include "infrastructure/persistence/deliveries.hpp"
#include "infrastructure/persistence/dialog_repo.hpp"
#include "infrastructure/persistence/event_inbox.hpp"
#include "infrastructure/persistence/operations.hpp"
#include "infrastructure/persistence/outbox.hpp"
#include "infrastructure/pipeline/pipeline.hpp"
#include "persistence/support.hpp"

namespace fixit::testing {
namespace {

using application::IssueRequest;
using application::StoreResult;
using infrastructure::persistence::Connection;
using infrastructure::persistence::Database;
using infrastructure::persistence::OutboxEntry;
using infrastructure::pipeline::Pipeline;
using infrastructure::pipeline::PipelineOptions;
using ::testing::_;
using ::testing::ByMove;
using ::testing::DoDefault;
using ::testing::HasSubstr;
using ::testing::NiceMock;
using ::testing::Return;

const std::string ivan = "79161234567";
const std::string olga = "79035550011";

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() {
    ON_CALL(sender_, send_text(_, _))
        .WillByDefault([this](const std::string& to, const std::string& text) {
          sent_.emplace_back(to, text);
          return sent("wamid.out." + std::to_string(sent_.size()));
        });
    ON_CALL(sender_, mark_read(_)).WillByDefault([](const std::string&) { return done(); });
    ON_CALL(creator_, create_issue(_)).WillByDefault([this](const IssueRequest& request) {
      issues_.push_back(request);
      return ready(CreatedIssue{std::to_string(1500 + issues_.size()), ""});
    });
    ON_CALL(creator_, generate_ticket_link(_)).WillByDefault([](const std::string& id) {
      return "https://desk.example/issues/" + id;
    });
    ON_CALL(accounting_, request_invoice(_)).WillByDefault([](const application::InvoiceRequest&) {
      return done();
    });
  }

  ~PipelineTest() override { stop(); }

  static PipelineOptions fast_options() {
    PipelineOptions options;
    options.retry.base = 2ms;
    options.retry.cap = 50ms;
    options.retry.max_attempts = 5;
    options.poll_interval = 50ms;
    return options;
  }

  void open(const std::string& path = ":memory:") { database_ = open_database(path); }

  void start(PipelineOptions options = fast_options()) {
    if (!database_) {
      open();
    }
    pipeline_ = std::make_unique<Pipeline>(*database_, engine_, sender_, creator_, accounting_,
                                           io_.get_executor(), options);
    pipeline_->start();
  }

  void stop() {
    if (pipeline_) {
      run_task(io_, pipeline_->stop());
      pipeline_.reset();
    }
  }

  StoreResult store(std::vector<domain::DomainEvent> events) {
    return run_task(io_, database_->inbox().store(std::move(events)));
  }

  bool wait_for(const std::function<bool()>& condition) { return run_until(io_, condition); }

  // Nothing left to process or execute.
  bool idle() {
    return database_->call([](Connection& c) {
      auto q = c.query(
          "SELECT (SELECT count(*) FROM inbox WHERE state = 'pending') + "
          "(SELECT count(*) FROM outbox WHERE state IN ('pending', 'running'))");
      q.step();
      return q.integer(0) == 0;
    });
  }

  std::vector<std::string> replies_to(const std::string& user) const {
    std::vector<std::string> texts;
    for (const auto& [to, text] : sent_) {
      if (to == user) {
        texts.push_back(text);
      }
    }
    return texts;
  }

  std::optional<domain::Dialog> dialog_of(const std::string& user) {
    return database_->call(
        [&](Connection& c) { return infrastructure::persistence::load_dialog(c, user); });
  }

  std::vector<OutboxEntry> actions_of(const std::string& user) {
    return database_->call(
        [&](Connection& c) { return infrastructure::persistence::actions_of_user(c, user); });
  }

  std::optional<OutboxEntry> action_of_kind(const std::string& user, const std::string& kind) {
    for (auto& entry : actions_of(user)) {
      if (entry.kind == kind) {
        return entry;
      }
    }
    return std::nullopt;
  }

  std::string event_state(const std::string& key) {
    const auto entry = database_->call(
        [&](Connection& c) { return infrastructure::persistence::find_event(c, key); });
    return entry ? entry->state : "absent";
  }

  LogCapture log_;
  TempDir dir_;
  asio::io_context io_;
  NiceMock<MockMessageSender> sender_;
  NiceMock<MockIssueCreator> creator_;
  NiceMock<MockAccounting> accounting_;
  std::vector<std::pair<std::string, std::string>> sent_;
  std::vector<IssueRequest> issues_;
  domain::FlowEngine engine_ = default_engine();
  std::unique_ptr<Database> database_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineTest, ConversationEndsWithTheIssueLinkAndFollowsItsProgress) {
  start();

  store({text_message(ivan, "wamid.1", "Не печатает чеки касса")});
  store({text_message(ivan, "wamid.2", "Иван")});
  store({text_message(ivan, "wamid.3", "ООО Ромашка")});

  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 4 && idle(); }));
  const auto replies = replies_to(ivan);
  EXPECT_THAT(replies[0], HasSubstr("Не печатает чеки касса"));
  EXPECT_THAT(replies[1], HasSubstr("Спасибо, Иван!"));
  EXPECT_THAT(replies[2], HasSubstr("Создаём заявку"));
  EXPECT_EQ(replies[3], "Заявка №1501 создана: https://desk.example/issues/1501");
  ASSERT_EQ(issues_.size(), 1U);
  EXPECT_EQ(issues_[0].client.name, "Иван");
  EXPECT_EQ(issues_[0].company, "ООО Ромашка");
  EXPECT_THAT(issues_[0].issue.description, HasSubstr("Не печатает чеки касса"));
  EXPECT_EQ(dialog_of(ivan)->state, domain::State::AWAITING_PAYMENT);
  EXPECT_EQ(dialog_of(ivan)->get("issue_id"), "1501");

  store({status_change("1501", "opened", "in_progress", "okdesk:1501:status:in_progress")});

  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 5 && idle(); }));
  EXPECT_EQ(replies_to(ivan)[4], "Статус заявки №1501: в работе.");
}

TEST_F(PipelineTest, SameMessageDeliveredTwiceAlsoConcurrentlyIsOneEventAndOneReply) {
  EXPECT_CALL(sender_, send_text(ivan, HasSubstr("Как к вам обращаться"))).Times(1);
  EXPECT_CALL(sender_, mark_read("wamid.1")).Times(1);
  start();
  const auto message = text_message(ivan, "wamid.1", "Касса не работает");

  store({message});
  store({message, message});
  constexpr int stores = 10;
  std::vector<std::future<StoreResult>> concurrent;
  concurrent.reserve(stores);
  for (int i = 0; i < stores; ++i) {
    concurrent.push_back(
        asio::co_spawn(io_, database_->inbox().store({message}), asio::use_future));
  }
  ASSERT_TRUE(wait_for([&] {
    return std::all_of(concurrent.begin(), concurrent.end(),
                       [](auto& f) { return f.wait_for(0s) == std::future_status::ready; }) &&
           pipeline_->stats().actions_done == 2 && idle();
  }));

  for (auto& future : concurrent) {
    EXPECT_EQ(future.get().accepted, 0U);
  }
  EXPECT_EQ(replies_to(ivan).size(), 1U);
  EXPECT_EQ(pipeline_->stats().events_processed, 1U);
}

TEST_F(PipelineTest, EventsStoredWhileStoppedAreProcessedAfterTheRestart) {
  const auto path = dir_.file("restart.db");
  open(path);
  start();
  store({text_message(ivan, "wamid.1", "Касса не работает")});
  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 1 && idle(); }));
  stop();

  EXPECT_EQ(store({text_message(ivan, "wamid.2", "Иван")}).accepted, 1U);
  EXPECT_EQ(event_state("wamid.2"), "pending");
  database_.reset();

  open(path);
  start();

  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 2 && idle(); }));
  EXPECT_EQ(replies_to(ivan)[1], "Спасибо, Иван! Из какой вы компании?");
  EXPECT_EQ(dialog_of(ivan)->state, domain::State::ASK_COMPANY);
  EXPECT_EQ(event_state("wamid.2"), "processed");
}

TEST_F(PipelineTest, OneUsersRepliesStayInOrderWhileAnotherUserIsServedInParallel) {
  // Ivan's first reply hangs until the gate opens; Olga must not wait for it.
  asio::steady_timer gate(io_, std::chrono::steady_clock::time_point::max());
  EXPECT_CALL(sender_, send_text(_, _)).WillRepeatedly(DoDefault());
  EXPECT_CALL(sender_, send_text(ivan, _))
      .WillOnce([this, &gate](const std::string& to, const std::string& text) {
        sent_.emplace_back(to, text);
        return sent_after(gate, "wamid.gated");
      })
      .WillRepeatedly(DoDefault());
  start();

  store({text_message(ivan, "wamid.i1", "Касса не работает"),
         text_message(olga, "wamid.o1", "Сканер не читает коды")});
  store({text_message(ivan, "wamid.i2", "Иван"), text_message(olga, "wamid.o2", "Ольга")});
  store({text_message(ivan, "wamid.i3", "ООО Ромашка"),
         text_message(olga, "wamid.o3", "ИП Смирнова")});

  ASSERT_TRUE(wait_for([&] { return replies_to(olga).size() == 4; }));
  EXPECT_EQ(replies_to(ivan).size(), 1U) << "Ivan's later replies overtook his first";

  gate.cancel();
  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 4 && idle(); }));

  for (const auto& [user, name] : {std::pair{ivan, "Иван"}, std::pair{olga, "Ольга"}}) {
    const auto replies = replies_to(user);
    EXPECT_THAT(replies[0], HasSubstr("Как к вам обращаться"));
    EXPECT_THAT(replies[1], HasSubstr(std::string("Спасибо, ") + name));
    EXPECT_THAT(replies[2], HasSubstr("Создаём заявку"));
    EXPECT_THAT(replies[3], HasSubstr("создана"));
  }
  EXPECT_EQ(issues_.size(), 2U);
}

TEST_F(PipelineTest, ManyUsersWritingAtOnceEachGetTheirRepliesInOrder) {
  start();
  constexpr int users = 200;
  // Each client writes its three messages one after the other, as a person
  // does; the clients all write at the same time.
  const auto client = [this](int n) -> Task<void> {
    const auto user = "7916" + std::to_string(5000000 + n);
    const std::array<std::string, 3> texts{"Касса не работает", "Иван", "ООО Ромашка"};
    for (int step = 0; step < 3; ++step) {
      std::vector<domain::DomainEvent> one{text_message(
          user, "wamid." + std::to_string(n) + "." + std::to_string(step), texts[step])};
      co_await database_->inbox().store(std::move(one));
    }
  };
  for (int n = 0; n < users; ++n) {
    asio::co_spawn(io_, client(n), asio::detached);
  }

  ASSERT_TRUE(wait_for([&] { return sent_.size() == 4U * users && idle(); }));
  for (int n = 0; n < users; ++n) {
    const auto replies = replies_to("7916" + std::to_string(5000000 + n));
    ASSERT_EQ(replies.size(), 4U);
    EXPECT_THAT(replies[0], HasSubstr("Как к вам обращаться"));
    EXPECT_THAT(replies[1], HasSubstr("Спасибо, Иван!"));
    EXPECT_THAT(replies[2], HasSubstr("Создаём заявку"));
    EXPECT_THAT(replies[3], HasSubstr("создана"));
  }
  EXPECT_EQ(issues_.size(), static_cast<std::size_t>(users));
  EXPECT_EQ(pipeline_->stats().events_failed, 0U);
}

std::vector<long> retry_delays(const LogCapture& log, const std::string& kind) {
  std::vector<long> delays;
  for (const auto& line : log.lines_with({"action failed, will retry", "kind=" + kind})) {
    const auto at = line.find("delay_ms=");
    long value = 0;
    std::from_chars(line.data() + at + 9, line.data() + line.size(), value);
    delays.push_back(value);
  }
  return delays;
}

TEST_F(PipelineTest, PortFailingTwiceThenSucceedingHasOneEffectAfterGrowingPauses) {
  EXPECT_CALL(creator_, create_issue(_))
      .WillOnce(Return(ByMove(
          fail<CreatedIssue>(DeliveryError(Failure::transient, "okdesk answered 503", "503")))))
      .WillOnce(Return(
          ByMove(fail<CreatedIssue>(DeliveryError(Failure::transient, "request timed out")))))
      .WillOnce(DoDefault());
  start();

  store({text_message(ivan, "wamid.1", "Касса не работает"), text_message(ivan, "wamid.2", "Иван"),
         text_message(ivan, "wamid.3", "ООО Ромашка")});

  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 4 && idle(); }));
  EXPECT_EQ(issues_.size(), 1U);
  EXPECT_EQ(replies_to(ivan)[3], "Заявка №1501 создана: https://desk.example/issues/1501");
  const auto action = action_of_kind(ivan, "create_issue");
  ASSERT_TRUE(action.has_value());
  EXPECT_EQ(action->state, "done");
  EXPECT_EQ(action->attempts, 3);
  const auto delays = retry_delays(log_, "create_issue");
  ASSERT_EQ(delays.size(), 2U);
  EXPECT_GT(delays[1], delays[0]);
}

TEST_F(PipelineTest, PermanentFailureIsMarkedFailedLoggedAndNotRetried) {
  EXPECT_CALL(sender_, send_text(_, _)).WillRepeatedly(DoDefault());
  EXPECT_CALL(sender_, send_text(ivan, HasSubstr("Как к вам обращаться")))
      .WillOnce(Return(ByMove(fail<SentMessage>(
          DeliveryError(Failure::permanent, "(#131026) Message undeliverable", "131026")))));
  start();

  store({text_message(ivan, "wamid.1", "Касса не работает")});
  ASSERT_TRUE(wait_for([&] { return pipeline_->stats().actions_failed == 1 && idle(); }));
  // The failed reply does not hold back the ones after it.
  store({text_message(ivan, "wamid.2", "Иван")});
  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 1 && idle(); }));

  const auto reply = actions_of(ivan)[1];
  EXPECT_EQ(reply.kind, "reply");
  EXPECT_EQ(reply.state, "failed");
  EXPECT_EQ(reply.attempts, 1);
  EXPECT_THAT(reply.last_error.value_or(""), HasSubstr("131026"));
  EXPECT_EQ(log_.lines_with({"error", "action failed", "kind=reply", "131026"}).size(), 1U);
  EXPECT_THAT(replies_to(ivan)[0], HasSubstr("Спасибо, Иван!"));
}

TEST_F(PipelineTest, TransientFailuresStopAtTheAttemptLimit) {
  EXPECT_CALL(sender_, send_text(ivan, _))
      .Times(3)
      .WillRepeatedly([](const std::string&, const std::string&) {
        return fail<SentMessage>(DeliveryError(Failure::transient, "graph api 500", "500"));
      });
  auto options = fast_options();
  options.retry.max_attempts = 3;
  start(options);

  store({text_message(ivan, "wamid.1", "Касса не работает")});

  ASSERT_TRUE(wait_for([&] { return pipeline_->stats().actions_failed == 1 && idle(); }));
  const auto reply = action_of_kind(ivan, "reply");
  EXPECT_EQ(reply->state, "failed");
  EXPECT_EQ(reply->attempts, 3);
  EXPECT_THAT(reply->last_error.value_or(""), HasSubstr("gave up after 3 attempts"));
  EXPECT_EQ(pipeline_->stats().actions_retried, 2U);
}

TEST_F(PipelineTest, ActionLeftRunningByACrashIsExecutedOnceAfterTheRestart) {
  const auto path = dir_.file("crash.db");
  open(path);
  database_->call([](Connection& c) {
    domain::Dialog dialog;
    dialog.user_id = ivan;
    infrastructure::persistence::enqueue_actions(
        c, dialog, {domain::DialogAction::reply("Заявка №1501 создана")},
        text_message(ivan, "wamid.1", "x"), 0);
    c.exec("UPDATE outbox SET state = 'running'");
  });
  database_.reset();  // the process died during the call

  EXPECT_CALL(sender_, send_text(ivan, "Заявка №1501 создана")).Times(1);
  open(path);
  start();

  ASSERT_TRUE(wait_for([&] { return pipeline_->stats().actions_done == 1 && idle(); }));
  EXPECT_EQ(actions_of(ivan)[0].state, "done");
  EXPECT_EQ(log_.lines_with({"interrupted actions queued again", "count=1"}).size(), 1U);
}

TEST_F(PipelineTest, StopWaitsForTheCallInFlightAndRecordsItsOutcome) {
  asio::steady_timer gate(io_, std::chrono::steady_clock::time_point::max());
  EXPECT_CALL(sender_, send_text(ivan, _))
      .WillOnce([this, &gate](const std::string& to, const std::string& text) {
        sent_.emplace_back(to, text);
        return sent_after(gate, "wamid.slow");
      });
  start();
  store({text_message(ivan, "wamid.1", "Касса не работает")});
  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 1; }));

  auto stopped = asio::co_spawn(io_, pipeline_->stop(), asio::use_future);
  run_until(
      io_, [] { return false; }, 100ms);
  EXPECT_NE(stopped.wait_for(0s), std::future_status::ready) << "stop left a call in flight";

  gate.cancel();
  ASSERT_TRUE(wait_for([&] { return stopped.wait_for(0s) == std::future_status::ready; }));
  stopped.get();
  pipeline_.reset();
  EXPECT_EQ(action_of_kind(ivan, "reply")->state, "done");
}

TEST_F(PipelineTest, ReceiptsFromTheInboxUpdateDeliveriesInAnyOrder) {
  start();
  store({text_message(ivan, "wamid.1", "Касса не работает")});
  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 1 && idle(); }));

  store({receipt("wamid.out.1", "read", ivan), receipt("wamid.out.1", "delivered", ivan),
         receipt("wamid.out.1", "sent", ivan), receipt("wamid.later", "delivered", ivan)});
  ASSERT_TRUE(wait_for([&] { return idle(); }));

  const auto delivery = [&](const std::string& id) {
    return database_->call(
        [&](Connection& c) { return infrastructure::persistence::find_delivery(c, id); });
  };
  EXPECT_EQ(delivery("wamid.out.1")->status, "read");
  EXPECT_EQ(delivery("wamid.out.1")->action_id, action_of_kind(ivan, "reply")->id);
  EXPECT_EQ(delivery("wamid.later")->status, "delivered");
  EXPECT_EQ(delivery("wamid.later")->action_id, std::nullopt);
}

TEST_F(PipelineTest, OldMessageMovesTheDialogWithoutAnAutomaticReply) {
  EXPECT_CALL(sender_, send_text(_, _)).Times(0);
  EXPECT_CALL(sender_, mark_read("wamid.old")).Times(1);
  start();

  store({text_message(ivan, "wamid.old", "Касса не работает", unix_now() - 2 * 24 * 3600)});

  ASSERT_TRUE(wait_for([&] { return event_state("wamid.old") == "processed" && idle(); }));
  EXPECT_EQ(dialog_of(ivan)->state, domain::State::ASK_NAME);
  EXPECT_EQ(log_.lines_with({"old message processed without a reply", "key=wamid.old"}).size(), 1U);
}

TEST_F(PipelineTest, OldConversationOpensItsIssueWithoutAnnouncingIt) {
  EXPECT_CALL(sender_, send_text(_, _)).Times(0);
  start();
  const auto two_days_ago = unix_now() - 2 * 24 * 3600;

  store({text_message(ivan, "wamid.old1", "Касса не работает", two_days_ago),
         text_message(ivan, "wamid.old2", "Иван", two_days_ago + 60),
         text_message(ivan, "wamid.old3", "ООО Ромашка", two_days_ago + 120)});

  ASSERT_TRUE(wait_for([&] {
    const auto dialog = dialog_of(ivan);
    return dialog && !dialog->get("issue_id").empty() && idle();
  }));
  ASSERT_EQ(issues_.size(), 1U);
  EXPECT_EQ(issues_[0].company, "ООО Ромашка");
  EXPECT_EQ(dialog_of(ivan)->state, domain::State::AWAITING_PAYMENT);
  EXPECT_EQ(log_.lines_with({"processed without a reply", "key=issue_created:"}).size(), 1U);
}

TEST_F(PipelineTest, StepWhoseActionsCannotBeQueuedLeavesTheDialogAsItWas) {
  open();
  database_->call([](Connection& c) {
    c.exec(
        "CREATE TRIGGER refuse_issues BEFORE INSERT ON outbox WHEN NEW.kind = 'create_issue' "
        "BEGIN SELECT RAISE(ABORT, 'no issues today'); END");
  });
  start();
  store(
      {text_message(ivan, "wamid.1", "Касса не работает"), text_message(ivan, "wamid.2", "Иван")});
  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 2 && idle(); }));
  const auto before = dialog_of(ivan);
  ASSERT_EQ(before->state, domain::State::ASK_COMPANY);
  const auto actions_before = actions_of(ivan).size();

  store({text_message(ivan, "wamid.3", "ООО Ромашка")});

  ASSERT_TRUE(wait_for([&] { return event_state("wamid.3") == "failed" && idle(); }));
  const auto after = dialog_of(ivan);
  EXPECT_EQ(after->state, domain::State::ASK_COMPANY);
  EXPECT_EQ(after->version, before->version);
  EXPECT_EQ(after->get("company"), "");
  EXPECT_EQ(actions_of(ivan).size(), actions_before);
  EXPECT_EQ(replies_to(ivan).size(), 2U);
}

TEST_F(PipelineTest, ActionWhoseOutcomeCannotBeStoredIsKeptAsFailedAndTheNextOnesGoOn) {
  open();
  database_->call([](Connection& c) {
    c.exec(
        "CREATE TRIGGER refuse_read_done BEFORE UPDATE ON outbox "
        "WHEN NEW.state = 'done' AND OLD.kind = 'mark_read' "
        "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END");
  });
  start();

  store({text_message(ivan, "wamid.1", "Касса не работает")});

  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 1 && idle(); }));
  const auto mark_read = action_of_kind(ivan, "mark_read");
  ASSERT_TRUE(mark_read.has_value());
  EXPECT_EQ(mark_read->state, "failed");
  EXPECT_THAT(mark_read->last_error.value_or(""), HasSubstr("could not be recorded"));
  EXPECT_EQ(action_of_kind(ivan, "reply")->state, "done");
}

TEST_F(PipelineTest, EventThatCannotBeProcessedIsMarkedFailedAndTheOthersGoOn) {
  open();
  database_->call([](Connection& c) {
    c.exec(
        "INSERT INTO inbox (event_key, type, user_id, payload, received_at) "
        "VALUES ('wamid.broken', 'MESSAGE', '79161234567', 'not json', 0)");
  });
  start();
  store({text_message(olga, "wamid.o1", "Сканер не читает коды")});

  ASSERT_TRUE(wait_for([&] { return replies_to(olga).size() == 1 && idle(); }));
  EXPECT_EQ(event_state("wamid.broken"), "failed");
  EXPECT_EQ(log_.lines_with({"error", "event failed", "key=wamid.broken"}).size(), 1U);
  const auto failed = infrastructure::persistence::list_failed_events(*database_);
  ASSERT_EQ(failed.size(), 1U);
  EXPECT_EQ(failed[0].key, "wamid.broken");
  EXPECT_FALSE(failed[0].error.value_or("").empty());
  EXPECT_EQ(pipeline_->stats().events_failed, 1U);
}

TEST_F(PipelineTest, OperatorRequeuesAFailedActionAndTheRunningServiceExecutesIt) {
  EXPECT_CALL(sender_, send_text(ivan, _))
      .WillOnce(Return(ByMove(fail<SentMessage>(
          DeliveryError(Failure::permanent, "(#190) access token expired", "190")))))
      .WillOnce(DoDefault());
  start();
  store({text_message(ivan, "wamid.1", "Касса не работает")});
  ASSERT_TRUE(wait_for([&] { return pipeline_->stats().actions_failed == 1 && idle(); }));

  const auto failed = infrastructure::persistence::list_failed_actions(*database_);
  ASSERT_EQ(failed.size(), 1U);
  EXPECT_EQ(failed[0].kind, "reply");
  const std::vector<std::int64_t> ids{failed[0].id};
  EXPECT_EQ(infrastructure::persistence::requeue_failed_actions(*database_, ids), 1U);

  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 1 && idle(); }));
  EXPECT_EQ(action_of_kind(ivan, "reply")->state, "done");
  EXPECT_TRUE(infrastructure::persistence::list_failed_actions(*database_).empty());
}

// A send whose `failed` receipt (window closed) is stored before it returns.
Task<SentMessage> receipt_stored_then_sent(Database& database, std::string message_id) {
  // Named, not temporaries in the co_await: GCC 12 miscompiles those.
  std::vector<domain::DomainEvent> events;
  events.push_back(receipt(message_id, "failed", ivan, "131047"));
  co_await database.inbox().store(std::move(events));
  SentMessage result;
  result.message_ids.push_back(std::move(message_id));
  co_return result;
}

TEST_F(PipelineTest, ReplyReportedFailedOutsideTheWindowGoesOutAgainAsTheTemplateOnce) {
  std::vector<std::string> templates;
  EXPECT_CALL(sender_, send_template(ivan, _))
      .WillOnce([&templates](const std::string&, const std::string& text) {
        templates.push_back(text);
        return sent("wamid.tpl.1");
      });
  auto options = fast_options();
  options.resend_as_template = true;
  start(options);
  store({text_message(ivan, "wamid.1", "Касса не работает")});
  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 1 && idle(); }));

  store({receipt("wamid.out.1", "failed", ivan, "131047")});
  store({receipt("wamid.out.1", "failed", ivan, "131047")});
  ASSERT_TRUE(wait_for([&] { return templates.size() == 1 && idle(); }));

  EXPECT_EQ(templates[0], replies_to(ivan)[0]);
  const auto action = action_of_kind(ivan, "reply_template");
  ASSERT_TRUE(action.has_value());
  EXPECT_EQ(action->state, "done");
  EXPECT_EQ(action->cause_key, "wamid.out.1:failed");
  const auto delivery = database_->call(
      [](Connection& c) { return infrastructure::persistence::find_delivery(c, "wamid.tpl.1"); });
  ASSERT_TRUE(delivery.has_value());
  EXPECT_EQ(delivery->action_id, action->id);

  // The template itself reported undeliverable: logged, not sent again.
  store({receipt("wamid.tpl.1", "failed", ivan, "131047")});
  ASSERT_TRUE(wait_for([&] { return idle(); }));
  EXPECT_EQ(log_.lines_with({"warning", "message not delivered", "wamid.tpl.1"}).size(), 1U);
}

TEST_F(PipelineTest, ClosedWindowReceiptWithoutATemplateIsOnlyLoggedAtWarning) {
  EXPECT_CALL(sender_, send_template(_, _)).Times(0);
  start();  // resend_as_template is off: no template configured
  store({text_message(ivan, "wamid.1", "Касса не работает")});
  ASSERT_TRUE(wait_for([&] { return replies_to(ivan).size() == 1 && idle(); }));

  store({receipt("wamid.out.1", "failed", ivan, "131047")});
  ASSERT_TRUE(wait_for([&] { return idle(); }));

  EXPECT_FALSE(action_of_kind(ivan, "reply_template").has_value());
  EXPECT_EQ(log_.lines_with({"warning", "no template configured", "message_id=wamid.out.1"}).size(),
            1U);
}

TEST_F(PipelineTest, ClosedWindowReceiptAheadOfTheRecordedSendStillLeadsToTheTemplate) {
  // WhatsApp's receipt is stored before the send call that produced the id
  // has returned and been recorded.
  EXPECT_CALL(sender_, send_text(ivan, _))
      .WillOnce([this](const std::string& to, const std::string& text) {
        sent_.emplace_back(to, text);
        return receipt_stored_then_sent(*database_, "wamid.early");
      });
  std::vector<std::string> templates;
  EXPECT_CALL(sender_, send_template(ivan, _))
      .WillOnce([&templates](const std::string&, const std::string& text) {
        templates.push_back(text);
        return sent("wamid.tpl.1");
      });
  auto options = fast_options();
  options.resend_as_template = true;
  start(options);

  store({text_message(ivan, "wamid.1", "Касса не работает")});

  ASSERT_TRUE(wait_for([&] { return templates.size() == 1 && idle(); }));
  EXPECT_EQ(templates[0], replies_to(ivan)[0]);
}

}  // namespace
}  // namespace fixit::testing
