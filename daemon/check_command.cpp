#include "daemon/check_command.hpp"

#include <chrono>
#include <iostream>
#include <optional>
#include <string_view>
#include <tuple>

#include "checks/client_certificate.hpp"
#include "checks/idle_once.hpp"
#include "checks/path_trace_once.hpp"
#include "checks/path_trace_target.hpp"
#include "checks/printable.hpp"
#include "checks/probe_once.hpp"
#include "checks/utc_time.hpp"
#include "daemon/check_report.hpp"
#include "daemon/config_icmp.hpp"
#include "daemon/config_kind_keys.hpp"
#include "daemon/config_validators.hpp"
#include "daemon/duration.hpp"
#include "daemon/terminal.hpp"

namespace faultline {
namespace {

using Ms = std::chrono::milliseconds;

// What the options ask for, every value validated as the config validates it.
struct CheckPlan {
  std::shared_ptr<ProbeSpec> spec = std::make_shared<ProbeSpec>();
  std::vector<Ms> ladder;  // empty: no idle experiment
  bool trace_always = false;
  bool trace_never = false;
};

// The path trace after the probe, when the options and the result call for one and the result
// says where to (path_trace_target.hpp).
std::optional<PathTrace> trace_after(const CheckPlan& plan, const ProbeResult& result) {
  if (plan.trace_never || (!plan.trace_always && !failure_warrants_trace(result))) {
    return std::nullopt;
  }
  const std::optional<TraceTarget> target = trace_target(*plan.spec, result);
  if (!target) return std::nullopt;
  return trace_once(target->address, target->port);
}

// "Name: value", the value without the white space after the colon.
Expected<Header> parse_header(std::string_view line, const std::vector<Header>& earlier) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return unexpected("--header must look like 'Name: value' (not shown: it may hold a secret)");
  }
  Header h{std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))};
  h.value.erase(0, h.value.find_first_not_of(" \t"));
  auto problem = header_name_problem(h.name);
  if (!problem) problem = duplicate_header_problem(earlier, h.name);
  if (!problem) problem = header_value_problem(h.name, h.value);
  if (problem) return unexpected("--header: " + *problem);
  return h;
}

// "10s,30s,60s": ascending idle times of at least 1s, as idle_probe.ladder takes them.
Expected<std::vector<Ms>> parse_ladder(std::string_view text) {
  std::vector<Ms> ladder;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto step = duration_at_least(text.substr(0, comma), Ms(1000), "--idle");
    if (!step) return unexpected(step.error());
    if (!ladder.empty() && *step <= ladder.back()) {
      return unexpected("--idle must be in ascending order without repeats");
    }
    ladder.push_back(*step);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return ladder;
}

// The HTTP options: method, headers, expected status.
std::optional<std::string> read_http_options(const CheckOptions& o, ProbeSpec& spec) {
  if (auto problem = http_method_problem(o.method, "--method")) return problem;
  spec.method = o.method;
  for (const std::string& line : o.headers) {
    auto header = parse_header(line, spec.headers);
    if (!header) return header.error();
    spec.headers.push_back(*header);
  }
  if (!o.expect_status.empty()) {
    auto expect = parse_status_list(o.expect_status);
    if (!expect) return "--expect-status: " + expect.error();
    spec.expect_status = *expect;
  }
  if (!spec.url.is_http() &&
      (o.method != "GET" || !o.headers.empty() || !o.expect_status.empty())) {
    return "--method, --header and --expect-status only apply to http(s):// targets";
  }
  return std::nullopt;
}

// "PATH=VALUE" of --expect-json: the value is a JSON scalar or else a string (as in the config,
// json_scalar_text()); the path is split at its first '='.
Expected<JsonExpectation> parse_expect_json(std::string_view arg) {
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos) {
    return unexpected(
        "--expect-json must look like PATH=VALUE, e.g. status=UP or "
        "checks.db.status=UP, got " +
        quote(arg));
  }
  auto e = make_json_expectation(arg.substr(0, eq), arg.substr(eq + 1), false);
  if (!e) return unexpected("--expect-json: " + e.error());
  return *e;
}

