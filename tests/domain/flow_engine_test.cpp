#include <gtest/gtest.h>

#include "domain/flow.hpp"
#include "support/events.hpp"

namespace fixit::domain {
namespace {

using fixit::testing::message_event;

FlowRule rule(std::string name, State from, State to, Predicate when,
              std::vector<DialogAction> actions = {}, ContextUpdate remember = nullptr) {
  return FlowRule{std::move(name),    from, std::move(when), to, std::move(actions),
                  std::move(remember)};
}

bool any_event(const DomainEvent&, const Dialog&) {
  return true;
}

TEST(FlowEngine, StartsANewDialogInStateNewWithThePhoneRemembered) {
  const FlowEngine engine({});
  const auto dialog = engine.start_new_dialog(User{"79990000001", "Иван", "79990000001"});

  EXPECT_EQ(dialog.user_id, "79990000001");
  EXPECT_EQ(dialog.state, State::NEW);
  EXPECT_EQ(dialog.get(ctx::phone), "79990000001");
  EXPECT_EQ(dialog.version, 0);
}

TEST(FlowEngine, AppliesTheFirstMatchingRuleOfTheDialogsState) {
  const FlowEngine engine({
      rule("never", State::NEW, State::DONE, [](const auto&, const auto&) { return false; }),
      rule("first", State::NEW, State::ASK_NAME, any_event, {DialogAction::reply("one")}),
      rule("second", State::NEW, State::PAID, any_event, {DialogAction::reply("two")}),
  });
  auto dialog = engine.start_new_dialog(User{"u1", "", ""});

  const auto transition = engine.next(dialog, message_event("u1", "hello"));

  EXPECT_EQ(transition.rule, "first");
  EXPECT_EQ(dialog.state, State::ASK_NAME);
  ASSERT_EQ(transition.actions.size(), 1U);
  EXPECT_EQ(transition.actions[0].text, "one");
}

TEST(FlowEngine, OnlyConsidersRulesOfTheDialogsCurrentState) {
  const FlowEngine engine({
      rule("from ask name", State::ASK_NAME, State::DONE, any_event),
  });
  auto dialog = engine.start_new_dialog(User{"u1", "", ""});

  const auto transition = engine.next(dialog, message_event("u1", "hello"));

  EXPECT_FALSE(transition.matched());
  EXPECT_EQ(dialog.state, State::NEW);
}

TEST(FlowEngine, LeavesTheDialogUnchangedAndReturnsNoActionWhenNoRuleMatches) {
  const FlowEngine engine({
      rule(
          "never", State::NEW, State::DONE, [](const auto&, const auto&) { return false; },
          {DialogAction::reply("x")}, [](Context& c, const DomainEvent&) { c["touched"] = "yes"; }),
  });
  auto dialog = engine.start_new_dialog(User{"u1", "", ""});
  const auto before = dialog;

  const auto transition = engine.next(dialog, message_event("u1", "hello"));

  EXPECT_FALSE(transition.matched());
  EXPECT_TRUE(transition.actions.empty());
  EXPECT_EQ(dialog, before);
}

TEST(FlowEngine, UpdatesTheContextBeforeFillingTheActionsPlaceholders) {
  const FlowEngine engine({
      rule("remember", State::NEW, State::ASK_COMPANY, any_event,
           {DialogAction::reply("Hello, {name}!")},
           [](Context& c, const DomainEvent& e) { c["name"] = e.get(key::text); }),
  });
  auto dialog = engine.start_new_dialog(User{"u1", "", ""});

  const auto transition = engine.next(dialog, message_event("u1", "Olga"));

  EXPECT_EQ(dialog.get(ctx::name), "Olga");
  ASSERT_EQ(transition.actions.size(), 1U);
  EXPECT_EQ(transition.actions[0].text, "Hello, Olga!");
}

TEST(FlowEngine, RefusesARuleWithoutAPredicate) {
  EXPECT_THROW(FlowEngine({rule("broken", State::NEW, State::DONE, nullptr)}),
               std::invalid_argument);
}

TEST(DialogAction, FillsPlaceholdersFromTheContext) {
  const auto action = DialogAction::create_issue("WhatsApp: {problem}", "{name} from {company}");
  const Context context{{"problem", "printer"}, {"name", "Olga"}, {"company", "Romashka"}};

  const auto filled = action.with_context(context);

  EXPECT_EQ(filled.title, "WhatsApp: printer");
  EXPECT_EQ(filled.description, "Olga from Romashka");
  EXPECT_EQ(action.title, "WhatsApp: {problem}") << "with_context returns a copy";
}

TEST(DialogAction, LeavesUnknownPlaceholdersEmptyAndKeepsDoubledBraces) {
  EXPECT_EQ(fill_placeholders("a{missing}b {{literal}}", {}), "ab {literal}");
  EXPECT_EQ(fill_placeholders("unclosed {brace", {}), "unclosed {brace");
}

TEST(State, RoundTripsThroughItsName) {
  for (const auto state : {State::NEW, State::ASK_NAME, State::ASK_COMPANY, State::AWAITING_PAYMENT,
                           State::PAID, State::DONE}) {
    EXPECT_EQ(parse_state(to_string(state)), state);
  }
  EXPECT_EQ(parse_state("BOGUS"), std::nullopt);
}

TEST(MessageKind, TreatsKindsNotYetInventedAsOther) {
  EXPECT_EQ(parse_message_kind("image"), MessageKind::image);
  EXPECT_EQ(parse_message_kind("hologram"), MessageKind::other);
}

}  // namespace
}  // namespace fixit::domain
