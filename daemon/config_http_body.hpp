// The HTTP exchange keys of `defaults:` and targets (issue 18): the request body (body,
// body_file) and the assertions on the response body (expect_body, reject_body, expect_json,
// body_limit), read from YAML before they are merged. The rules for the values are shared with
// `faultline check` (config_validators.hpp).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/json_expectation.hpp"
#include "checks/pattern.hpp"
#include "checks/probe_spec.hpp"
#include "daemon/config.hpp"
#include "daemon/config_reader.hpp"

namespace faultline {

// Each field is set when its key was written and valid.
struct HttpBodySettings {
  std::optional<std::string> body;      // the text of body:, or the content of body_file:
  std::optional<YAML::Mark> body_mark;  // where body or body_file was written
  std::string body_key;                 // which of the two
  std::optional<Pattern> expect_body, reject_body;
  std::optional<std::vector<JsonExpectation>> expect_json;
  std::optional<std::size_t> body_limit;
};

// Whether `key` is one of the keys above (all of them apply to http(s) targets only).
bool is_http_body_key(std::string_view key);

// Reads one of those keys into `s`. body and body_file exclude each other; body_file is read
// now (at load and at every reload), at most kMaxRequestBody bytes.
void read_http_body_setting(ConfigReader& r, const std::string& key, const YAML::Node& v,
                            const YAML::Mark& key_mark, HttpBodySettings& s);

// Sets the probe's body, assertions and body_limit from `own`, else from `defaults` (the
// request body is a target's own only), else the documented defaults (no body, no assertions,
// 64 KiB). Targets other than http(s) keep the defaults.
void merge_http_body_settings(const HttpBodySettings& defaults, const HttpBodySettings& own,
                              ProbeSpec& probe);

// After merging: a body with the target's method GET or HEAD, or one that is too large, is an
// error at the body's key.
void check_http_body_method(ConfigReader& r, const TargetConfig& target,
                            const HttpBodySettings& own);

}  // namespace faultline
