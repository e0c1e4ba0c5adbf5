#include "daemon/config_http_auth.hpp"

#include "daemon/config_validators.hpp"

namespace faultline {
namespace {

constexpr std::string_view kBasicAuthKeys[] = {"username", "password_file"};

// The credential in the file `v` names; `*file` is set to the file's path.
std::optional<std::string> read_credential(ConfigReader& r, const YAML::Node& v,
                                           const std::string& key, std::string* file) {
  auto path = r.readable_file(v, key);
  if (!path) return std::nullopt;
  *file = *path;
  auto secret = credential_file(*path);
  if (!secret) {
    r.error(v.Mark(), quote(key) + ": " + secret.error());
    return std::nullopt;
  }
  return std::move(*secret);
}

std::optional<HttpAuth> read_basic_auth(ConfigReader& r, const YAML::Node& n, std::string* file) {
  if (!r.expect_map(n, "'basic_auth'")) return std::nullopt;
  HttpAuth auth;
  bool has_user = false, has_password = false, ok = true;
  r.each_key(n, "basic_auth", kBasicAuthKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark&) {
               if (k == "username") {
                 has_user = true;
                 auto name = r.scalar(v, "basic_auth.username");
                 auto problem =
                     name ? basic_auth_username_problem(*name, "'basic_auth.username'") : Problem();
                 if (problem) r.error(v.Mark(), *problem);
                 ok = ok && name && !problem;
                 if (name) auth.username = *name;
               } else {
                 has_password = true;
                 auto secret = read_credential(r, v, "basic_auth.password_file", file);
                 ok = ok && secret;
                 if (secret) auth.secret = std::move(*secret);
               }
             });
  if (!has_user || !has_password) {
    r.error(n.Mark(), "'basic_auth' needs both 'username' and 'password_file'");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return auth;
}

}  // namespace

bool is_http_auth_key(std::string_view key) {
  return key == "basic_auth" || key == "bearer_token_file";
}

void read_http_auth_setting(ConfigReader& r, const std::string& key, const YAML::Node& v,
                            const YAML::Mark& key_mark, HttpAuthSettings& s) {
  if (!s.key.empty()) {
    r.error(key_mark, "credentials are one of 'basic_auth' or 'bearer_token_file', not both");
    return;
  }
  s.key = key;
  s.mark = key_mark;
  if (key == "basic_auth") {
    s.auth = read_basic_auth(r, v, &s.file);
    if (s.auth) s.auth->kind = HttpAuth::Kind::basic;
    return;
  }
  auto token = read_credential(r, v, key, &s.file);
  if (token) s.auth = HttpAuth{HttpAuth::Kind::bearer, "", std::move(*token)};
}

void merge_http_auth_settings(const HttpAuthSettings& defaults, const HttpAuthSettings& own,
                              TargetConfig& target) {
  if (!target.probe.url.is_http()) return;
  const HttpAuthSettings& used = own.key.empty() ? defaults : own;
  target.probe.auth = used.auth;
  if (used.auth) target.credential_files = {used.file};
}

void check_http_auth_header(ConfigReader& r, const TargetConfig& target,
                            const HttpAuthSettings& own, const HttpAuthSettings& defaults) {
  const HttpAuthSettings& used = own.key.empty() ? defaults : own;
  if (!target.probe.auth || !used.mark) return;
  if (auto problem = authorization_header_problem(target.probe.headers, "'" + used.key + "'")) {
    r.error(*used.mark, "target '" + target.name + "': " + *problem);
  }
}

}  // namespace faultline
