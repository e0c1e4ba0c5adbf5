// The settings `defaults:` and each target may both carry (interval, timeout, thresholds, the
// HTTP and TLS options, labels), read from YAML before they are merged (config_merge.hpp).
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/probe_spec.hpp"
#include "daemon/config_http_auth.hpp"
#include "daemon/config_http_body.hpp"
#include "daemon/config_reader.hpp"
#include "sinks/target_info.hpp"

namespace faultline {

// Each field is set when its key was written and valid.
struct Settings {
  std::optional<std::chrono::milliseconds> interval, timeout;
  std::optional<YAML::Mark> interval_mark, timeout_mark;
  std::optional<int> failure_threshold, success_threshold;
  std::optional<std::string> method;
  std::optional<std::vector<Header>> headers;
  std::optional<StatusSet> expect_status;
  std::optional<Labels> labels;
  std::optional<std::string> ca_file;
  std::optional<bool> tls_verify;
  std::optional<bool> reuse_connection;
  std::optional<int> follow_redirects;
  std::optional<std::chrono::milliseconds> degraded_after;  // a slower ok probe is slow
  std::optional<YAML::Mark> degraded_after_mark;
  HttpAuthSettings http_auth;  // basic_auth, bearer_token_file
  HttpBodySettings http_body;  // body, body_file, expect_body, reject_body, expect_json, body_limit
  std::optional<std::string> client_cert, client_key;
  std::optional<YAML::Mark> client_cert_mark, client_key_mark;
  std::optional<std::string> server_name;
  std::optional<TlsMinVersion> tls_min_version;
  std::optional<IpFamily> ip_family;
  std::optional<YAML::Mark> ip_family_mark;
  // Written: a proxy, or none (`proxy: none`, a target's way out of a default proxy).
  std::optional<std::optional<ProxyUrl>> proxy;
  std::optional<YAML::Mark> proxy_mark;
  // Keys that only mean something for some kinds of target, with where they were written.
  std::optional<YAML::Mark> http_only_mark, tls_only_mark;
  std::string http_only_key, tls_only_key;
};

// Reads one setting: `key` must be one of those `defaults:` allows (kDefaultsKeys).
void read_setting(ConfigReader& r, const std::string& key, const YAML::Node& value,
                  const YAML::Mark& key_mark, Settings& s);

// Reads the `defaults:` section.
Settings read_defaults(ConfigReader& r, const YAML::Node& section);

}  // namespace faultline
