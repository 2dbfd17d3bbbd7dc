// One step of the dialog state machine with the default Russian flow: the
// rule lookup, the context update and the actions' placeholders filled in.
// Each iteration starts from a copy of the same dialog (the step changes it),
// and that copy is part of the figure.
#include <benchmark/benchmark.h>

#include "domain/default_flow.hpp"

namespace {

using namespace fixit::domain;

DomainEvent text_message(std::string text) {
  DomainEvent event;
  event.type = EventType::MESSAGE;
  event.key = "wamid.HBgLNzk5OTAwMDAwMDEVAgASGBQ0RkFLRVdJUkUwMDAwMDAwMDAwMDEAA==";
  event.user_id = "79990000001";
  event.payload = {
      {std::string(key::message_id), event.key}, {std::string(key::kind), "text"},
      {std::string(key::text), std::move(text)}, {std::string(key::timestamp), "1764770660"},
      {std::string(key::profile_name), "Ольга"}, {std::string(key::phone), "79990000001"}};
  return event;
}

void step(benchmark::State& state, const Dialog& start, const DomainEvent& event, State expected) {
  const FlowEngine engine(default_flow_rules(FlowTexts::defaults()));
  {
    auto dialog = start;
    if (!engine.next(dialog, event).matched() || dialog.state != expected) {
      state.SkipWithError("the step did not take the expected rule");
      return;
    }
  }
  for (auto _ : state) {
    auto dialog = start;
    auto transition = engine.next(dialog, event);
    benchmark::DoNotOptimize(transition.actions.data());
  }
}

void BM_FlowStepFirstMessage(benchmark::State& state) {
  const FlowEngine engine(default_flow_rules(FlowTexts::defaults()));
  const auto dialog = engine.start_new_dialog(User{"79990000001", "Ольга", "79990000001"});
  step(
      state, dialog,
      text_message("Здравствуйте! После обновления не печатает кассовый аппарат, чеки не выходят."),
      State::ASK_NAME);
}
BENCHMARK(BM_FlowStepFirstMessage);

void BM_FlowStepCompanyOpensIssue(benchmark::State& state) {
  Dialog dialog;
  dialog.user_id = "79990000001";
  dialog.state = State::ASK_COMPANY;
  dialog.version = 2;
  dialog.context = {{"phone", "79990000001"},
                    {"profile_name", "Ольга"},
                    {"problem", "Здравствуйте! После обновления не печатает кассовый аппарат."},
                    {"issue_title", "Здравствуйте! После обновления не печатает кассовый аппарат."},
                    {"name", "Ольга Смирнова"}};
  step(state, dialog, text_message("ООО «Ромашка-Трейд»"), State::AWAITING_PAYMENT);
}
BENCHMARK(BM_FlowStepCompanyOpensIssue);

}  // namespace
