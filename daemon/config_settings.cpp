#include "daemon/config_settings.hpp"

#include <map>
#include <set>

#include "daemon/config_validators.hpp"

namespace faultline {
namespace {

using Ms = std::chrono::milliseconds;

constexpr std::string_view kDefaultsKeys[] = {
    "interval", "timeout", "failure_threshold", "success_threshold", "method", "headers",
    "expect_status", "labels", "ca_file", "tls_verify", "reuse_connection",
    // How a probe connects: the TLS name, version and client certificate, the address family.
    "server_name", "tls_min_version", "ip_family", "client_cert", "client_key",
    // The response body's assertions (config_http_body.hpp); a request body is a target's own.
    "expect_body", "reject_body", "expect_json", "body_limit",
    // Credentials (config_http_auth.hpp).
    "basic_auth", "bearer_token_file",
    // Redirects followed, each a hop of its own (checks/redirect_hop.hpp).
    "follow_redirects",
    // A successful probe slower than this is slow (still up).
    "degraded_after",
    // Where every connection goes first (checks/proxy_url.hpp).
    "proxy"};

constexpr Ms kMinInterval{100};

std::optional<StatusSet> read_status_set(ConfigReader& r, const YAML::Node& n) {
  std::vector<std::pair<int, int>> ranges;
  bool ok = true;
  auto add = [&](const YAML::Node& item) {
    if (!item.IsScalar()) {
      r.error(item.Mark(),
              "'expect_status' items must be codes or ranges like 200-299, not " + node_kind(item));
      ok = false;
      return;
    }
    auto parsed = parse_status_list(item.Scalar());
    if (!parsed) {
      r.error(item.Mark(), "'expect_status': " + parsed.error());
      ok = false;
      return;
    }
    ranges.insert(ranges.end(), parsed->ranges().begin(), parsed->ranges().end());
  };
  if (n.IsSequence()) {
    for (const auto& item : n)
      add(item);
    if (ok && ranges.empty()) {
      r.error(n.Mark(), "'expect_status' must list at least one code");
      ok = false;
    }
  } else {
    add(n);
  }
  if (!ok) return std::nullopt;
  return StatusSet(std::move(ranges));
}

// One `labels:` entry into `out`; false when it is not valid.
bool read_label(ConfigReader& r, const YAML::Node& key, const YAML::Node& value,
                std::map<std::string, std::string>& out) {
  const std::string name = key.IsScalar() ? key.Scalar() : std::string();
  if (auto problem = label_name_problem(name)) {
    r.error(key.Mark(), *problem);
    return false;
  }
  if (out.count(name)) {
    r.error(key.Mark(), "duplicate label " + quote(name));
    return false;
  }
  auto text = r.scalar(value, "labels." + name);
  if (!text) return false;
  if (auto problem = label_value_problem(*text, quote("labels." + name))) {
    r.error(value.Mark(), *problem);
    return false;
  }
  out[name] = *text;
  return true;
}

std::optional<Labels> read_labels(ConfigReader& r, const YAML::Node& n) {
  if (!r.expect_map(n, "'labels'")) return std::nullopt;
  std::map<std::string, std::string> out;
  bool ok = true;
  for (auto it = n.begin(); it != n.end(); ++it)
    ok = read_label(r, it->first, it->second, out) && ok;
  if (!ok) return std::nullopt;
  return Labels(out.begin(), out.end());
}

// One `headers:` entry onto `out`; false when it is not valid.
bool read_header(ConfigReader& r, const YAML::Node& key, const YAML::Node& value,
                 std::vector<Header>& out) {
  const std::string name = key.IsScalar() ? key.Scalar() : std::string();
  if (name.find(':') != std::string::npos) {
    r.error(key.Mark(),
            "a header name may not contain ':'; write each header as Name: value inside the "
            "mapping (not shown: it may hold a secret)");
    return false;
  }
  if (auto problem = header_name_problem(name)) {
    r.error(key.Mark(), *problem);
    return false;
  }
  if (auto problem = duplicate_header_problem(out, name)) {
    r.error(key.Mark(), *problem);
    return false;
  }
  auto text = r.scalar(value, "headers." + name);
  if (!text) return false;
  if (auto problem = header_value_problem(name, *text)) {
    r.error(value.Mark(), *problem);
    return false;
  }
  out.push_back({name, *text});
  return true;
}

std::optional<std::vector<Header>> read_headers(ConfigReader& r, const YAML::Node& n) {
  if (!n.IsMap()) {
    // node_kind() would quote a single value, and "Authorization: Bearer ..." written as one
    // line is the likeliest mistake here.
    r.error(n.Mark(),
            "'headers' must be a mapping of header names to values, such as "
            "{Authorization: \"Bearer ...\"}, not " +
                (n.IsScalar() ? std::string("a single value (not shown: it may hold a secret)")
                              : node_kind(n)));
    return std::nullopt;
  }
  std::vector<Header> out;
  bool ok = true;
  for (auto it = n.begin(); it != n.end(); ++it)
    ok = read_header(r, it->first, it->second, out) && ok;
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> read_method(ConfigReader& r, const YAML::Node& n) {
  auto m = r.scalar(n, "method");
  if (!m) return std::nullopt;
  if (auto problem = http_method_problem(*m, "'method'")) {
    r.error(n.Mark(), *problem);
    return std::nullopt;
  }
  return m;
}

// server_name, tls_min_version, ip_family: how the connection is made.
void read_connection_setting(ConfigReader& r, const std::string& key, const YAML::Node& v,
                             Settings& s) {
  auto text = r.scalar(v, key);
  if (!text) return;
  const std::string subject = "'" + key + "'";
  if (key == "server_name") {
    if (auto problem = server_name_problem(*text, subject)) {
      r.error(v.Mark(), *problem);
    } else {
      s.server_name = *text;
    }
  } else if (key == "tls_min_version") {
    auto version = tls_min_version_from(*text, subject);
    if (version)
      s.tls_min_version = *version;
    else
      r.error(v.Mark(), version.error());
  } else if (key == "ip_family") {
    auto family = ip_family_from(*text, subject);
    if (family)
      s.ip_family = *family;
    else
      r.error(v.Mark(), family.error());
    s.ip_family_mark = r.placed(v.Mark());
  }
}

void read_proxy_setting(ConfigReader& r, const YAML::Node& v, Settings& s) {
  auto text = r.non_empty(v, "proxy");
  if (!text) return;
  auto proxy = proxy_setting_from(*text, "'proxy'");
  if (proxy) {
    s.proxy = std::move(*proxy);
  } else {
    r.error(v.Mark(), proxy.error());
  }
}

// Remembers where a key that applies to some kinds of target only was written.
void note_scope(const std::string& key, const YAML::Mark& key_mark, Settings& s) {
  if (key == "method" || key == "headers" || key == "expect_status" || key == "reuse_connection" ||
      is_http_body_key(key) || is_http_auth_key(key) || key == "follow_redirects") {
    s.http_only_mark = key_mark;
    s.http_only_key = key;
  } else if (key == "ca_file" || key == "tls_verify" || key == "server_name" ||
             key == "tls_min_version" || key == "client_cert" || key == "client_key") {
    s.tls_only_mark = key_mark;
    s.tls_only_key = key;
  }
}

}  // namespace

void read_setting(ConfigReader& r, const std::string& key, const YAML::Node& v,
                  const YAML::Mark& key_mark, Settings& s) {
  if (key == "interval") {
    s.interval = r.duration(v, key, kMinInterval);
    s.interval_mark = r.placed(v.Mark());
  } else if (key == "timeout") {
    s.timeout = r.duration(v, key, Ms(1));
    s.timeout_mark = r.placed(v.Mark());
  } else if (key == "failure_threshold") {
    s.failure_threshold = r.integer(v, key, 1, 1000);
  } else if (key == "success_threshold") {
    s.success_threshold = r.integer(v, key, 1, 1000);
  } else if (key == "method") {
    s.method = read_method(r, v);
  } else if (key == "headers") {
    s.headers = read_headers(r, v);
  } else if (key == "expect_status") {
    s.expect_status = read_status_set(r, v);
  } else if (key == "labels") {
    s.labels = read_labels(r, v);
  } else if (key == "ca_file") {
    s.ca_file = r.readable_file(v, key);
  } else if (key == "tls_verify") {
    s.tls_verify = r.boolean(v, key);
  } else if (key == "reuse_connection") {
    s.reuse_connection = r.boolean(v, key);
  } else if (is_http_body_key(key)) {
    read_http_body_setting(r, key, v, key_mark, s.http_body);
  } else if (key == "degraded_after") {
    s.degraded_after = r.duration(v, key, Ms(1));
    s.degraded_after_mark = r.placed(v.Mark());
  } else if (key == "follow_redirects") {
    s.follow_redirects = r.integer(v, key, 0, kMaxRedirects);
  } else if (is_http_auth_key(key)) {
    read_http_auth_setting(r, key, v, key_mark, s.http_auth);
  } else if (key == "client_cert") {
    s.client_cert = r.readable_file(v, key);
    s.client_cert_mark = key_mark;
  } else if (key == "client_key") {
    s.client_key = r.readable_file(v, key);
    s.client_key_mark = key_mark;
  } else if (key == "server_name" || key == "tls_min_version" || key == "ip_family") {
    read_connection_setting(r, key, v, s);
  } else if (key == "proxy") {
    read_proxy_setting(r, v, s);
    s.proxy_mark = key_mark;
  }
  note_scope(key, key_mark, s);
}

Settings read_defaults(ConfigReader& r, const YAML::Node& section) {
  Settings defaults;
  if (!r.expect_map(section, "'defaults'")) return defaults;
  r.each_key(section, "defaults", kDefaultsKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark& key_mark) {
               read_setting(r, k, v, key_mark, defaults);
             });
  return defaults;
}

}  // namespace faultline
