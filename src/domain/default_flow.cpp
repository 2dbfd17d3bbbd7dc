#include "domain/default_flow.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

namespace fixit::domain {

namespace {

// Context keys used only by this flow.
constexpr const char* issue_title_key = "issue_title";

std::string trim(std::string_view text) {
  const auto is_space = [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!text.empty() && is_space(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

bool is_message(const DomainEvent& event) {
  return event.type == EventType::MESSAGE;
}

// A message that carries words the client typed: text, or a tapped button whose
// title is text. Photos, voice notes, stickers and the rest do not count.
bool is_typed_text(const DomainEvent& event) {
  const auto message = message_of(event);
  if (!message || trim(message->text).empty()) {
    return false;
  }
  const auto kind = parse_message_kind(message->kind);
  return kind == MessageKind::text || kind == MessageKind::interactive ||
         kind == MessageKind::button;
}

// A payment notice with `status` for the dialog's own issue: a notice naming an
// earlier issue of the same client must not be taken for the current one.
bool is_payment(const DomainEvent& event, const Dialog& dialog, std::string_view status) {
  if (event.type != EventType::PAYMENT_STATUS || event.get(key::status) != status) {
    return false;
  }
  const auto issue = dialog.get(ctx::issue_id);
  return !event.has(key::issue_id) || issue.empty() || event.get(key::issue_id) == issue;
}

// A message the client wrote or sent, as opposed to a reaction to one of ours
// or a notice WhatsApp sends on its own (a changed number).
bool is_client_message(const DomainEvent& event) {
  const auto message = message_of(event);
  if (!message) {
    return false;
  }
  const auto kind = parse_message_kind(message->kind);
  return kind != MessageKind::reaction && kind != MessageKind::system;
}

// "Спасибо!", "ок 👍": words that close a conversation rather than open a new
// request. Compared without case, spaces or punctuation.
std::string folded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (std::isalnum(c) != 0) {
        out += static_cast<char>(std::tolower(c));
      }
      continue;
    }
    // Cyrillic capitals А-Я (U+0410..U+042F) to lower case; other letters as they are.
    if ((c == 0xD0) && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x90 && next <= 0x9F) {
        out += static_cast<char>(0xD0);
        out += static_cast<char>(next + 0x20);
        ++i;
        continue;
      }
      if (next >= 0xA0 && next <= 0xAF) {
        out += static_cast<char>(0xD1);
        out += static_cast<char>(next - 0x20);
        ++i;
        continue;
      }
    }
    out += static_cast<char>(c);
  }
  return out;
}

bool is_acknowledgement(const DomainEvent& event, const std::set<std::string>& words) {
  const auto message = message_of(event);
  if (!message) {
    return false;
  }
  const auto text = folded(message->text);
  return !text.empty() && words.contains(text);
}

// An update about the dialog's own issue (not an earlier one of the same client).
bool is_update_of_open_issue(const DomainEvent& event, const Dialog& dialog) {
  return event.type == EventType::ISSUE_UPDATED && event.has(key::issue_id) &&
         event.get(key::issue_id) == dialog.get(ctx::issue_id);
}

bool is_status_change(const DomainEvent& event, const Dialog& dialog) {
  return is_update_of_open_issue(event, dialog) && event.has(key::new_status_code) &&
         event.get(key::new_status_code) != event.get(key::old_status_code);
}

bool is_public_comment(const DomainEvent& event, const Dialog& dialog) {
  return is_update_of_open_issue(event, dialog) && !event.has(key::new_status_code) &&
         event.has(key::comment);
}

// What the client's message says, or its kind in brackets when it says nothing.
std::string problem_of(const DomainEvent& event) {
  const auto message = message_of(event).value_or(Message{});
  auto text = trim(message.text);
  if (!text.empty()) {
    return text;
  }
  std::string kind = "[";
  kind += message.kind;
  kind += ']';
  return kind;
}

void remember_problem(Context& context, const DomainEvent& event) {
  context[std::string(ctx::problem)] = problem_of(event);
  context[issue_title_key] = issue_title_from_problem(context[std::string(ctx::problem)]);
}

void forget_issue(Context& context) {
  for (const auto key : {ctx::issue_id, ctx::issue_link, ctx::amount_due, ctx::amount_paid,
                         ctx::invoice_number, ctx::status_name, ctx::comment}) {
    context.erase(std::string(key));
  }
}

void remember_payment(Context& context, const DomainEvent& event) {
  for (const auto& [from, to] :
       {std::pair{key::amount_due, ctx::amount_due}, std::pair{key::amount_paid, ctx::amount_paid},
        std::pair{key::currency, ctx::currency},
        std::pair{key::invoice_number, ctx::invoice_number}}) {
    if (event.has(from)) {
      context[std::string(to)] = event.get(from);
    }
  }
}

}  // namespace

