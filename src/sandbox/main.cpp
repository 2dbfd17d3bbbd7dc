// fixit-sandbox: stands in for the WhatsApp Cloud API and Okdesk on a loopback
// port, so the service can run end to end without real accounts. Point
// WABA_API_URL at http://127.0.0.1:PORT/v21.0 and OKDESK_URL at
// http://127.0.0.1:PORT; the sandbox accepts the WABA_ACCESS_TOKEN and
// OKDESK_API_TOKEN found in its environment or its .env file, read as the
// service reads them (the environment wins), so both can share one .env.
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "infrastructure/config/settings.hpp"
#include "infrastructure/logging.hpp"
#include "infrastructure/sandbox/sandbox_api.hpp"
#include "infrastructure/sandbox/sandbox_server.hpp"

namespace {

constexpr const char* usage =
    "usage: fixit-sandbox --port N [--bind ADDRESS] [--record FILE] [--env-file PATH]\n"
    "                     [--tls-cert FILE --tls-key FILE] [--log-level LEVEL]\n"
    "  Reads WABA_ACCESS_TOKEN and OKDESK_API_TOKEN (required) and WABA_PHONE_NUMBER_ID\n"
    "  (optional) from the environment, over the env file (--env-file PATH, default\n"
    "  ./.env when present). --port 0 picks a free port. Prints \"listening on PORT\"\n"
    "  once ready; SIGINT or SIGTERM stops it.\n";

constexpr const char* default_env_file = ".env";

int fail(const std::string& message) {
  std::fprintf(stderr, "fixit-sandbox: %s\n%s", message.c_str(), usage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fixit::infrastructure;
  sandbox::SandboxServerOptions options;
  std::filesystem::path record_file;
  std::optional<std::filesystem::path> env_file;
  std::string log_level = "info";
  bool port_given = false;

  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", usage);
      return 0;
    }
    if (i + 1 >= argc) {
      return fail("missing value after " + std::string(arg));
    }
    const std::string value(argv[++i]);
    if (arg == "--port") {
      unsigned port = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (ec != std::errc{} || end != value.data() + value.size() || port > 65535) {
        return fail("--port must be a number from 0 to 65535, got \"" + value + "\"");
      }
      options.port = static_cast<std::uint16_t>(port);
      port_given = true;
    } else if (arg == "--bind") {
      options.bind_address = value;
    } else if (arg == "--record") {
      record_file = value;
    } else if (arg == "--env-file") {
      env_file = value;
    } else if (arg == "--tls-cert") {
      options.tls_cert_file = value;
    } else if (arg == "--tls-key") {
      options.tls_key_file = value;
    } else if (arg == "--log-level") {
      log_level = value;
    } else {
      return fail("unknown option " + std::string(arg));
    }
  }
  if (!port_given) {
    return fail("--port is required");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return fail("--tls-cert and --tls-key go together");
  }
  sandbox::SandboxConfig config;
  try {
    config = sandbox::SandboxConfig::from(
        Environment::load(env_file_or_default(env_file, default_env_file)));
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  config.record_file = record_file;
  if (config.waba_access_token.empty() || config.okdesk_api_token.empty()) {
    return fail("WABA_ACCESS_TOKEN and OKDESK_API_TOKEN must be set in the environment or " +
                (env_file ? env_file->string() : std::string("an env file")));
  }

  try {
    setup_logging(log_level);
    boost::asio::io_context io;
    sandbox::SandboxApi api(config);
    sandbox::SandboxServer server(io.get_executor(), api, options);
    server.start();

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (!ec) {
        spdlog::info("sandbox stopping");
        server.stop();
      }
    });
    spdlog::info("sandbox listening address={} port={} tls={} record={}", options.bind_address,
                 server.port(), server.tls(),
                 config.record_file.empty() ? "none" : config.record_file.string());
    std::printf("listening on %u\n", static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fixit-sandbox: %s\n", e.what());
    return 1;
  }
}
