#include "daemon/check_command.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <string_view>

#include "checks/idle_once.hpp"
#include "checks/probe_once.hpp"
#include "daemon/check_report.hpp"
#include "daemon/duration.hpp"
#include "daemon/terminal.hpp"

namespace faultline {
namespace {

int usage_error(const std::string& message) {
  std::cerr << "faultline check: " << message << "\n";
  return 2;
}

}  // namespace

int run_check(const CheckOptions& o) {
  auto spec = std::make_shared<ProbeSpec>();
  auto url = parse_target_url(o.target);
  if (!url) return usage_error(url.error());
  spec->url = *url;

  auto timeout = parse_duration(o.timeout);
  if (!timeout) return usage_error("--timeout: " + timeout.error());
  if (timeout->count() <= 0) return usage_error("--timeout must be positive");
  spec->timeout = *timeout;

  if (!o.ca_file.empty()) {
    if (!std::ifstream(o.ca_file)) return usage_error("--ca-file: cannot read " + o.ca_file);
    spec->ca_file = o.ca_file;
  }
  spec->tls_verify = !o.insecure;
  spec->method = o.method;
  for (const std::string& h : o.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      return usage_error("--header must look like 'Name: value', not '" + h + "'");
    }
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    spec->headers.push_back({h.substr(0, colon), value});
  }
  if (!o.expect_status.empty()) {
    auto expect = parse_status_list(o.expect_status);
    if (!expect) return usage_error("--expect-status: " + expect.error());
    spec->expect_status = *expect;
  }
  if (!spec->url.is_http() &&
      (o.method != "GET" || !o.headers.empty() || !o.expect_status.empty())) {
    return usage_error("--method, --header and --expect-status only apply to http(s):// targets");
  }

  std::vector<std::chrono::milliseconds> ladder;
  if (!o.idle.empty()) {
    std::string_view rest = o.idle;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto step = parse_duration(rest.substr(0, comma));
      if (!step) return usage_error("--idle: " + step.error());
      if (step->count() < 1000) return usage_error("--idle: idle times must be at least 1s");
      if (!ladder.empty() && *step <= ladder.back()) {
        return usage_error("--idle: idle times must be in ascending order");
      }
      ladder.push_back(*step);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    if (ladder.empty()) return usage_error("--idle needs idle times, e.g. 10s,30s,60s");
  }

  const ProbeResult result = probe_once(spec);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::optional<IdleReport> idle;
  if (!ladder.empty() && result.ok()) {
    if (!o.json) {
      std::cout << render_check_text(*spec, result, now, want_color());
      std::cout << "\nIdle-connection experiment: up to " << format_duration(ladder.back())
                << " plus bisection, keepalive check...\n"
                << std::flush;
    }
    IdleBracketOptions options;
    options.keepalive_check = true;
    idle = idle_experiment_once(spec, ladder, options);
  }
  if (o.json) {
    auto out = check_json(*spec, result);
    if (!ladder.empty()) out["idle"] = idle ? idle_json(*idle) : nlohmann::ordered_json(nullptr);
    std::cout << out.dump(2) << "\n";
  } else if (idle) {
    std::cout << render_idle_text(*idle, want_color());
  } else {
    std::cout << render_check_text(*spec, result, now, want_color());
  }
  const bool idle_bad = idle && (idle->finding.kind == IdleFindingKind::middlebox_reset ||
                                 idle->finding.kind == IdleFindingKind::server_reset);
  return result.ok() && !idle_bad ? 0 : 1;
}

}  // namespace faultline
