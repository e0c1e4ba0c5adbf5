#include "daemon/cli.hpp"

#include <curl/curl.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "daemon/check_command.hpp"
#include "daemon/config_loader.hpp"
#include "daemon/logging.hpp"
#include "daemon/report_command.hpp"
#include "daemon/run_command.hpp"
#include "daemon/secret_exposure.hpp"
#include "daemon/shard.hpp"

namespace faultline {
namespace {

constexpr const char* kDefaultConfig = "/etc/faultline/faultline.yaml";

int config_check(const std::string& path) {
  ConfigLoad load = load_config(path);
  for (const Diagnostic& w : load.warnings) {
    std::cerr << w.file << ':' << w.line << ':' << w.column << ": warning: " << w.message << '\n';
  }
  for (const Diagnostic& e : load.errors)
    std::cerr << e.to_string() << '\n';
  if (!load.config) {
    std::cerr << path << ": " << load.errors.size()
              << (load.errors.size() == 1 ? " error" : " errors") << '\n';
    return 1;
  }
  const Config& config = *load.config;
  for (const std::string& w : secret_exposure_warnings(config))
    std::cerr << path << ": warning: " << w << '\n';
  std::cout << path << ": ok, " << config.targets.size()
            << (config.targets.size() == 1 ? " target" : " targets");
  if (config.cluster.shards > 1) {
    std::cout << " (shard " << config.cluster.shard << " of " << config.cluster.shards << " probes "
              << owned_targets(config.targets, config.cluster).size() << ")";
  }
  std::cout << '\n';
  return 0;
}

int version() {
  std::cout << "faultline " << FAULTLINE_VERSION << " (libcurl " << LIBCURL_VERSION << ", libuv "
            << uv_version_string() << ", " << OPENSSL_VERSION_TEXT << ", SQLite "
            << sqlite3_libversion() << ")\n";
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"faultline: an uptime monitor that says which layer failed, and what to do."};
  app.require_subcommand(1);
  // `faultline run -c X --log-level debug` reads as naturally as the option before `run`.
  app.fallthrough();
  app.set_help_all_flag("--help-all", "Show help for every command");
  std::string log_level;
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error, critical or off (overrides log.level)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  std::string run_config = kDefaultConfig;
  CLI::App* run = app.add_subcommand("run", "Monitor the configured targets until stopped");
  run->add_option("-c,--config", run_config, "Config file")->capture_default_str();

  CheckOptions check;
  CLI::App* check_cmd = app.add_subcommand(
      "check", "Probe one target once and explain which layer failed; exit 0 ok, 1 failed");
  check_cmd
      ->add_option("TARGET", check.target,
                   "http://..., https://..., tcp://host:port or tls://host:port")
      ->required();
  check_cmd->add_flag("--json", check.json, "Print one JSON object instead of text");
  check_cmd->add_option("--timeout", check.timeout, "Deadline for all layers, e.g. 5s, 800ms")
      ->capture_default_str();
  check_cmd->add_option("--ca-file", check.ca_file,
                        "Trust this CA bundle (PEM) instead of the "
                        "system's");
  check_cmd->add_flag("--insecure", check.insecure, "Do not verify the TLS certificate");
  check_cmd->add_option("--method", check.method, "HTTP method")->capture_default_str();
  check_cmd->add_option("--header", check.headers,
                        "Extra request header 'Name: value' "
                        "(repeatable)");
  check_cmd->add_option("--expect-status", check.expect_status,
                        "Accepted status codes, e.g. 200,204 or 200-299 (default 200-399)");
  check_cmd->add_option("--idle", check.idle,
                        "Also run the idle-connection experiment with these idle times, e.g. "
                        "10s,30s,60s: finds the idle time after which a middlebox resets (or "
                        "the server closes) connections and verifies the TCP keepalive fix. "
                        "Exit 1 when a middlebox or the server resets idle connections");

  ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report",
      "Summarise the history: uptime per target, failures by class and phase, outages and "
      "idle-connection findings; exit 1 when the history cannot be read");
  auto* report_db =
      report_cmd->add_option("--db", report.db,
                             "History database, read-only (default: storage.path of --config, "
                             "else " +
                                 default_storage_path() + ")");
  report_cmd->add_option("-c,--config", report.config, "Take the database from this config")
      ->excludes(report_db);
  report_cmd->add_option("--since", report.since, "How far back, e.g. 24h, 7d, 90m")
      ->capture_default_str();
  report_cmd->add_option("--target", report.target, "Only this target");
  report_cmd->add_flag("--json", report.json, "Print one JSON object instead of text");

  CLI::App* config = app.add_subcommand("config", "Work with config files");
  config->require_subcommand(1);
  std::string check_path;
  CLI::App* config_check_cmd =
      config->add_subcommand("check",
                             "Validate a config file: exit 0 when valid, 1 with every "
                             "error on stderr");
  config_check_cmd->add_option("FILE", check_path, "Config file")->required();

  CLI::App* version_cmd = app.add_subcommand("version", "Print the version and library versions");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  auto level = parse_log_level(log_level.empty() ? "info" : log_level);
  setup_logging(level.value_or(spdlog::level::info), stderr_is_journal());

  if (*version_cmd) return version();
  if (*config_check_cmd) return config_check(check_path);
  if (*check_cmd) return run_check(check);
  if (*report_cmd) return run_report(report);
  if (*run) {
    return run_daemon(run_config,
                      log_level.empty() ? std::nullopt : std::optional<std::string>(log_level));
  }
  return 2;
}

}  // namespace faultline