// The request body and the assertions on the response body, as the config's body,
// expect_body, reject_body, expect_json and body_limit. --data makes a GET a POST, as curl -d.
std::optional<std::string> read_body_options(const CheckOptions& o, ProbeSpec& spec) {
  const bool any = o.data || !o.expect_body.empty() || !o.reject_body.empty() ||
                   !o.expect_json.empty() || !o.body_limit.empty();
  if (!any) return std::nullopt;
  if (!spec.url.is_http()) {
    return "--data, --expect-body, --reject-body, --expect-json and --body-limit only apply to "
           "http(s):// targets";
  }
  if (o.data) {
    if (!o.method_given && spec.method == "GET") spec.method = "POST";
    if (auto problem = request_body_problem(spec.method, o.data->size(), "--data")) return problem;
    spec.body = *o.data;
  }
  for (const auto& [text, out, flag] :
       {std::tuple{&o.expect_body, &spec.expect_body, "--expect-body"},
        std::tuple{&o.reject_body, &spec.reject_body, "--reject-body"}}) {
    if (text->empty()) continue;
    auto pattern = pattern_value(*text, flag);
    if (!pattern) return pattern.error();
    *out = *pattern;
  }
  for (const std::string& arg : o.expect_json) {
    auto e = parse_expect_json(arg);
    if (!e) return e.error();
    spec.expect_json.push_back(std::move(*e));
  }
  if (!o.body_limit.empty()) {
    auto limit = body_limit_value(o.body_limit, "--body-limit");
    if (!limit) return limit.error();
    spec.body_limit = *limit;
  }
  return std::nullopt;
}

// The options of some kinds only: --send and --expect (tcp, tls), --expect-answer (dns), and
// --idle (the kinds libcurl connects: http, https, tcp, tls).
std::optional<std::string> read_kind_options(const CheckOptions& o, ProbeSpec& spec) {
  const Scheme scheme = spec.url.scheme;
  const bool converses = scheme == Scheme::tcp || scheme == Scheme::tls;
  if ((o.send || o.expect) && !converses) {
    return "--send and --expect only apply to tcp:// and tls:// targets";
  }
  if (!o.expect_answer.empty() && scheme != Scheme::dns) {
    return "--expect-answer only applies to dns:// targets";
  }
  if (o.no_starttls && !takes_starttls(scheme)) {
    return "--no-starttls only applies to smtp://, imap:// and pop3:// targets";
  }
  spec.starttls = !o.no_starttls;
  if (!o.idle.empty() && !takes_idle_probe(scheme)) {
    return "--idle only applies to http://, https://, tcp:// and tls:// targets";
  }
  if (o.send) {
    auto bytes = send_bytes(*o.send, "--send");
    if (!bytes) return bytes.error();
    spec.send = std::move(*bytes);
  }
  if (o.expect) {
    auto pattern = pattern_value(*o.expect, "--expect", nullptr, PatternSubject::reply);
    if (!pattern) return pattern.error();
    spec.expect = std::move(*pattern);
  }
  for (const std::string& value : o.expect_answer) {
    auto normal = expect_answer_value(spec.url.dns_type, value, "--expect-answer");
    if (!normal) return normal.error();
    spec.expect_answer.push_back(std::move(*normal));
  }
  return std::nullopt;
}

// --count, --packet-interval and --min-replies (icmp://), checked as the config checks them.
std::optional<std::string> read_icmp_options(const CheckOptions& o, ProbeSpec& spec) {
  const bool any = o.count || !o.packet_interval.empty() || o.min_replies;
  if (!any) return std::nullopt;
  if (spec.url.scheme != Scheme::icmp) {
    return "--count, --packet-interval and --min-replies only apply to icmp:// targets";
  }
  const auto in_range = [](int n) { return n >= 1 && n <= kMaxIcmpCount; };
  if (o.count && !in_range(*o.count)) {
    return "--count must be a whole number from 1 to " + std::to_string(kMaxIcmpCount);
  }
  if (o.min_replies && !in_range(*o.min_replies)) {
    return "--min-replies must be a whole number from 1 to " + std::to_string(kMaxIcmpCount);
  }
  if (o.count) spec.icmp.count = *o.count;
  if (o.min_replies) spec.icmp.min_replies = *o.min_replies;
  if (!o.packet_interval.empty()) {
    auto interval = duration_at_least(o.packet_interval, kMinPacketInterval, "--packet-interval");
    if (!interval) return interval.error();
    spec.icmp.packet_interval = *interval;
  }
  return icmp_options_problem(spec.icmp, spec.timeout, "--count", "--packet-interval",
                              "--min-replies");
}

