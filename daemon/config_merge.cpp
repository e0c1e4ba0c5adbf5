#include "daemon/config_merge.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "daemon/config_validators.hpp"

namespace faultline {
namespace {

template <class T>
std::optional<T> pick(const std::optional<T>& top, const std::optional<T>& base) {
  return top ? top : base;
}

bool same_header_name(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

Labels merge_labels(const std::optional<Labels>& defaults, const std::optional<Labels>& own) {
  std::map<std::string, std::string> merged;
  if (defaults) merged.insert(defaults->begin(), defaults->end());
  if (own) {
    for (const auto& [k, v] : *own)
      merged[k] = v;
  }
  return Labels(merged.begin(), merged.end());
}

std::vector<Header> merge_headers(const std::optional<std::vector<Header>>& defaults,
                                  const std::optional<std::vector<Header>>& own) {
  std::vector<Header> out = own.value_or(std::vector<Header>{});
  if (!defaults) return out;
  for (const Header& h : *defaults) {
    const bool overridden = std::any_of(
        out.begin(), out.end(), [&](const Header& o) { return same_header_name(o.name, h.name); });
    if (!overridden) out.push_back(h);
  }
  return out;
}

}  // namespace

void merge_settings(const Settings& defaults, const Settings& own, TargetConfig& target) {
  ProbeSpec& probe = target.probe;
  target.interval = pick(own.interval, defaults.interval).value_or(target.interval);
  probe.timeout = pick(own.timeout, defaults.timeout).value_or(probe.timeout);
  target.failure_threshold = pick(own.failure_threshold, defaults.failure_threshold).value_or(2);
  target.success_threshold = pick(own.success_threshold, defaults.success_threshold).value_or(1);
  target.labels = merge_labels(defaults.labels, own.labels);
  probe.headers = merge_headers(defaults.headers, own.headers);
  probe.method = pick(own.method, defaults.method).value_or("GET");
  probe.expect_status = pick(own.expect_status, defaults.expect_status).value_or(StatusSet());
  probe.ca_file = pick(own.ca_file, defaults.ca_file).value_or("");
  probe.tls_verify = pick(own.tls_verify, defaults.tls_verify).value_or(true);
  probe.client_cert = pick(own.client_cert, defaults.client_cert).value_or("");
  probe.client_key = pick(own.client_key, defaults.client_key).value_or("");
  probe.server_name = pick(own.server_name, defaults.server_name).value_or("");
  probe.tls_min_version =
      pick(own.tls_min_version, defaults.tls_min_version).value_or(TlsMinVersion::any);
  probe.ip_family = pick(own.ip_family, defaults.ip_family).value_or(IpFamily::any);
  // A default proxy is for the kinds that can use one.
  if (proxy_applies(probe.url.scheme)) {
    probe.proxy = pick(own.proxy, defaults.proxy).value_or(std::nullopt);
  }
  // A default for every target means the http(s) ones; the others have no request to send.
  probe.reuse_connection =
      probe.url.is_http() && pick(own.reuse_connection, defaults.reuse_connection).value_or(false);
  merge_http_body_settings(defaults.http_body, own.http_body, probe);
  merge_http_auth_settings(defaults.http_auth, own.http_auth, target);
  probe.degraded_after = pick(own.degraded_after, defaults.degraded_after);
  probe.follow_redirects =
      probe.url.is_http() ? pick(own.follow_redirects, defaults.follow_redirects).value_or(0) : 0;
}

}  // namespace faultline
