#include <gtest/gtest.h>

#include "domain/event.hpp"
#include "support/events.hpp"

namespace fixit::domain {
namespace {

using fixit::testing::issue_created_event;
using fixit::testing::message_event;

TEST(MessageOf, ReadsTheInboundMessageAMessageEventCarries) {
  auto event = message_event("79990000001", "Касса не печатает", "text", "wamid.A1");
  event.payload["timestamp"] = "1741946467";

  const auto message = message_of(event);

  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->id, "wamid.A1");
  EXPECT_EQ(message->from, "79990000001");
  EXPECT_EQ(message->kind, "text");
  EXPECT_EQ(message->text, "Касса не печатает");
  EXPECT_EQ(message->timestamp, 1741946467);
}

TEST(MessageOf, KeepsAKindItDoesNotKnowAndReadsABadTimestampAsZero) {
  auto event = message_event("79990000001", "", "hologram");
  event.payload["timestamp"] = "yesterday";

  const auto message = message_of(event);

  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->kind, "hologram");
  EXPECT_EQ(parse_message_kind(message->kind), MessageKind::other);
  EXPECT_EQ(message->timestamp, 0);
}

TEST(MessageOf, FindsNoMessageInOtherEvents) {
  EXPECT_FALSE(message_of(issue_created_event("79990000001", "1042", "https://x/1042")));
}

}  // namespace
}  // namespace fixit::domain