// --user with --password-file, or --bearer-token-file: the config's basic_auth and
// bearer_token_file. A credential is never shown.
std::optional<std::string> read_auth_options(const CheckOptions& o, ProbeSpec& spec) {
  if (o.user.empty() && o.password_file.empty() && o.bearer_token_file.empty()) {
    return std::nullopt;
  }
  if (!spec.url.is_http()) {
    return "--user, --password-file and --bearer-token-file only apply to http(s):// targets";
  }
  if (auto problem = authorization_header_problem(
          spec.headers, o.bearer_token_file.empty() ? "--user" : "--bearer-token-file")) {
    return problem;
  }
  if (!o.bearer_token_file.empty()) {
    if (!o.user.empty() || !o.password_file.empty()) {
      return "credentials are one of --user with --password-file, or --bearer-token-file, not "
             "both";
    }
    auto token = credential_file(o.bearer_token_file);
    if (!token) return "--bearer-token-file: " + token.error();
    spec.auth = HttpAuth{HttpAuth::Kind::bearer, "", std::move(*token)};
    return std::nullopt;
  }
  if (o.user.empty() || o.password_file.empty()) {
    return "--user and --password-file go together (basic_auth needs both)";
  }
  if (auto problem = basic_auth_username_problem(o.user, "--user")) return problem;
  auto password = credential_file(o.password_file);
  if (!password) return "--password-file: " + password.error();
  spec.auth = HttpAuth{HttpAuth::Kind::basic, o.user, std::move(*password)};
  return std::nullopt;
}

// --cert, --key, --server-name, --tls-min, -4, -6 and --proxy, through the validators the config
// uses for server_name, tls_min_version, ip_family and proxy.
Problem read_connection_options(const CheckOptions& o, ProbeSpec& spec) {
  if (!o.server_name.empty()) {
    if (auto problem = server_name_problem(o.server_name, "--server-name")) return problem;
    spec.server_name = o.server_name;
  }
  if (!o.tls_min.empty()) {
    auto version = tls_min_version_from(o.tls_min, "--tls-min");
    if (!version) return version.error();
    spec.tls_min_version = *version;
  }
  for (auto [flag, path, field] : {std::tuple{"--cert", &o.cert, &spec.client_cert},
                                   std::tuple{"--key", &o.key, &spec.client_key}}) {
    if (path->empty()) continue;
    auto file = readable_file(*path);
    if (!file) return std::string(flag) + ": " + file.error();
    *field = *file;
  }
  if (!o.cert.empty() != !o.key.empty()) return "--cert and --key go together (both or neither)";
  if (!spec.client_cert.empty()) {
    if (auto problem = client_certificate_problem(spec.client_cert, spec.client_key))
      return problem;
  }
  if (o.ipv4_only && o.ipv6_only) return "-4 and -6 exclude each other";
  spec.ip_family = o.ipv4_only ? IpFamily::ipv4 : o.ipv6_only ? IpFamily::ipv6 : IpFamily::any;
  if (auto problem = ip_family_conflict_problem(spec.url, spec.ip_family)) return problem;
  if (!o.proxy.empty()) {
    if (!proxy_applies(spec.url.scheme)) {
      return "--proxy only applies to http://, https://, tcp:// and tls:// targets";
    }
    auto proxy = proxy_setting_from(o.proxy, "--proxy");
    if (!proxy) return proxy.error();
    spec.proxy = std::move(*proxy);
  }
  if (auto problem = proxy_ip_family_problem(spec)) return problem;
  if (!spec.negotiates_tls() && (!o.server_name.empty() || !o.tls_min.empty() || !o.cert.empty()))
    return "--server-name, --tls-min, --cert and --key only apply to targets with TLS: https://, "
           "tls://, grpcs://, smtps://, imaps://, pop3s:// and smtp://, imap://, pop3:// with "
           "STARTTLS";
  return std::nullopt;
}

