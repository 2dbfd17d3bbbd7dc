// Delivery receipts: out of order, repeated, and ahead of the send call.

#include "infrastructure/persistence/deliveries.hpp"
#include "persistence/support.hpp"

namespace fixit::testing {
namespace {

using infrastructure::persistence::apply_receipt;
using infrastructure::persistence::Connection;
using infrastructure::persistence::Delivery;
using infrastructure::persistence::find_delivery;
using infrastructure::persistence::ReceiptOutcome;
using infrastructure::persistence::record_sent_messages;

class Deliveries : public ::testing::Test {
 protected:
  ReceiptOutcome apply(const domain::DomainEvent& event) {
    return database_->call([&](Connection& c) { return apply_receipt(c, event, 1000); });
  }
  void sent(const std::string& message_id, std::int64_t action_id) {
    database_->call([&](Connection& c) {
      record_sent_messages(c, {message_id}, "79161234567", action_id, 1000);
    });
  }
  std::optional<Delivery> delivery(const std::string& message_id) {
    return database_->call([&](Connection& c) { return find_delivery(c, message_id); });
  }

  std::unique_ptr<infrastructure::persistence::Database> database_ = open_database(":memory:");
};

TEST_F(Deliveries, LateReceiptsNeverDowngradeTheStatus) {
  sent("wamid.out.1", 7);

  EXPECT_EQ(apply(receipt("wamid.out.1", "read", "79161234567")), ReceiptOutcome::applied);
  EXPECT_EQ(apply(receipt("wamid.out.1", "delivered", "79161234567")), ReceiptOutcome::stale);
  EXPECT_EQ(apply(receipt("wamid.out.1", "sent", "79161234567")), ReceiptOutcome::stale);

  EXPECT_EQ(delivery("wamid.out.1")->status, "read");
}

TEST_F(Deliveries, StatusesInOrderMoveForward) {
  sent("wamid.out.1", 7);
  apply(receipt("wamid.out.1", "sent", "79161234567"));
  EXPECT_EQ(delivery("wamid.out.1")->status, "sent");
  apply(receipt("wamid.out.1", "delivered", "79161234567"));
  EXPECT_EQ(delivery("wamid.out.1")->status, "delivered");
  apply(receipt("wamid.out.1", "read", "79161234567"));
  EXPECT_EQ(delivery("wamid.out.1")->status, "read");
}

TEST_F(Deliveries, FailedKeepsItsErrorCodeWhateverComesLater) {
  sent("wamid.out.1", 7);
  apply(receipt("wamid.out.1", "sent", "79161234567"));
  apply(receipt("wamid.out.1", "failed", "79161234567", "131047"));
  apply(receipt("wamid.out.1", "delivered", "79161234567"));

  const auto stored = delivery("wamid.out.1");
  EXPECT_EQ(stored->status, "failed");
  EXPECT_EQ(stored->error_code, "131047");
  EXPECT_EQ(stored->error_title, "Re-engagement message");
}

TEST_F(Deliveries, ReceiptForAnIdNotYetKnownIsKeptAndLinkedWhenTheSendReturns) {
  apply(receipt("wamid.out.9", "delivered", "79161234567"));
  const auto early = delivery("wamid.out.9");
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->status, "delivered");
  EXPECT_EQ(early->action_id, std::nullopt);

  sent("wamid.out.9", 42);

  const auto linked = delivery("wamid.out.9");
  EXPECT_EQ(linked->status, "delivered");
  EXPECT_EQ(linked->action_id, 42);
  EXPECT_EQ(linked->user_id, "79161234567");
}

TEST_F(Deliveries, UnknownStatusOrMissingIdChangesNothing) {
  sent("wamid.out.1", 7);
  auto odd = receipt("wamid.out.1", "deleted", "79161234567");
  auto anonymous = receipt("", "read", "79161234567");

  EXPECT_EQ(apply(odd), ReceiptOutcome::unknown);
  EXPECT_EQ(apply(anonymous), ReceiptOutcome::malformed);
  EXPECT_EQ(delivery("wamid.out.1")->status, "accepted");
}

}  // namespace
}  // namespace fixit::testing
