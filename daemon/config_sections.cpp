#include "daemon/config_sections.hpp"

#include <arpa/inet.h>

#include "daemon/config_validators.hpp"
#include "daemon/logging.hpp"
#include "exporters/listen_address.hpp"

namespace faultline {
namespace {

using Ms = std::chrono::milliseconds;

constexpr std::string_view kStorageKeys[] = {"path", "retention", "record_successes"};
constexpr std::string_view kRetentionKeys[] = {"failures", "rollups"};
constexpr std::string_view kMetricsKeys[] = {"listen", "histograms", "basic_auth"};
constexpr std::string_view kBasicAuthKeys[] = {"username", "password_file"};
constexpr std::string_view kLogKeys[] = {"level"};
constexpr std::string_view kEngineKeys[] = {"max_in_flight", "trace_interval",
                                            "max_concurrent_traces"};
constexpr std::string_view kClusterKeys[] = {"shard", "shards", "vantage"};

constexpr Ms kMinRetention{3'600'000};
// Rendezvous hashing costs one hash per shard and target; far more shards than this would be a
// typo rather than a fleet.
constexpr int kMaxShards = 1000;

void read_retention(ConfigReader& r, const YAML::Node& section, RetentionConfig& out) {
  if (!r.expect_map(section, "'storage.retention'")) return;
  r.each_key(section, "storage.retention", kRetentionKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark&) {
               auto d = r.duration(v, "storage.retention." + k, kMinRetention);
               if (d && k == "failures") out.failures = *d;
               if (d && k == "rollups") out.rollups = *d;
             });
}

bool is_loopback(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return host == "::1";
}

// Stores a valid address in `m.listen`; returns whether it is a loopback address.
bool read_listen(ConfigReader& r, const YAML::Node& v, MetricsConfig& m) {
  auto s = r.non_empty(v, "listen");
  if (!s) return true;
  auto address = parse_listen_address(*s);
  if (!address) {
    r.error(v.Mark(), "'listen': " + address.error());
    return true;
  }
  if (address->ipv6) {
    // prometheus-cpp serves through civetweb, which Debian 12 builds without IPv6.
    r.error(v.Mark(),
            "'listen': IPv6 addresses cannot be served (Debian's civetweb, which "
            "prometheus-cpp uses, has no IPv6); use an IPv4 address such as "
            "127.0.0.1:9469");
    return true;
  }
  m.listen = address->to_string();
  return is_loopback(address->host);
}

// `basic_auth:`; nullopt when it has an error. "Needs both" only when one of them is absent:
// a key with a bad value has its own message.
std::optional<BasicAuthConfig> read_basic_auth(ConfigReader& r, const YAML::Node& section) {
  if (!r.expect_map(section, "'metrics.basic_auth'")) return std::nullopt;
  BasicAuthConfig auth;
  bool user_given = false, file_given = false, ok = true;
  r.each_key(section, "metrics.basic_auth", kBasicAuthKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark&) {
               if (k == "username") {
                 user_given = true;
                 auto u = r.non_empty(v, "basic_auth.username");
                 if (u) auth.username = *u;
                 ok = ok && u.has_value();
               } else {
                 file_given = true;
                 auto f = r.readable_file(v, "basic_auth.password_file");
                 auto blank = f ? blank_password_file_problem(*f) : std::nullopt;
                 if (blank) r.error(v.Mark(), "'basic_auth.password_file': " + *blank);
                 if (f && !blank) auth.password_file = *f;
                 ok = ok && f && !blank;
               }
             });
  if (!user_given || !file_given) {
    r.error(section.Mark(), "'metrics.basic_auth' needs both 'username' and 'password_file'");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return auth;
}

}  // namespace

StoragePathSource read_storage(ConfigReader& r, const YAML::Node& section, StorageConfig& out) {
  StoragePathSource source;
  if (!r.expect_map(section, "'storage'")) return source;
  r.each_key(section, "storage", kStorageKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark&) {
               if (k == "path") {
                 auto p = r.non_empty(v, "storage.path");
                 if (p) out.path = r.resolve_path(*p);
                 source = {true, p.has_value(), v.Mark()};
               } else if (k == "record_successes") {
                 if (auto b = r.boolean(v, "storage.record_successes")) out.record_successes = *b;
               } else if (k == "retention") {
                 read_retention(r, v, out.retention);
               }
             });
  return source;
}