Expected<CheckPlan> make_plan(const CheckOptions& o) {
  CheckPlan plan;
  ProbeSpec& spec = *plan.spec;
  auto url = parse_target_url(o.target);
  if (!url) return unexpected(url.error());
  spec.url = *url;
  auto timeout = duration_at_least(o.timeout, Ms(1), "--timeout");
  if (!timeout) return unexpected(timeout.error());
  spec.timeout = *timeout;
  if (!o.ca_file.empty()) {
    auto file = readable_file(o.ca_file);
    if (!file) return unexpected("--ca-file: " + file.error());
    spec.ca_file = *file;
  }
  spec.tls_verify = !o.insecure;
  if (auto problem = read_http_options(o, spec)) return unexpected(*problem);
  if (auto problem = read_body_options(o, spec)) return unexpected(*problem);
  if (auto problem = read_auth_options(o, spec)) return unexpected(*problem);
  if (!o.degraded_after.empty()) {
    auto after = duration_at_least(o.degraded_after, Ms(1), "--degraded-after");
    if (!after) return unexpected(after.error());
    if (*after >= spec.timeout) {
      return unexpected("--degraded-after " + format_duration(*after) +
                        " must be shorter than --timeout " + format_duration(spec.timeout) +
                        ", or no probe could be slow");
    }
    spec.degraded_after = *after;
  }
  if (o.location) {
    if (!spec.url.is_http()) return unexpected("--location only applies to http(s):// targets");
    spec.follow_redirects = kMaxRedirects;
  }
  if (auto problem = read_connection_options(o, spec)) return unexpected(*problem);
  if (auto problem = read_kind_options(o, spec)) return unexpected(*problem);
  if (auto problem = read_icmp_options(o, spec)) return unexpected(*problem);
  plan.trace_always = o.trace;
  plan.trace_never = o.no_trace;
  if (!o.idle.empty()) {
    auto ladder = parse_ladder(o.idle);
    if (!ladder) return unexpected(ladder.error());
    plan.ladder = std::move(*ladder);
  }
  return plan;
}

int run_plan(const CheckPlan& plan, bool json) {
  const ProbeSpec& spec = *plan.spec;
  const ProbeResult result = probe_once(plan.spec);
  const std::optional<PathTrace> path = trace_after(plan, result);
  const PathTrace* trace = path ? &*path : nullptr;
  const std::int64_t now = unix_now_ms() / 1000;
  std::optional<IdleReport> idle;
  if (!plan.ladder.empty() && result.ok()) {
    if (!json) {
      std::cout << render_check_text(spec, result, now, want_color(), trace);
      std::cout << "\nIdle-connection experiment: up to " << format_duration(plan.ladder.back())
                << " plus bisection, keepalive check...\n"
                << std::flush;
    }
    IdleBracketOptions options;
    options.keepalive_check = true;
    idle = idle_experiment_once(plan.spec, plan.ladder, options);
  }
  if (json) {
    auto out = check_json(spec, result, trace);
    if (!plan.ladder.empty()) out["idle"] = idle ? idle_json(*idle) : nlohmann::ordered_json();
    // A server's reply and TXT records may hold any bytes: those that are not UTF-8 become
    // U+FFFD instead of failing the dump.
    std::cout << out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  } else if (idle) {
    std::cout << render_idle_text(*idle, want_color());
  } else {
    std::cout << render_check_text(spec, result, now, want_color(), trace);
  }
  const bool idle_bad = idle && (idle->finding.kind == IdleFindingKind::middlebox_reset ||
                                 idle->finding.kind == IdleFindingKind::server_reset);
  return result.ok() && !idle_bad ? 0 : 1;
}

}  // namespace

std::string check_error_json(const std::string& message) {
  return nlohmann::ordered_json{{"error", message}}.dump(2);
}

int run_check(const CheckOptions& options) {
  auto plan = make_plan(options);
  if (!plan) {
    std::cerr << "faultline check: " << plan.error() << "\n";
    if (options.json) std::cout << check_error_json(plan.error()) << "\n";
    return 2;
  }
  return run_plan(*plan, options.json);
}

}  // namespace faultline
