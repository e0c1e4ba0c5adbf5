#include "daemon/check_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "checks/probe_once.hpp"
#include "daemon/check_report.hpp"
#include "daemon/duration.hpp"

namespace faultline {
namespace {

int usage_error(const std::string& message) {
  std::cerr << "faultline check: " << message << "\n";
  return 2;
}

bool want_color() {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0') &&
         (term == nullptr || std::string(term) != "dumb");
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

  const ProbeResult result = probe_once(spec);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (o.json) {
    std::cout << check_json(*spec, result).dump(2) << "\n";
  } else {
    std::cout << render_check_text(*spec, result, now, want_color());
  }
  return result.ok() ? 0 : 1;
}

}  // namespace faultline