void read_metrics(ConfigReader& r, const YAML::Node& section, MetricsConfig& out) {
  if (!r.expect_map(section, "'metrics'")) return;
  std::optional<YAML::Mark> listen_mark;
  bool listen_loopback = true, auth_given = false;
  r.each_key(section, "metrics", kMetricsKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark&) {
               if (k == "listen") {
                 listen_loopback = read_listen(r, v, out);
                 listen_mark = v.Mark();
               } else if (k == "histograms") {
                 if (auto b = r.boolean(v, "metrics.histograms")) out.histograms = *b;
               } else if (k == "basic_auth") {
                 auth_given = true;
                 out.basic_auth = read_basic_auth(r, v);
               }
             });
  if (listen_mark && !auth_given && !listen_loopback) {
    r.warn(*listen_mark,
           "metrics are served on a non-loopback address without basic_auth; "
           "anyone who can reach " +
               out.listen + " can read them");
  }
}

void read_log(ConfigReader& r, const YAML::Node& section, LogConfig& out) {
  if (!r.expect_map(section, "'log'")) return;
  r.each_key(section, "log", kLogKeys,
             [&](const std::string&, const YAML::Node& v, const YAML::Mark&) {
               auto level = r.scalar(v, "log.level");
               if (!level) return;
               if (auto problem = log_level_problem(*level)) {
                 r.error(v.Mark(), "'log.level' " + *problem);
                 return;
               }
               out.level = std::string(*canonical_log_level(*level));
             });
}

// engine.trace_interval and engine.max_concurrent_traces (path traces, issue 20).
void read_engine_traces(ConfigReader& r, const std::string& key, const YAML::Node& v,
                        EngineConfig& out) {
  if (key == "trace_interval") {
    if (auto d = r.duration(v, "engine.trace_interval", Ms(1000))) out.trace_interval = *d;
  } else if (auto n = r.integer(v, "engine.max_concurrent_traces", 0, 64)) {
    out.max_concurrent_traces = *n;
  }
}

void read_engine(ConfigReader& r, const YAML::Node& section, EngineConfig& out) {
  if (!r.expect_map(section, "'engine'")) return;
  r.each_key(section, "engine", kEngineKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark&) {
               if (k == "max_in_flight") {
                 out.max_in_flight = r.integer(v, "engine.max_in_flight", 1, 1'000'000);
               } else {
                 read_engine_traces(r, k, v, out);
               }
             });
}

void read_cluster(ConfigReader& r, const YAML::Node& section, ClusterConfig& out) {
  if (!r.expect_map(section, "'cluster'")) return;
  // Compared only when both parsed: one typo gives one error.
  std::optional<YAML::Mark> shard_mark;
  bool shards_ok = true;
  r.each_key(section, "cluster", kClusterKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark&) {
               if (k == "shard") {
                 auto n = r.integer(v, "cluster.shard", 0, kMaxShards - 1);
                 if (!n) return;
                 out.shard = *n;
                 shard_mark = v.Mark();
               } else if (k == "shards") {
                 auto n = r.integer(v, "cluster.shards", 1, kMaxShards);
                 if (n) out.shards = *n;
                 shards_ok = n.has_value();
               } else if (auto name = r.non_empty(v, "cluster.vantage")) {
                 auto problem = label_value_problem(*name, "'cluster.vantage'");
                 if (!problem) {
                   out.vantage = *name;
                   return;
                 }
                 r.error(v.Mark(), *problem +
                                       ": it becomes the value of the 'vantage' label on every "
                                       "series");
               }
             });
  if (shard_mark && shards_ok && out.shard >= out.shards) {
    r.error(*shard_mark, "'cluster.shard' is " + std::to_string(out.shard) + ", but with " +
                             std::to_string(out.shards) + " shard" + (out.shards == 1 ? "" : "s") +
                             " ('cluster.shards') it must be from 0 to " +
                             std::to_string(out.shards - 1));
    out.shard = 0;
  }
}

}  // namespace faultline
