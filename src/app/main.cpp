// Composition root: reads the configuration once, builds the adapters and wires
// them into the use cases. Nothing else in the program creates an adapter.

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "domain/default_flow.hpp"
#include "infrastructure/config/cli.hpp"
#include "infrastructure/config/flow_file.hpp"
#include "infrastructure/config/settings.hpp"
#include "infrastructure/logging.hpp"
#include "infrastructure/outbound/http_client.hpp"
#include "infrastructure/outbound/okdesk_issue_creator.hpp"
#include "infrastructure/outbound/onec_connector.hpp"
#include "infrastructure/outbound/whatsapp_sender.hpp"
#include "infrastructure/persistence/database.hpp"
#include "infrastructure/persistence/operations.hpp"
#include "infrastructure/pipeline/pipeline.hpp"
#include "infrastructure/web/health_probe.hpp"
#include "infrastructure/web/webhook_server.hpp"

namespace {

namespace asio = boost::asio;
namespace app = fixit::application;
namespace infra = fixit::infrastructure;

infra::Settings load_settings(const infra::CommandLine& command_line) {
  return infra::Settings::from(infra::Environment::load(command_line.env_file));
}

fixit::domain::FlowTexts load_texts(const infra::Settings& settings) {
  if (settings.flow_file.empty()) {
    return fixit::domain::FlowTexts::defaults();
  }
  return infra::load_flow_file(settings.flow_file);
}

int serve(const infra::Settings& settings) {
  infra::setup_logging(settings.log_level);
  // Closed routes and missing outbound settings, once at start.
  for (const auto& warning : settings.warnings) {
    spdlog::warn("{}", warning);
  }

  const fixit::domain::FlowEngine engine(fixit::domain::default_flow_rules(load_texts(settings)));

  // One io_context serves HTTP in and out; SQLite has its own thread (Database)
  // so a commit's fsync never stalls a connection.
  asio::io_context io(1);
  const auto database = infra::persistence::Database::open(settings);

  infra::outbound::HttpClient http(io.get_executor(),
                                   infra::outbound::HttpClientOptions::from(settings));
  infra::outbound::WhatsAppSender whatsapp(http, infra::outbound::WhatsAppConfig::from(settings));
  infra::outbound::OkdeskIssueCreator okdesk(http, infra::outbound::OkdeskConfig::from(settings));
  infra::outbound::OneCConnector accounting;

  infra::pipeline::Pipeline pipeline(*database, engine, whatsapp, okdesk, accounting,
                                     io.get_executor(),
                                     infra::pipeline::PipelineOptions::from(settings));

  auto readiness = [&]() -> app::Task<std::optional<std::string>> {
    if (auto problem = co_await database->check_ready()) {
      co_return problem;
    }
    if (auto problem = whatsapp.problem()) {
      co_return "whatsapp: " + *problem;
    }
    if (auto problem = okdesk.problem()) {
      co_return "okdesk: " + *problem;
    }
    co_return std::nullopt;
  };
  // The io_context runs on this thread alone, so connections need no strands.
  infra::web::WebhookServer server(io.get_executor(), settings, database->inbox(), readiness,
                                   infra::web::IoThreads::one);

  // The server first: when the port cannot be bound, nothing is running yet and
  // the start fails cleanly. Events it accepts before the pipeline runs wait in
  // the inbox.
  std::uint16_t port = 0;
  try {
    port = server.start();
  } catch (const boost::system::system_error& error) {
    throw std::runtime_error("cannot listen on " + settings.bind_address + ":" +
                             std::to_string(settings.port) + ": " + error.code().message());
  }
  pipeline.start();
  spdlog::info("service started version={} address={} port={} db={} synchronous={}", FIXIT_VERSION,
               settings.bind_address, port, settings.db_path.string(), settings.db_synchronous);

  // SIGINT/SIGTERM: stop accepting, let requests in flight finish (their events
  // are stored before they are answered), let the pipeline finish what it is
  // doing, then return from run().
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) {
      return;
    }
    spdlog::info("shutting down signal={}", signal_number);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await server.stop();
          co_await pipeline.stop();
          http.close();
          spdlog::info("service stopped");
        },
        asio::detached);
  });

  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The database thread allocates and frees memory in every transaction. With
  // glibc's default trim threshold (128 KB) its arena handed the free memory back to
  // the kernel each time and faulted it in again on the next transaction: madvise
  // and page faults were over a tenth of the service's CPU under load. Free memory
  // up to these thresholds stays in the process instead.
  mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  const auto command_line = infra::parse_command_line(argc, argv);
  if (!command_line.error.empty()) {
    std::cerr << "fixit-exchange: " << command_line.error << "\n\n"
              << infra::usage_text("fixit-exchange");
    return 2;
  }

  try {
    switch (command_line.action) {
      case infra::CommandLine::Action::help:
        std::cout << infra::usage_text("fixit-exchange");
        return 0;
      case infra::CommandLine::Action::version:
        std::cout << infra::version_text();
        return 0;
      case infra::CommandLine::Action::check_config:
        return infra::check_config(command_line, std::cout);
      case infra::CommandLine::Action::print_flow:
        std::cout << infra::default_flow_file() << "\n";
        return 0;
      case infra::CommandLine::Action::healthcheck:
        return infra::web::probe_health(load_settings(command_line), std::cout, std::cerr);
      case infra::CommandLine::Action::operator_command: {
        const auto settings = load_settings(command_line);
        // The listing goes to stdout for pipes; only problems are logged, to stderr.
        infra::setup_logging("warn");
        return infra::persistence::run_operator_command(command_line.operator_args, settings,
                                                        std::cout, std::cerr)
            .value_or(2);
      }
      case infra::CommandLine::Action::run:
        break;
    }

    const auto settings = load_settings(command_line);
    if (!settings.errors.empty()) {
      for (const auto& error : settings.errors) {
        std::cerr << "fixit-exchange: " << error << "\n";
      }
      return 1;
    }
    return serve(settings);
  } catch (const std::exception& error) {
    // A configuration the service cannot start with: a flow file with a fault,
    // an unreadable .env, a database that cannot be opened, a port in use.
    std::cerr << "fixit-exchange: cannot start: " << error.what() << "\n";
    return 1;
  }
}
