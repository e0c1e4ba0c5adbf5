#include "daemon/cli.hpp"

#include <curl/curl.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string_view>
#include <vector>

#include "checks/printable.hpp"
#include "daemon/check_command.hpp"
#include "daemon/config_command.hpp"
#include "daemon/config_loader.hpp"
#include "daemon/did_you_mean.hpp"
#include "daemon/logging.hpp"
#include "daemon/report_command.hpp"
#include "daemon/run_command.hpp"
#include "daemon/uv_signals.hpp"

namespace faultline {
namespace {

constexpr const char* kDefaultConfig = "/etc/faultline/faultline.yaml";

int version() {
  std::cout << "faultline " << FAULTLINE_VERSION << " (libcurl " << LIBCURL_VERSION << ", libuv "
            << uv_version_string() << ", " << OPENSSL_VERSION_TEXT << ", SQLite "
            << sqlite3_libversion() << ")\n";
  return 0;
}

std::vector<std::string> command_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

// The command words of a command line ("config", "check"), and what is wrong with them.
struct CommandWords {
  std::vector<std::string> path;
  std::optional<std::string> problem;
};

// The message for a word that is not one of `level`'s commands (`word` empty: none given).
std::string command_problem(CLI::App& level, const std::vector<std::string>& path,
                            const std::string& word) {
  const std::vector<std::string> names = command_names(level);
  std::string prefix, list;
  for (const std::string& p : path)
    prefix.append(p).append(" ");
  for (const std::string& n : names)
    list.append(list.empty() ? "" : ", ").append(prefix).append(n);
  if (word.empty()) return "a command is required; commands: " + list;
  const std::vector<std::string_view> candidates(names.begin(), names.end());
  return "unknown command " + quote(prefix + word) + did_you_mean(word, candidates) +
         "; commands: " + list;
}

// Finds the command words in argv the way CLI11 will, so that an unknown one is named with the
// commands there are (CLI11 itself only says "A subcommand is required"). Options are skipped:
// only --log-level, before the command, takes a value; with --help CLI11 answers as usual.
CommandWords command_words(CLI::App& app, int argc, char** argv) {
  CommandWords out;
  CLI::App* level = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help" || arg == "--help-all") return out;
    if (level == &app && arg == "--log-level") ++i;
    if (arg.starts_with("-")) continue;
    CLI::App* sub = nullptr;
    for (CLI::App* s : level->get_subcommands([](CLI::App*) { return true; }))
      if (s->get_name() == arg) sub = s;
    if (sub == nullptr) {
      out.problem = command_problem(*level, out.path, arg);
      return out;
    }
    out.path.push_back(arg);
    level = sub;
    if (command_names(*level).empty()) return out;
  }
  out.problem = command_problem(*level, out.path, "");
  return out;
}

// The HTTP exchange options of `check` (issue 18), curl's names where curl has one.
void add_check_body_options(CLI::App& cmd, CheckOptions& check) {
  cmd.add_option_function<std::string>(
      "-d,--data", [&check](const std::string& body) { check.data = body; },
      "Send this request body (POST unless --method names another method; not GET or HEAD)");
  cmd.add_option("--expect-body", check.expect_body,
                 "The response body must match this PCRE2 regular expression");
  cmd.add_option("--reject-body", check.reject_body,
                 "The response body must not match this PCRE2 regular expression");
  cmd.add_option("--expect-json", check.expect_json,
                 "The body is JSON and PATH (dotted: checks.db.status, items.0.state) holds "
                 "VALUE, e.g. status=UP (repeatable)");
  cmd.add_option("--body-limit", check.body_limit,
                 "How much of the body is read and checked, e.g. 64KiB (the default), 1MiB");
  cmd.add_option("--degraded-after", check.degraded_after,
                 "A successful probe slower than this is slow (still ok), e.g. 500ms");
  cmd.add_flag("-L,--location", check.location,
               "Follow up to 10 redirects, each hop classified (as follow_redirects: 10)");
  cmd.add_option("-u,--user", check.user, "Basic auth user name (with --password-file)");
  cmd.add_option("--password-file", check.password_file,
                 "Basic auth password, read from this file (never from the command line)");
  cmd.add_option("--bearer-token-file", check.bearer_token_file,
                 "Send the bearer token in this file as Authorization: Bearer");
}

// How `check` connects: the TLS name and version, the address family.
void add_check_connection(CLI::App& cmd, CheckOptions& check) {
  cmd.add_option("--cert", check.cert, "Client certificate (PEM) for mutual TLS; needs --key");
  cmd.add_option("--key", check.key, "The client certificate's private key (PEM)");
  cmd.add_option("--server-name", check.server_name,
                 "TLS server name (SNI) and certificate name, when the URL holds an address or "
                 "another name");
  cmd.add_option("--tls-min", check.tls_min, "Refuse TLS versions older than this: 1.2 or 1.3");
  cmd.add_flag("-4", check.ipv4_only, "Connect to IPv4 addresses only (ip_family: ipv4)");
  cmd.add_flag("-6", check.ipv6_only, "Connect to IPv6 addresses only (ip_family: ipv6)");
  cmd.add_option("--proxy", check.proxy,
                 "Go through this proxy: http://, https://, socks5:// or socks5h://HOST:PORT "
                 "(credentials as USER:PASSWORD@ before the host)");
}

// The echo requests of icmp:// targets.
void add_check_icmp(CLI::App& cmd, CheckOptions& check) {
  cmd.add_option("--count", check.count,
                 "icmp://: echo requests to send, 1 to 100 (default 3; as count:)");
  cmd.add_option("--packet-interval", check.packet_interval,
                 "icmp://: time between two echo requests, e.g. 200ms (the default)");
  cmd.add_option("--min-replies", check.min_replies,
                 "icmp://: replies needed for ok (default 1; as min_replies:)");
}

// The path trace after the probe (issue 20).
void add_check_trace(CLI::App& cmd, CheckOptions& check) {
  auto* trace = cmd.add_flag("--trace", check.trace,
                             "Trace the path to the target's address and port whatever the "
                             "result (by default only after a connect timeout or unreachable)");
  cmd.add_flag("--no-trace", check.no_trace,
               "Do not trace the path after a connect timeout or unreachable")
      ->excludes(trace);
}

CLI::App* add_check(CLI::App& app, CheckOptions& check) {
  CLI::App* cmd = app.add_subcommand(
      "check", "Probe one target once and explain which layer failed; exit 0 ok, 1 failed");
  cmd->add_option("TARGET", check.target,
                  "http://..., https://..., tcp://host:port, tls://host:port, "
                  "dns://SERVER/NAME?type=TYPE or icmp://host")
      ->required();
  cmd->add_flag("--json", check.json,
                "Print one JSON object instead of text (on bad options: {\"error\": ...})");
  cmd->add_option("--timeout", check.timeout, "Deadline for all layers, e.g. 5s, 800ms")
      ->capture_default_str();
  cmd->add_option("--ca-file", check.ca_file,
                  "Trust this CA bundle (PEM) instead of the "
                  "system's");
  cmd->add_flag("--insecure", check.insecure, "Do not verify the TLS certificate");
  cmd->add_option("--method", check.method, "HTTP method")->capture_default_str();
  cmd->add_option("--header", check.headers,
                  "Extra request header 'Name: value' "
                  "(repeatable)");
  cmd->add_option("--expect-status", check.expect_status,
                  "Accepted status codes, e.g. 200,204 or 200-299 (default 200-399)");
  cmd->add_option("--send", check.send,
                  "tcp:// and tls://: send this after connecting (escapes \\r \\n \\t \\\\ "
                  "\\xNN), e.g. 'PING\\r\\n'");
  cmd->add_option("--expect", check.expect,
                  "tcp:// and tls://: read until this regex (PCRE2) matches the reply, e.g. "
                  "'^\\+PONG'");
  cmd->add_option("--expect-answer", check.expect_answer,
                  "dns://: a record the answer must hold, e.g. 192.0.2.1 or '10 "
                  "mail.example.com' (repeatable)");
  cmd->add_flag("--no-starttls", check.no_starttls,
                "smtp://, imap:// and pop3://: do not upgrade to TLS with STARTTLS; the "
                "greeting and capabilities in clear are the whole probe");
  cmd->add_option("--idle", check.idle,
                  "Also run the idle-connection experiment with these idle times, e.g. "
                  "10s,30s,60s: finds the idle time after which a middlebox resets (or "
                  "the server closes) connections and verifies the TCP keepalive fix. "
                  "Exit 1 when a middlebox or the server resets idle connections");
  add_check_body_options(*cmd, check);
  add_check_connection(*cmd, check);
  add_check_icmp(*cmd, check);
  add_check_trace(*cmd, check);
  return cmd;
}

CLI::App* add_report(CLI::App& app, ReportOptions& report) {
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Summarise the history: uptime per target, failures by class and phase, outages and "
      "idle-connection findings; exit 1 when the history cannot be read");
  auto* db = cmd->add_option("--db", report.db,
                             "History database, read-only (default: storage.path of --config, "
                             "else " +
                                 default_storage_path() +
                                 "); repeat it to read several (shards, vantage points) as one "
                                 "history, each row naming the files it comes from");
  cmd->add_option("-c,--config", report.config,
                  "Take the database from this config; repeat it to read several as one "
                  "history, each row naming its instances (cluster.vantage and shard, else "
                  "storage.path)")
      ->excludes(db);
  cmd->add_option("--since", report.since, "How far back, e.g. 24h, 7d, 90m")
      ->capture_default_str();
  cmd->add_option("--target", report.target, "Only this target");
  cmd->add_flag("--json", report.json, "Print one JSON object instead of text");
  return cmd;
}