FlowTexts FlowTexts::defaults() {
  FlowTexts t;
  t.texts = {
      {"ask_name", "Здравствуйте! Мы получили ваше обращение: «{problem}». Как к вам обращаться?"},
      {"ask_name_again", "Пожалуйста, напишите ваше имя текстом."},
      {"ask_company", "Спасибо, {name}! Из какой вы компании?"},
      {"ask_company_again", "Пожалуйста, напишите название вашей компании текстом."},
      {"creating_issue", "Спасибо! Создаём заявку, номер и ссылку пришлём через минуту."},
      {"returning_client",
       "{name}, здравствуйте! Создаём новую заявку: «{problem}». Номер и ссылку пришлём через "
       "минуту."},
      {"issue_title", "WhatsApp: {issue_title}"},
      {"issue_description",
       "Обращение из WhatsApp.\nКлиент: {name}\nКомпания: {company}\nТелефон: +{phone}\n\n"
       "{problem}"},
      {"issue_created", "Заявка №{issue_id} создана: {issue_link}"},
      {"issue_open",
       "Ваша заявка №{issue_id} уже в работе: {issue_link}. Мы напишем, как только "
       "будут новости."},
      {"issue_pending", "Заявка создаётся, номер и ссылку пришлём в ближайшее время."},
      {"payment_paid", "Оплата по счёту {invoice_number} получена. Спасибо!"},
      {"payment_partial",
       "Получена частичная оплата по счёту {invoice_number}. Осталось оплатить: {amount_due} "
       "{currency}."},
      {"payment_cancelled",
       "Счёт {invoice_number} отменён. Если это ошибка, просто ответьте на это сообщение."},
      {"payment_refunded", "Оплата по счёту {invoice_number} возвращена."},
      {"status_changed", "Статус заявки №{issue_id}: {status_name}."},
      {"status_changed_with_comment",
       "Статус заявки №{issue_id}: {status_name}.\nКомментарий инженера: {comment}"},
      {"issue_done",
       "Работы по заявке №{issue_id} завершены (статус: {status_name}). Спасибо, что обратились! "
       "Если понадобится помощь, просто напишите."},
      {"issue_done_with_comment",
       "Работы по заявке №{issue_id} завершены (статус: {status_name}). {comment}\nСпасибо, "
       "что обратились! Если понадобится помощь, просто напишите."},
      {"you_are_welcome", "Рады помочь! Если что-то понадобится, просто напишите."},
      {"new_comment", "Комментарий по заявке №{issue_id}: {comment}"},
  };
  t.status_names = {
      {"opened", "открыта"},   {"in_progress", "в работе"}, {"delayed", "отложена"},
      {"completed", "решена"}, {"closed", "закрыта"},
  };
  t.done_statuses = {"completed", "closed"};
  t.acknowledgements = {"спасибо",
                        "спасибо большое",
                        "большое спасибо",
                        "благодарю",
                        "ок",
                        "ок 👍",
                        "ok 👍",
                        "ok",
                        "хорошо",
                        "понятно",
                        "отлично",
                        "супер",
                        "спс",
                        "thanks",
                        "thank you",
                        "👍",
                        "🙏",
                        "спасибо 👍",
                        "спасибо 🙏",
                        "ок спасибо",
                        "хорошо спасибо",
                        "отлично спасибо"};
  return t;
}

const std::string& FlowTexts::text(const std::string& id) const {
  const auto it = texts.find(id);
  if (it == texts.end()) {
    throw std::out_of_range("flow text '" + id + "' is not defined");
  }
  return it->second;
}

