#include "infrastructure/persistence/operations.hpp"

#include <charconv>
#include <ctime>
#include <filesystem>
#include <ostream>

#include "infrastructure/config/settings.hpp"
#include "infrastructure/logging.hpp"
#include "infrastructure/persistence/database.hpp"

namespace fixit::infrastructure::persistence {

namespace {

std::string format_time(std::int64_t millis) {
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const auto size = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buffer, size);
}

// "all" -> empty list; "3,7,9" -> {3, 7, 9}; anything else -> nothing.
std::optional<std::vector<std::int64_t>> parse_ids(std::string_view text) {
  std::vector<std::int64_t> ids;
  if (text == "all") {
    return ids;
  }
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = text.substr(0, comma);
    std::int64_t id = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), id);
    if (part.empty() || error != std::errc{} || end != part.data() + part.size() || id <= 0) {
      return std::nullopt;
    }
    ids.push_back(id);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  if (ids.empty()) {
    return std::nullopt;
  }
  return ids;
}

constexpr std::size_t listing_limit = 1000;

void print_actions(const std::vector<OutboxEntry>& entries, std::ostream& out) {
  if (entries.empty()) {
    out << "no failed actions\n";
    return;
  }
  out << "id\tkind\tuser\tattempts\tfailed_at\tcause\terror\n";
  for (const auto& e : entries) {
    out << e.id << '\t' << e.kind << '\t' << mask_phone(e.user_id) << '\t' << e.attempts << '\t'
        << format_time(e.updated_at) << '\t' << log_id(e.cause_key) << '\t'
        << e.last_error.value_or("") << '\n';
  }
  out << entries.size() << " failed action(s)"
      << (entries.size() >= listing_limit ? " shown, the oldest; more may exist" : "")
      << "; re-queue with --requeue-actions all|ID[,ID...]\n";
}

void print_events(const std::vector<InboxEntry>& entries, std::ostream& out) {
  if (entries.empty()) {
    out << "no failed events\n";
    return;
  }
  out << "id\ttype\tuser\treceived_at\tkey\terror\n";
  for (const auto& e : entries) {
    out << e.id << '\t' << e.type << '\t' << mask_phone(e.user_id) << '\t'
        << format_time(e.received_at) << '\t' << e.key << '\t' << e.error.value_or("") << '\n';
  }
  out << entries.size() << " failed event(s)"
      << (entries.size() >= listing_limit ? " shown, the oldest; more may exist" : "")
      << "; re-queue with --requeue-events all|ID[,ID...]\n";
}

}  // namespace

std::vector<OutboxEntry> list_failed_actions(Database& database, std::size_t limit) {
  return database.call(
      [limit](Connection& connection) { return failed_actions(connection, limit); });
}

std::size_t requeue_failed_actions(Database& database, std::span<const std::int64_t> ids) {
  return database.call([ids](Connection& connection) {
    Transaction transaction(connection);
    const auto count = requeue_failed_actions(connection, ids, unix_millis_now());
    transaction.commit();
    return count;
  });
}

std::vector<InboxEntry> list_failed_events(Database& database, std::size_t limit) {
  return database.call(
      [limit](Connection& connection) { return failed_events(connection, limit); });
}

std::size_t requeue_failed_events(Database& database, std::span<const std::int64_t> ids) {
  return database.call([&database, ids](Connection& connection) {
    Transaction transaction(connection);
    const auto count = requeue_failed_events(connection, ids);
    transaction.commit();
    if (count > 0) {
      database.notify_inbox();
    }
    return count;
  });
}

std::string operator_command_usage() {
  return "  --failed-actions                   list outbound actions that failed for good\n"
         "  --requeue-actions all|ID[,ID...]   queue failed actions again (attempts reset)\n"
         "  --failed-events                    list received events whose processing failed\n"
         "  --requeue-events all|ID[,ID...]    process failed events again\n";
}

std::optional<int> run_operator_command(std::span<const std::string> args, const Settings& settings,
                                        std::ostream& out, std::ostream& err) {
  enum class Command { none, failed_actions, requeue_actions, failed_events, requeue_events };
  Command command = Command::none;
  std::string argument;
  for (std::size_t i = 0; i < args.size(); ++i) {
    Command found = Command::none;
    bool needs_argument = false;
    if (args[i] == "--failed-actions") {
      found = Command::failed_actions;
    } else if (args[i] == "--requeue-actions") {
      found = Command::requeue_actions;
      needs_argument = true;
    } else if (args[i] == "--failed-events") {
      found = Command::failed_events;
    } else if (args[i] == "--requeue-events") {
      found = Command::requeue_events;
      needs_argument = true;
    } else {
      continue;
    }
    if (command != Command::none) {
      err << "give one operator command at a time\n";
      return 2;
    }
    command = found;
    if (needs_argument) {
      if (i + 1 >= args.size()) {
        err << args[i] << " needs \"all\" or a comma-separated list of ids\n";
        return 2;
      }
      argument = args[++i];
    }
  }
  if (command == Command::none) {
    return std::nullopt;
  }

  std::vector<std::int64_t> ids;
  if (command == Command::requeue_actions || command == Command::requeue_events) {
    auto parsed = parse_ids(argument);
    if (!parsed) {
      err << "expected \"all\" or ids like 12,15; got \"" << argument << "\"\n";
      return 2;
    }
    ids = std::move(*parsed);
  }

  // An operator command looks at the service's database; it never creates one
  // (a mistyped DB_PATH would otherwise report "no failed actions").
  std::error_code missing;
  if (!std::filesystem::is_regular_file(settings.db_path, missing)) {
    err << "no database at " << settings.db_path.string()
        << ": check DB_PATH (the service creates the file when it first starts)\n";
    return 1;
  }

  try {
    Database database(DatabaseOptions::from(settings));
    switch (command) {
      case Command::failed_actions:
        print_actions(list_failed_actions(database, listing_limit), out);
        break;
      case Command::requeue_actions:
        out << requeue_failed_actions(database, ids) << " action(s) queued again\n";
        break;
      case Command::failed_events:
        print_events(list_failed_events(database, listing_limit), out);
        break;
      case Command::requeue_events:
        out << requeue_failed_events(database, ids) << " event(s) queued again\n";
        break;
      case Command::none:
        break;
    }
  } catch (const std::exception& e) {
    err << "database " << settings.db_path.string() << ": " << e.what() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace fixit::infrastructure::persistence
