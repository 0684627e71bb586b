// river: the command line.
//
//   river [run] -c FILE          serve with the configuration in FILE (the default command)
//   river check -c FILE          validate FILE and exit
//   river print-default-config   print a configuration with every option at its default
//
// Settings are taken from the file, then from RIVER_* environment variables, then from the
// command line, each overriding the one before.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#if RIVER_HAS_WASM
#include "app/plugin_filter.h"
#endif
#include "app/server.h"
#include "config/loader.h"
#include "observe/log.h"

namespace {

using river::config::Config;

struct Overrides {
  std::optional<unsigned> threads;
  std::optional<std::string> log_level;
  std::optional<std::string> access_log;
};

/// Reads RIVER_THREADS, RIVER_LOG_LEVEL and RIVER_ACCESS_LOG into `overrides` where the
/// command line did not set them.
bool apply_environment(Overrides& overrides) {
  if (const char* threads = std::getenv("RIVER_THREADS"); threads && !overrides.threads) {
    char* end = nullptr;
    const auto value = std::strtoul(threads, &end, 10);
    if (end == threads || *end != '\0' || value > 1024) {
      std::fprintf(stderr, "river: RIVER_THREADS must be a number from 0 to 1024\n");
      return false;
    }
    overrides.threads = static_cast<unsigned>(value);
  }
  if (const char* level = std::getenv("RIVER_LOG_LEVEL"); level && !overrides.log_level) {
    overrides.log_level = level;
  }
  if (const char* access = std::getenv("RIVER_ACCESS_LOG"); access && !overrides.access_log) {
    overrides.access_log = access;
  }
  return true;
}

int run(const std::string& path, Overrides overrides, bool check_only) {
  if (!apply_environment(overrides)) {
    return 2;
  }
  auto loaded = river::config::load_file(path);
  if (!loaded) {
    std::fprintf(stderr, "river: %s\n", loaded.error().context.c_str());
    return 2;
  }
  auto config = std::make_shared<Config>(**loaded);
  if (overrides.threads) {
    config->system.threads = *overrides.threads;
  }
  if (overrides.log_level) {
    config->system.log_level = *overrides.log_level;
  }
  if (overrides.access_log) {
    config->system.access_log = *overrides.access_log;
  }
  river::observe::init_logging(config->system.log_level);

  if (check_only) {
    // Certificates and keys are part of the configuration: a missing or mismatched one is
    // found here, not at start-up.
    for (const auto& service : config->services) {
      if (service.has_upstream_tls) {
        if (auto loaded = river::app::Server::upstream_tls_options(service.upstream_tls);
            !loaded) {
          std::fprintf(stderr, "river: %s: service '%s': upstream_tls: %s\n",
                       service.origin.c_str(), service.name.c_str(),
                       loaded.error().context.c_str());
          return 2;
        }
      }
      for (const auto& listener : service.listeners) {
        if (auto loaded = river::app::Server::listener_protocols(listener); !loaded) {
          std::fprintf(stderr, "river: %s\n", loaded.error().context.c_str());
          return 2;
        }
      }
    }
    // Plugins too: each is read, compiled, checked against the ABI and started once.
#if RIVER_HAS_WASM
    if (auto plugins = river::app::load_plugins(*config); !plugins) {
      std::fprintf(stderr, "river: %s\n", plugins.error().context.c_str());
      return 2;
    }
#else
    if (!config->plugins.empty()) {
      std::fprintf(stderr, "river: this river was built without the plugin host\n");
      return 2;
    }
#endif
    std::printf("%s: configuration is valid (%zu services, %zu plugins)\n", path.c_str(),
                config->services.size(), config->plugins.size());
    return 0;
  }

  auto server = river::app::Server::create(config);
  if (!server) {
    std::fprintf(stderr, "river: %s\n", server.error().context.c_str());
    return 1;
  }
  return (*server)->run();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"River: a reverse proxy.\n"
               "Without a subcommand, `river -c FILE` is `river run -c FILE`."};
  app.set_version_flag("--version", "river 0.1.0");
  app.require_subcommand(0, 1);

  std::string config_path = "river.toml";
  Overrides overrides;
  auto add_common = [&](CLI::App* command) {
    command->add_option("-c,--config", config_path, "Configuration file (TOML)")
        ->capture_default_str();
    command->add_option("--threads", overrides.threads,
                        "Worker threads, 0 = one per core (overrides system.threads)");
    command->add_option("--log-level", overrides.log_level,
                        "trace, debug, info, warn, error or off (overrides system.log_level)");
    command->add_option("--access-log", overrides.access_log,
                        "\"-\", \"off\" or a file path (overrides system.access_log)");
  };
  add_common(&app);
  auto* run_command = app.add_subcommand("run", "Serve with the configuration file (default)");
  add_common(run_command);
  auto* check_command = app.add_subcommand("check", "Validate the configuration file and exit");
  add_common(check_command);
  auto* defaults_command = app.add_subcommand(
      "print-default-config", "Print a configuration file with every option at its default");

  CLI11_PARSE(app, argc, argv);

  if (defaults_command->parsed()) {
    std::cout << river::config::default_config_text();
    return 0;
  }
  return run(config_path, overrides, check_command->parsed());
}
