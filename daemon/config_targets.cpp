#include "daemon/config_targets.hpp"

#include <map>

#include "checks/client_certificate.hpp"
#include "daemon/config_kind_keys.hpp"
#include "daemon/config_merge.hpp"
#include "daemon/config_validators.hpp"
#include "daemon/duration.hpp"

namespace faultline {
namespace {

using Ms = std::chrono::milliseconds;

// Settings a target may carry: those of `defaults:` plus name, url and idle_probe.
constexpr std::string_view kTargetKeys[] = {"name",
                                            "url",
                                            "interval",
                                            "timeout",
                                            "failure_threshold",
                                            "success_threshold",
                                            "method",
                                            "headers",
                                            "expect_status",
                                            "labels",
                                            "ca_file",
                                            "tls_verify",
                                            "idle_probe",
                                            "reuse_connection",
                                            "body",
                                            "body_file",
                                            "expect_body",
                                            "reject_body",
                                            "expect_json",
                                            "body_limit",
                                            "basic_auth",
                                            "bearer_token_file",
                                            "follow_redirects",
                                            "degraded_after",
                                            "server_name",
                                            "tls_min_version",
                                            "ip_family",
                                            "client_cert",
                                            "client_key",
                                            "proxy",
                                            "send",
                                            "expect",
                                            "count",
                                            "packet_interval",
                                            "min_replies",
                                            "starttls"};
constexpr std::string_view kIdleProbeKeys[] = {"ladder", "keepalive_check"};
constexpr Ms kMinIdleStep{1000};

// The 0-based line where each name was first used, for the message about a second use.
using NamesSeen = std::map<std::string, int>;

// A target as written, before merging.
struct TargetEntry {
  std::optional<std::string> name;
  std::optional<TargetUrl> url;
  bool has_url = false;
  bool idle_ok = true;
  std::optional<YAML::Mark> idle_mark;
  std::vector<KindKey> kind_keys;  // read once the URL is known
  Settings own;
};

bool read_ladder(ConfigReader& r, const YAML::Node& v, IdleProbeConfig& out) {
  if (!v.IsSequence() || v.size() == 0) {
    r.error(v.Mark(), "'idle_probe.ladder' must be a list of idle times, e.g. [30s, 2m, 5m]");
    return false;
  }
  bool ok = true;
  for (const auto& step : v) {
    auto d = r.duration(step, "idle_probe.ladder", kMinIdleStep);
    if (!d) {
      ok = false;
      continue;
    }
    if (!out.ladder.empty() && *d <= out.ladder.back()) {
      r.error(step.Mark(), "'idle_probe.ladder' must be in ascending order without repeats");
      ok = false;
      continue;
    }
    out.ladder.push_back(*d);
  }
  return ok;
}

std::optional<IdleProbeConfig> read_idle_probe(ConfigReader& r, const YAML::Node& n) {
  if (!r.expect_map(n, "'idle_probe'")) return std::nullopt;
  IdleProbeConfig out;
  bool ok = true;
  bool has_ladder = false;
  r.each_key(n, "idle_probe", kIdleProbeKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark&) {
               if (k == "ladder") {
                 has_ladder = true;
                 ok = read_ladder(r, v, out) && ok;
               } else if (k == "keepalive_check") {
                 auto b = r.boolean(v, "idle_probe.keepalive_check");
                 if (b) out.keepalive_check = *b;
                 ok = ok && b.has_value();
               }
             });
  if (!has_ladder) {
    r.error(n.Mark(), "'idle_probe' needs a 'ladder' of idle times, e.g. [30s, 2m, 5m]");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> read_name(ConfigReader& r, const YAML::Node& v, NamesSeen& names) {
  auto name = r.non_empty(v, "name");
  if (!name) return std::nullopt;
  if (auto problem = target_name_problem(*name)) {
    r.error(v.Mark(), *problem);
    return std::nullopt;
  }
  auto [it, fresh] = names.emplace(*name, r.placed(v.Mark()).line);
  if (!fresh) {
    r.error(v.Mark(), "duplicate target name " + quote(*name) + " (first used at line " +
                          std::to_string(it->second + 1) + ")");
    return std::nullopt;
  }
  return name;
}

std::optional<TargetUrl> read_url(ConfigReader& r, const YAML::Node& v) {
  auto text = r.non_empty(v, "url");
  if (!text) return std::nullopt;
  auto parsed = parse_target_url(*text);
  if (!parsed) {
    r.error(v.Mark(), "'url': " + parsed.error());
    return std::nullopt;
  }
  return *parsed;
}

// The settings that cannot be judged one by one: timeout against interval, and keys that do
// not apply to the target's kind.
void check_consistency(ConfigReader& r, const TargetConfig& target, const Settings& own,
                       const YAML::Mark& entry) {
  const TargetUrl& url = target.probe.url;
  if (target.probe.timeout >= target.interval) {
    const YAML::Mark where = own.timeout_mark    ? *own.timeout_mark
                             : own.interval_mark ? *own.interval_mark
                                                 : entry;
    r.error(where, "target '" + target.name + "': timeout " +
                       format_duration(target.probe.timeout) +
                       " must be shorter than its interval " + format_duration(target.interval));
  }
  const std::string scheme(to_string(url.scheme));
  if (!url.is_http() && own.http_only_mark) {
    r.error(*own.http_only_mark, "'" + own.http_only_key +
                                     "' only applies to http:// and https:// targets, and '" +
                                     target.name + "' is " + scheme + "://");
  }
  if (auto problem = ip_family_conflict_problem(url, target.probe.ip_family)) {
    r.error(own.ip_family_mark ? *own.ip_family_mark : entry,
            "target '" + target.name + "': " + *problem);
  }
  if (own.proxy && *own.proxy && !proxy_applies(url.scheme)) {
    r.error(*own.proxy_mark,
            "'proxy' only applies to http://, https://, tcp:// and tls:// "
            "targets, and '" +
                target.name + "' is " + scheme + "://");
  }
  if (auto problem = proxy_ip_family_problem(target.probe)) {
    r.error(own.ip_family_mark ? *own.ip_family_mark : entry,
            "target '" + target.name + "': " + *problem);
  }
  // A file that could not be read has its own error already.
  const bool unreadable =
      (own.client_cert_mark && !own.client_cert) || (own.client_key_mark && !own.client_key);
  auto problem = client_pair_problem(target.probe.client_cert, target.probe.client_key);
  if (!problem && !unreadable && !target.probe.client_cert.empty()) {
    problem = client_certificate_problem(target.probe.client_cert, target.probe.client_key);
  }
  if (problem && !unreadable) {
    const std::optional<YAML::Mark>& where =
        own.client_cert_mark ? own.client_cert_mark : own.client_key_mark;
    r.error(where ? *where : entry, "target '" + target.name + "': " + *problem);
  }
  if (!target.probe.negotiates_tls() && own.tls_only_mark) {
    r.warn(*own.tls_only_mark, "'" + own.tls_only_key + "' has no effect on " + scheme +
                                   ":// target '" + target.name + "'");
  }
}

// degraded_after at or over the timeout could never mark a probe slow: a slower one times out.
void check_degraded_after(ConfigReader& r, const TargetConfig& target, const Settings& own,
                          const Settings& defaults, const YAML::Mark& entry) {
  const auto& after = target.probe.degraded_after;
  if (!after || *after < target.probe.timeout) return;
  const YAML::Mark where = own.degraded_after_mark        ? *own.degraded_after_mark
                           : defaults.degraded_after_mark ? *defaults.degraded_after_mark
                                                          : entry;
  r.error(where, "target '" + target.name + "': degraded_after " + format_duration(*after) +
                     " must be shorter than its timeout " + format_duration(target.probe.timeout) +
                     ", or no probe could be slow");
}

TargetEntry read_entry(ConfigReader& r, const YAML::Node& t, NamesSeen& names,
                       TargetConfig& target) {
  TargetEntry e;
  r.each_key(t, "target", kTargetKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark& key_mark) {
               if (k == "name") {
                 e.name = read_name(r, v, names);
               } else if (k == "url") {
                 e.has_url = true;
                 e.url = read_url(r, v);
               } else if (k == "idle_probe") {
                 target.idle_probe = read_idle_probe(r, v);
                 e.idle_ok = target.idle_probe.has_value();
                 e.idle_mark = key_mark;
               } else if (is_kind_key(k)) {
                 e.kind_keys.push_back({k, v, key_mark});
               } else {
                 read_setting(r, k, v, key_mark, e.own);
               }
             });
  if (!e.name && !t["name"]) r.error(t.Mark(), "target has no 'name'");
  if (!e.has_url) {
    r.error(t.Mark(), "target " + (e.name ? quote(*e.name) + " " : std::string()) + "has no 'url'");
  }
  return e;
}

}  // namespace

TargetListReader::TargetListReader(ConfigReader& r, const Settings& defaults, TargetList& out,
                                   const ReusableTargets* reuse)
    : r_(r), defaults_(defaults), out_(out), reuse_(reuse) {}

void TargetListReader::read(const YAML::Node& t) {
  ConfigReader& r = r_;
  if (!r.expect_map(t, "each target")) return;
  TargetConfig target;
  const YAML::Mark at = r.placed(t.Mark());
  target.pos = {at.line + 1, at.column + 1};
  TargetEntry e = read_entry(r, t, names_, target);
  if (!e.name || !e.url || !e.idle_ok) return;
  target.name = *e.name;
  target.probe.url = *e.url;
  merge_settings(defaults_, e.own, target);
  check_consistency(r, target, e.own, t.Mark());
  check_http_body_method(r, target, e.own.http_body);
  check_http_auth_header(r, target, e.own.http_auth, defaults_.http_auth);
  check_degraded_after(r, target, e.own, defaults_, t.Mark());
  read_kind_keys(r, e.kind_keys, target.name, target.probe);
  if (target.idle_probe && !takes_idle_probe(target.probe.url.scheme)) {
    r.error(*e.idle_mark,
            "'idle_probe' only applies to http://, https://, tcp:// and tls:// "
            "targets, and '" +
                target.name + "' is " + std::string(to_string(target.probe.url.scheme)) + "://");
  }
  if (reuse_ != nullptr) {
    auto running = reuse_->find(target.name);
    if (running != reuse_->end() && *running->second == target) {
      out_.push_back(running->second);
      return;
    }
  }
  out_.push_back(std::move(target));
}

void read_targets(ConfigReader& r, const YAML::Node& list, const Settings& defaults,
                  TargetList& out, const ReusableTargets* reuse) {
  if (list.IsNull()) return;
  if (!list.IsSequence()) {
    r.error(list.Mark(), "'targets' must be a list of targets, not " + node_kind(list));
    return;
  }
  TargetListReader reader(r, defaults, out, reuse);
  for (const auto& t : list)
    reader.read(t);
}

}  // namespace faultline