std::string issue_title_from_problem(const std::string& problem, std::size_t max_chars) {
  std::string_view line = problem;
  if (const auto end = line.find_first_of("\r\n"); end != std::string_view::npos) {
    line = line.substr(0, end);
  }
  std::size_t chars = 0;
  std::size_t i = 0;
  while (i < line.size() && chars < max_chars) {
    const auto lead = static_cast<unsigned char>(line[i]);
    std::size_t width = 1;
    if (lead >= 0xF0) {
      width = 4;
    } else if (lead >= 0xE0) {
      width = 3;
    } else if (lead >= 0xC0) {
      width = 2;
    }
    i = std::min(line.size(), i + width);
    ++chars;
  }
  auto title = trim(line.substr(0, i));
  if (i < line.size()) {
    title += "…";
  }
  return title;
}

std::vector<FlowRule> default_flow_rules(const FlowTexts& texts) {
  const auto reply = [&](const char* id) { return DialogAction::reply(texts.text(id)); };
  const auto create_issue =
      DialogAction::create_issue(texts.text("issue_title"), texts.text("issue_description"));
  const auto done_statuses = texts.done_statuses;
  std::set<std::string> acknowledgements;
  for (const auto& word : texts.acknowledgements) {
    acknowledgements.insert(folded(word));
  }
  const auto status_names = texts.status_names;

  std::vector<FlowRule> rules;

  rules.push_back({"first message asks for the name",
                   State::NEW,
                   [](const DomainEvent& e, const Dialog&) { return is_message(e); },
                   State::ASK_NAME,
                   {reply("ask_name")},
                   remember_problem});

  rules.push_back({"typed name asks for the company",
                   State::ASK_NAME,
                   [](const DomainEvent& e, const Dialog&) { return is_typed_text(e); },
                   State::ASK_COMPANY,
                   {reply("ask_company")},
                   [](Context& c, const DomainEvent& e) {
                     c[std::string(ctx::name)] = trim(e.get(key::text));
                   }});
  rules.push_back({"anything but words asks for the name again",
                   State::ASK_NAME,
                   [](const DomainEvent& e, const Dialog&) { return is_message(e); },
                   State::ASK_NAME,
                   {reply("ask_name_again")},
                   nullptr});

  rules.push_back({"typed company opens an issue",
                   State::ASK_COMPANY,
                   [](const DomainEvent& e, const Dialog&) { return is_typed_text(e); },
                   State::AWAITING_PAYMENT,
                   {reply("creating_issue"), create_issue},
                   [](Context& c, const DomainEvent& e) {
                     c[std::string(ctx::company)] = trim(e.get(key::text));
                   }});
  rules.push_back({"anything but words asks for the company again",
                   State::ASK_COMPANY,
                   [](const DomainEvent& e, const Dialog&) { return is_message(e); },
                   State::ASK_COMPANY,
                   {reply("ask_company_again")},
                   nullptr});

  rules.push_back({"created issue is announced with its link",
                   State::AWAITING_PAYMENT,
                   [](const DomainEvent& e, const Dialog& d) {
                     return e.type == EventType::ISSUE_CREATED && e.has(key::issue_id) &&
                            d.get(ctx::issue_id).empty();
                   },
                   State::AWAITING_PAYMENT,
                   {reply("issue_created"), DialogAction::request_invoice()},
                   [](Context& c, const DomainEvent& e) {
                     c[std::string(ctx::issue_id)] = e.get(key::issue_id);
                     c[std::string(ctx::issue_link)] = e.get(key::issue_link);
                   }});

  // Payments move the dialog only while it awaits one; later notices (a refund
  // after the payment, a payment after the work was done) are still told.
  const auto payment_rule = [&](const char* name, State from, std::string_view status, State next,
                                const char* text_id) {
    return FlowRule{
        name,
        from,
        [status](const DomainEvent& e, const Dialog& d) { return is_payment(e, d, status); },
        next,
        {reply(text_id)},
        remember_payment};
  };
  for (const auto state : {State::AWAITING_PAYMENT, State::PAID, State::DONE}) {
    const auto after_full_payment = state == State::AWAITING_PAYMENT ? State::PAID : state;
    rules.push_back(payment_rule("full payment thanks the client", state, payment::paid,
                                 after_full_payment, "payment_paid"));
    rules.push_back(payment_rule("partial payment says what is still due", state,
                                 payment::partially_paid, state, "payment_partial"));
    rules.push_back(payment_rule("cancelled invoice is reported", state, payment::cancelled, state,
                                 "payment_cancelled"));
    rules.push_back(
        payment_rule("refund is reported", state, payment::refunded, state, "payment_refunded"));
  }

  // Progress reports apply while an issue is open and after it is done (a
  // "closed" may follow a "completed").
  const auto status_words = [status_names](const DomainEvent& e) {
    const auto it = status_names.find(e.get(key::new_status_code));
    return it != status_names.end() ? it->second : e.get(key::new_status_name);
  };
  const auto remember_update = [status_words](Context& c, const DomainEvent& e) {
    c[std::string(ctx::status_name)] = status_words(e);
    c[std::string(ctx::comment)] = e.get(key::comment);
  };
  const auto is_done = [done_statuses](const DomainEvent& e, const Dialog& d) {
    return is_status_change(e, d) && done_statuses.contains(e.get(key::new_status_code));
  };
  const auto is_progress = [is_done](const DomainEvent& e, const Dialog& d) {
    return is_status_change(e, d) && !is_done(e, d);
  };
  const auto with_comment = [is_progress](const DomainEvent& e, const Dialog& d) {
    return is_progress(e, d) && e.has(key::comment);
  };
  const auto is_done_with_comment = [is_done](const DomainEvent& e, const Dialog& d) {
    return is_done(e, d) && e.has(key::comment);
  };

  for (const auto state : {State::AWAITING_PAYMENT, State::PAID}) {
    rules.push_back({"finished work with a comment is reported and ends the dialog",
                     state,
                     is_done_with_comment,
                     State::DONE,
                     {reply("issue_done_with_comment")},
                     remember_update});
    rules.push_back({"finished work is reported and ends the dialog",
                     state,
                     is_done,
                     State::DONE,
                     {reply("issue_done")},
                     remember_update});
  }
  // "closed" after "completed": the client was told already.
  rules.push_back({"a later final status is recorded quietly",
                   State::DONE,
                   is_done,
                   State::DONE,
                   {},
                   remember_update});

  for (const auto state : {State::AWAITING_PAYMENT, State::PAID, State::DONE}) {
    rules.push_back({"status change with a comment is reported",
                     state,
                     with_comment,
                     state,
                     {reply("status_changed_with_comment")},
                     remember_update});
    rules.push_back({"status change is reported",
                     state,
                     is_progress,
                     state,
                     {reply("status_changed")},
                     remember_update});
    rules.push_back({"public comment is passed on",
                     state,
                     is_public_comment,
                     state,
                     {reply("new_comment")},
                     remember_update});
  }

  for (const auto state : {State::AWAITING_PAYMENT, State::PAID}) {
    rules.push_back({"message about an open issue gets its number and link",
                     state,
                     [](const DomainEvent& e, const Dialog& d) {
                       return is_client_message(e) && !d.get(ctx::issue_id).empty();
                     },
                     state,
                     {reply("issue_open")},
                     nullptr});
    rules.push_back({"message before the issue exists is told to wait",
                     state,
                     [](const DomainEvent& e, const Dialog&) { return is_client_message(e); },
                     state,
                     {reply("issue_pending")},
                     nullptr});
  }

  rules.push_back({"thanks after the work is done are answered without a new issue",
                   State::DONE,
                   [acknowledgements](const DomainEvent& e, const Dialog&) {
                     return is_acknowledgement(e, acknowledgements);
                   },
                   State::DONE,
                   {reply("you_are_welcome")},
                   nullptr});
  rules.push_back({"returning client opens a new issue",
                   State::DONE,
                   [](const DomainEvent& e, const Dialog&) { return is_client_message(e); },
                   State::AWAITING_PAYMENT,
                   {reply("returning_client"), create_issue},
                   [](Context& c, const DomainEvent& e) {
                     forget_issue(c);
                     remember_problem(c, e);
                   }});

  return rules;
}

}  // namespace fixit::domain