CLI::App* add_config_check(CLI::App& app, std::string& path) {
  CLI::App* config = app.add_subcommand("config", "Work with config files");
  config->require_subcommand(1);
  CLI::App* cmd = config->add_subcommand("check",
                                         "Validate a config file: exit 0 when valid, 1 with every "
                                         "error on stderr");
  cmd->add_option("FILE", path, "Config file")->required();
  return cmd;
}

// `--method=` with nothing after the '=': CLI11 would take the next word (the target) as the
// value and then complain that the target is missing. No option of faultline takes an empty
// value, so the word itself is the usage error.
void refuse_empty_option_values(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--") && arg.size() > 3 && arg.back() == '=') {
      const std::string name(arg.substr(0, arg.size() - 1));
      throw CLI::ValidationError(name, "has no value after '=': write " + name + " VALUE");
    }
  }
}

// A parse error: CLI11's message on stderr, and for `check --json` also as JSON on stdout.
int parse_failed(CLI::App& app, const CLI::ParseError& e, const CommandWords& words, int argc,
                 char** argv) {
  const bool check_json = words.path == std::vector<std::string>{"check"} &&
                          std::any_of(argv + 1, argv + argc, [](const char* a) {
                            return std::string_view(a) == "--json";
                          });
  if (check_json && e.get_exit_code() != 0) std::cout << check_error_json(e.what()) << "\n";
  const int rc = app.exit(e);
  return rc == 0 ? 0 : 2;
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
                 "trace, debug, info, warn (or warning), error, critical or off (overrides "
                 "log.level)")
      ->check(CLI::Validator(
          [](std::string& name) { return log_level_problem(name).value_or(std::string()); },
          "LEVEL"));

  std::string run_config = kDefaultConfig;
  CLI::App* run = app.add_subcommand("run", "Monitor the configured targets until stopped");
  run->add_option("-c,--config", run_config, "Config file")->capture_default_str();

  CheckOptions check;
  CLI::App* check_cmd = add_check(app, check);
  ReportOptions report;
  CLI::App* report_cmd = add_report(app, report);
  std::string check_path;
  CLI::App* config_check_cmd = add_config_check(app, check_path);
  CLI::App* version_cmd = app.add_subcommand("version", "Print the version and library versions");

  const CommandWords words = command_words(app, argc, argv);
  if (words.problem) {
    std::cerr << "faultline: " << *words.problem << "\nRun with --help for more information.\n";
    return 2;
  }
  try {
    refuse_empty_option_values(argc, argv);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_failed(app, e, words, argc, argv);
  }
  // main() holds the daemon's signals from exec on; every command but `run` takes them with
  // their default action, so that a SIGTERM stops a `check` or a `report` at once.
  if (!*run) release_signals(kDaemonSignals);

  auto level = parse_log_level(log_level.empty() ? "info" : log_level);
  setup_logging(level.value_or(spdlog::level::info), stderr_is_journal());

  if (*version_cmd) return version();
  if (*config_check_cmd) return run_config_check(check_path);
  if (*check_cmd) {
    check.method_given = check_cmd->count("--method") > 0;
    return run_check(check);
  }
  if (*report_cmd) return run_report(report);
  if (*run) {
    return run_daemon(run_config,
                      log_level.empty() ? std::nullopt : std::optional<std::string>(log_level));
  }
  return 2;
}

}  // namespace faultline
