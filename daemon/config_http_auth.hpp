// The credentials of `defaults:` and targets (issue 18): basic_auth {username, password_file}
// and bearer_token_file, read from their files at load and at every reload. A credential is
// never shown in a message; the config holds only where it is.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>

#include "checks/probe_spec.hpp"
#include "daemon/config.hpp"
#include "daemon/config_reader.hpp"

namespace faultline {

// Set when basic_auth or bearer_token_file was written and valid (`mark`, `key`: where and
// which, also when it was not valid).
struct HttpAuthSettings {
  std::optional<HttpAuth> auth;
  std::optional<YAML::Mark> mark;
  std::string key;
  std::string file;  // the file the credential was read from
};

// Whether `key` is basic_auth or bearer_token_file (both apply to http(s) targets only).
bool is_http_auth_key(std::string_view key);

// Reads one of them into `s`; the two exclude each other.
void read_http_auth_setting(ConfigReader& r, const std::string& key, const YAML::Node& v,
                            const YAML::Mark& key_mark, HttpAuthSettings& s);

// The probe's credentials (and target.credential_files) from `own`, else from `defaults`
// (http(s) targets only).
void merge_http_auth_settings(const HttpAuthSettings& defaults, const HttpAuthSettings& own,
                              TargetConfig& target);

// After merging: credentials and an Authorization header of the target's own are an error at
// the credentials' key (both would set the same header).
void check_http_auth_header(ConfigReader& r, const TargetConfig& target,
                            const HttpAuthSettings& own, const HttpAuthSettings& defaults);

}  // namespace faultline
