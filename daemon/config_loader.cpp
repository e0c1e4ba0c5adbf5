#include "daemon/config_loader.hpp"

#include <arpa/inet.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <span>
#include <sstream>
#include <tuple>

#include "daemon/duration.hpp"
#include "exporters/listen_address.hpp"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using Ms = std::chrono::milliseconds;
using Keys = std::span<const std::string_view>;

constexpr std::string_view kTopKeys[] = {"defaults", "storage", "metrics", "log",
                                         "engine",   "cluster", "targets"};
// Settings a target may carry; `defaults:` takes the same minus name, url and idle_probe.
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
                                            "reuse_connection"};
constexpr std::string_view kDefaultsKeys[] = {
    "interval", "timeout",    "failure_threshold", "success_threshold",
    "method",   "headers",    "expect_status",     "labels",
    "ca_file",  "tls_verify", "reuse_connection"};
constexpr std::string_view kStorageKeys[] = {"path", "retention", "record_successes"};
constexpr std::string_view kRetentionKeys[] = {"failures", "rollups"};
constexpr std::string_view kMetricsKeys[] = {"listen", "histograms", "basic_auth"};
constexpr std::string_view kBasicAuthKeys[] = {"username", "password_file"};
constexpr std::string_view kLogKeys[] = {"level"};
constexpr std::string_view kEngineKeys[] = {"max_in_flight"};
constexpr std::string_view kClusterKeys[] = {"shard", "shards", "vantage"};
constexpr std::string_view kIdleProbeKeys[] = {"ladder", "keepalive_check"};
constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};
// Label names faultline itself puts on series; a target label of the same name would clash.
constexpr std::string_view kReservedLabels[] = {"target", "class", "phase", "le", "vantage"};

constexpr Ms kMinInterval{100};
// Rendezvous hashing costs one hash per shard and target; far more shards than this would be a
// typo rather than a fleet.
constexpr int kMaxShards = 1000;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(std::string_view word, Keys candidates) {
  std::string_view best;
  std::size_t best_distance = std::max<std::size_t>(1, std::min<std::size_t>(3, word.size() / 3));
  for (std::string_view c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d <= best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + std::string(best) + "'?)";
}

bool is_valid_target_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool is_valid_label_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_http_token(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string node_kind(const YAML::Node& n) {
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  if (n.IsNull()) return "nothing";
  return "'" + n.Scalar() + "'";
}

// Settings that may come from `defaults:` or from a target, before they are merged.
struct Settings {
  std::optional<Ms> interval, timeout;
  std::optional<YAML::Mark> interval_mark, timeout_mark;
  std::optional<int> failure_threshold, success_threshold;
  std::optional<std::string> method;
  std::optional<std::vector<Header>> headers;
  std::optional<StatusSet> expect_status;
  std::optional<Labels> labels;
  std::optional<std::string> ca_file;
  std::optional<bool> tls_verify;
  std::optional<bool> reuse_connection;
  // Keys that only mean something for some kinds of target, with where they were written.
  std::optional<YAML::Mark> http_only_mark, tls_only_mark;
  std::string http_only_key, tls_only_key;
};

class Checker {
 public:
  Checker(std::string file, fs::path base) : file_(std::move(file)), base_(std::move(base)) {}

  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;

  void error(const YAML::Mark& m, std::string message) {
    errors.push_back(make(m, std::move(message)));
  }
  void warn(const YAML::Mark& m, std::string message) {
    warnings.push_back(make(m, std::move(message)));
  }

  bool expect_map(const YAML::Node& n, std::string_view what) {
    if (n.IsMap()) return true;
    error(n.Mark(),
          std::string(what) + " must be a mapping of keys to values, not " + node_kind(n));
    return false;
  }

  // Calls fn(key, value) for each allowed key of a mapping; reports unknown and repeated keys.
  template <class Fn>
  void each_key(const YAML::Node& map, std::string_view where, Keys allowed, Fn fn) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // A copy: yaml-cpp iterators hand out a temporary pair.
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        error(key.Mark(), "keys in " + std::string(where) + " must be plain words");
        continue;
      }
      const std::string& k = key.Scalar();
      if (!seen.insert(k).second) {
        error(key.Mark(), "duplicate key '" + k + "' in " + std::string(where));
        continue;
      }
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        error(key.Mark(),
              "unknown key '" + k + "' in " + std::string(where) + did_you_mean(k, allowed));
        continue;
      }
      fn(k, it->second, key.Mark());
    }
  }

  std::optional<std::string> scalar(const YAML::Node& n, std::string_view key) {
    if (n.IsScalar()) return n.Scalar();
    error(n.Mark(), "'" + std::string(key) + "' must be a single value, not " + node_kind(n));
    return std::nullopt;
  }

  std::optional<std::string> non_empty(const YAML::Node& n, std::string_view key) {
    auto s = scalar(n, key);
    if (s && s->empty()) {
      error(n.Mark(), "'" + std::string(key) + "' must not be empty");
      return std::nullopt;
    }
    return s;
  }

  std::optional<Ms> duration(const YAML::Node& n, std::string_view key) {
    auto s = scalar(n, key);
    if (!s) return std::nullopt;
    auto d = parse_duration(*s);
    if (!d) {
      error(n.Mark(), "'" + std::string(key) + "': " + d.error());
      return std::nullopt;
    }
    return *d;
  }

  std::optional<Ms> positive_duration(const YAML::Node& n, std::string_view key, Ms minimum) {
    auto d = duration(n, key);
    if (d && *d < minimum) {
      error(n.Mark(), "'" + std::string(key) + "' must be at least " + format_duration(minimum) +
                          ", got " + format_duration(*d));
      return std::nullopt;
    }
    return d;
  }

  std::optional<bool> boolean(const YAML::Node& n, std::string_view key) {
    auto s = scalar(n, key);
    if (!s) return std::nullopt;
    std::string v = lower(*s);
    if (v == "true") return true;
    if (v == "false") return false;
    error(n.Mark(), "'" + std::string(key) + "' must be true or false, not '" + *s + "'");
    return std::nullopt;
  }

  std::optional<int> integer(const YAML::Node& n, std::string_view key, int lo, int hi) {
    auto s = scalar(n, key);
    if (!s) return std::nullopt;
    long value = 0;
    bool digits = !s->empty() &&
                  std::all_of(s->begin(), s->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits && s->size() <= 9) value = std::stol(*s);
    if (!digits || s->size() > 9 || value < lo || value > hi) {
      error(n.Mark(), "'" + std::string(key) + "' must be a whole number from " +
                          std::to_string(lo) + " to " + std::to_string(hi) + ", not '" + *s + "'");
      return std::nullopt;
    }
    return static_cast<int>(value);
  }

  std::string resolve_path(const std::string& p) const {
    fs::path path(p);
    if (path.is_relative()) path = base_ / path;
    return path.lexically_normal().string();
  }

  std::optional<std::string> readable_file(const YAML::Node& n, std::string_view key) {
    auto s = non_empty(n, key);
    if (!s) return std::nullopt;
    std::string path = resolve_path(*s);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      error(n.Mark(), "'" + std::string(key) + "': " + path + " is a directory, not a file");
      return std::nullopt;
    }
    std::ifstream probe(path);
    if (!probe) {
      error(n.Mark(),
            "'" + std::string(key) + "': cannot read " + path + ": " + std::strerror(errno));
      return std::nullopt;
    }
    return path;
  }

  std::optional<StatusSet> status_set(const YAML::Node& n) {
    std::vector<std::pair<int, int>> ranges;
    bool ok = true;
    auto add = [&](const YAML::Node& item) {
      if (!item.IsScalar()) {
        error(item.Mark(),
              "'expect_status' items must be codes or ranges like 200-299, not " + node_kind(item));
        ok = false;
        return;
      }
      auto parsed = parse_status_list(item.Scalar());
      if (!parsed) {
        error(item.Mark(), "'expect_status': " + parsed.error());
        ok = false;
        return;
      }
      for (const auto& r : parsed->ranges())
        ranges.push_back(r);
    };
    if (n.IsSequence()) {
      for (const auto& item : n)
        add(item);
      if (ok && ranges.empty()) {
        error(n.Mark(), "'expect_status' must list at least one code");
        ok = false;
      }
    } else {
      add(n);
    }
    if (!ok) return std::nullopt;
    return StatusSet(std::move(ranges));
  }

  std::optional<Labels> labels(const YAML::Node& n) {
    if (!expect_map(n, "'labels'")) return std::nullopt;
    std::map<std::string, std::string> out;
    bool ok = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
      // A copy: yaml-cpp iterators hand out a temporary pair.
      const YAML::Node key = it->first;
      std::string name = key.IsScalar() ? key.Scalar() : std::string();
      if (!is_valid_label_name(name) || name.starts_with("__")) {
        error(key.Mark(), "label name '" + name +
                              "' is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, "
                              "not starting with __)");
        ok = false;
        continue;
      }
      if (std::find(std::begin(kReservedLabels), std::end(kReservedLabels), name) !=
          std::end(kReservedLabels)) {
        error(key.Mark(), "label name '" + name + "' is reserved: faultline sets it itself");
        ok = false;
        continue;
      }
      if (out.count(name)) {
        error(key.Mark(), "duplicate label '" + name + "'");
        ok = false;
        continue;
      }
      auto value = scalar(it->second, "labels." + name);
      if (!value) {
        ok = false;
        continue;
      }
      out[name] = *value;
    }
    if (!ok) return std::nullopt;
    return Labels(out.begin(), out.end());
  }

  std::optional<std::vector<Header>> headers(const YAML::Node& n) {
    if (!n.IsMap()) {
      // node_kind() would quote a single value, and "Authorization: Bearer ..." written as one
      // line is the likeliest mistake here.
      error(n.Mark(),
            "'headers' must be a mapping of header names to values, such as "
            "{Authorization: \"Bearer ...\"}, not " +
                (n.IsScalar() ? std::string("a single value (not shown: it may hold a "
                                            "secret)")
                              : node_kind(n)));
      return std::nullopt;
    }
    std::vector<Header> out;
    std::set<std::string> seen;
    bool ok = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
      // A copy: yaml-cpp iterators hand out a temporary pair.
      const YAML::Node key = it->first;
      std::string name = key.IsScalar() ? key.Scalar() : std::string();
      if (!is_http_token(name)) {
        const bool may_hold_value = name.find(':') != std::string::npos;
        error(key.Mark(), may_hold_value
                              ? "a header name may not contain ':'; write each header "
                                "as Name: value inside the mapping (not shown: it may hold a "
                                "secret)"
                              : "header name '" + name + "' is not a valid HTTP header name");
        ok = false;
        continue;
      }
      if (!seen.insert(lower(name)).second) {
        error(key.Mark(), "duplicate header '" + name + "'");
        ok = false;
        continue;
      }
      auto value = scalar(it->second, "headers." + name);
      if (!value) {
        ok = false;
        continue;
      }
      if (value->find_first_of("\r\n") != std::string::npos) {
        // The value may be a secret, so it is not echoed.
        error(it->second.Mark(), "header '" + name + "' has a line break in its value");
        ok = false;
        continue;
      }
      out.push_back({name, *value});
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::optional<IdleProbeConfig> idle_probe(const YAML::Node& n) {
    if (!expect_map(n, "'idle_probe'")) return std::nullopt;
    IdleProbeConfig out;
    bool ok = true;
    bool has_ladder = false;
    each_key(n, "idle_probe", kIdleProbeKeys, [&](const std::string& k, const YAML::Node& v, auto) {
      if (k == "ladder") {
        has_ladder = true;
        if (!v.IsSequence() || v.size() == 0) {
          error(v.Mark(), "'idle_probe.ladder' must be a list of idle times, e.g. [30s, 2m, 5m]");
          ok = false;
          return;
        }
        for (const auto& step : v) {
          auto d = positive_duration(step, "idle_probe.ladder", Ms(1000));
          if (!d) {
            ok = false;
            continue;
          }
          if (!out.ladder.empty() && *d <= out.ladder.back()) {
            error(step.Mark(), "'idle_probe.ladder' must be in ascending order without repeats");
            ok = false;
            continue;
          }
          out.ladder.push_back(*d);
        }
      } else if (k == "keepalive_check") {
        auto b = boolean(v, "idle_probe.keepalive_check");
        if (b) out.keepalive_check = *b;
        ok = ok && b.has_value();
      }
    });
    if (!has_ladder) {
      error(n.Mark(), "'idle_probe' needs a 'ladder' of idle times, e.g. [30s, 2m, 5m]");
      ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // Reads the keys shared by `defaults:` and targets into `s`.
  void setting(const std::string& k, const YAML::Node& v, const YAML::Mark& key_mark, Settings& s) {
    if (k == "interval") {
      s.interval = positive_duration(v, k, kMinInterval);
      s.interval_mark = v.Mark();
    } else if (k == "timeout") {
      s.timeout = positive_duration(v, k, Ms(1));
      s.timeout_mark = v.Mark();
    } else if (k == "failure_threshold") {
      s.failure_threshold = integer(v, k, 1, 1000);
    } else if (k == "success_threshold") {
      s.success_threshold = integer(v, k, 1, 1000);
    } else if (k == "method") {
      auto m = non_empty(v, k);
      if (m && !is_http_token(*m)) {
        error(v.Mark(), "'method' must be an HTTP method such as GET or HEAD, not '" + *m + "'");
      } else if (m) {
        s.method = *m;
      }
    } else if (k == "headers") {
      s.headers = headers(v);
    } else if (k == "expect_status") {
      s.expect_status = status_set(v);
    } else if (k == "labels") {
      s.labels = labels(v);
    } else if (k == "ca_file") {
      s.ca_file = readable_file(v, k);
    } else if (k == "tls_verify") {
      s.tls_verify = boolean(v, k);
    } else if (k == "reuse_connection") {
      s.reuse_connection = boolean(v, k);
    }
    if (k == "method" || k == "headers" || k == "expect_status" || k == "reuse_connection") {
      s.http_only_mark = key_mark;
      s.http_only_key = k;
    } else if (k == "ca_file" || k == "tls_verify") {
      s.tls_only_mark = key_mark;
      s.tls_only_key = k;
    }
  }

  const std::string& file() const { return file_; }

 private:
  Diagnostic make(const YAML::Mark& m, std::string message) const {
    Diagnostic d;
    d.file = file_;
    if (!m.is_null()) {
      d.line = m.line + 1;
      d.column = m.column + 1;
    }
    d.message = std::move(message);
    return d;
  }

  std::string file_;
  fs::path base_;
};

// Overlays `top` on `base`, key by key for labels and headers, whole values for the rest.
template <class T>
std::optional<T> pick(const std::optional<T>& top, const std::optional<T>& base) {
  return top ? top : base;
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
  if (defaults) {
    for (const Header& h : *defaults) {
      bool overridden = std::any_of(
          out.begin(), out.end(), [&](const Header& o) { return lower(o.name) == lower(h.name); });
      if (!overridden) out.push_back(h);
    }
  }
  return out;
}

bool is_loopback(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return host == "::1";
}

// Stores a valid address in `m.listen`; returns whether it is a loopback address.
bool check_listen(Checker& c, const YAML::Node& v, MetricsConfig& m) {
  auto s = c.non_empty(v, "listen");
  if (!s) return true;
  auto address = parse_listen_address(*s);
  if (!address) {
    c.error(v.Mark(), "'listen': " + address.error());
    return true;
  }
  if (address->ipv6) {
    // prometheus-cpp serves through civetweb, which Debian 12 builds without IPv6.
    c.error(v.Mark(),
            "'listen': IPv6 addresses cannot be served (Debian's civetweb, which "
            "prometheus-cpp uses, has no IPv6); use an IPv4 address such as "
            "127.0.0.1:9469");
    return true;
  }
  m.listen = address->to_string();
  return is_loopback(address->host);
}

// Prometheus takes any UTF-8 text as a label value; control characters are refused too, since a
// vantage name is for people reading dashboards and alerts.
bool is_valid_label_value(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xe  ? 3
                      : (c >> 3) == 0x1e ? 4
                                         : 0;
    if (len == 0 || i + len > s.size()) return false;
    if (len == 1 && (c < 0x20 || c == 0x7f)) return false;
    std::uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto cont = static_cast<unsigned char>(s[i + k]);
      if ((cont >> 6) != 0x2) return false;
      cp = (cp << 6) | (cont & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    i += len;
  }
  return true;
}

void check_cluster(Checker& c, const YAML::Node& v, ClusterConfig& cluster) {
  if (!c.expect_map(v, "'cluster'")) return;
  // Compared only when both parsed: one typo gives one error.
  std::optional<YAML::Mark> shard_mark;
  bool shards_ok = true;
  c.each_key(v, "cluster", kClusterKeys, [&](const std::string& k, const YAML::Node& cv, auto) {
    if (k == "shard") {
      auto n = c.integer(cv, "cluster.shard", 0, kMaxShards - 1);
      if (n) {
        cluster.shard = *n;
        shard_mark = cv.Mark();
      }
    } else if (k == "shards") {
      auto n = c.integer(cv, "cluster.shards", 1, kMaxShards);
      if (n) cluster.shards = *n;
      shards_ok = n.has_value();
    } else if (auto name = c.non_empty(cv, "cluster.vantage")) {
      if (is_valid_label_value(*name)) {
        cluster.vantage = *name;
      } else {
        c.error(cv.Mark(),
                "'cluster.vantage' must be UTF-8 text without control characters: it becomes "
                "the value of the 'vantage' label on every series");
      }
    }
  });
  if (shard_mark && shards_ok && cluster.shard >= cluster.shards) {
    c.error(*shard_mark,
            "'cluster.shard' is " + std::to_string(cluster.shard) + ", but with " +
                std::to_string(cluster.shards) + " shard" + (cluster.shards == 1 ? "" : "s") +
                " ('cluster.shards') it must be from 0 to " + std::to_string(cluster.shards - 1));
    cluster.shard = 0;
  }
}

}  // namespace

std::string Diagnostic::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::string default_storage_path() {
  const char* state = std::getenv("STATE_DIRECTORY");
  std::string dir = state && *state ? std::string(state) : std::string("/var/lib/faultline");
  // systemd may pass several colon-separated directories; the first is ours.
  dir = dir.substr(0, dir.find(':'));
  return (fs::path(dir) / "faultline.db").string();
}

ConfigLoad parse_config(std::string_view yaml, const std::string& path) {
  fs::path absolute = fs::absolute(path).lexically_normal();
  Checker c(path, absolute.parent_path());
  ConfigLoad out;

  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    c.error(e.mark, "YAML syntax error: " + e.msg);
    out.errors = std::move(c.errors);
    return out;
  }
  if (!root || root.IsNull()) {
    c.error(YAML::Mark(), "the file is empty; it needs at least a 'targets:' list");
    out.errors = std::move(c.errors);
    return out;
  }
  if (!root.IsMap()) {
    c.error(root.Mark(),
            "the top level must be a mapping with a 'targets:' list, not " + node_kind(root));
    out.errors = std::move(c.errors);
    return out;
  }

  Config config;
  config.path = absolute.string();
  config.storage.path = default_storage_path();
  Settings defaults;
  YAML::Node targets_node;
  bool has_targets = false;
  bool auth_configured = false;
  std::optional<YAML::Mark> listen_mark;
  bool listen_loopback = true;

  c.each_key(root, "the top level", kTopKeys, [&](const std::string& k, const YAML::Node& v, auto) {
    if (k == "defaults") {
      if (!c.expect_map(v, "'defaults'")) return;
      c.each_key(v, "defaults", kDefaultsKeys,
                 [&](const std::string& dk, const YAML::Node& dv, const YAML::Mark& km) {
                   c.setting(dk, dv, km, defaults);
                 });
    } else if (k == "storage") {
      if (!c.expect_map(v, "'storage'")) return;
      c.each_key(
          v, "storage", kStorageKeys, [&](const std::string& sk, const YAML::Node& sv, auto) {
            if (sk == "path") {
              if (auto p = c.non_empty(sv, "storage.path"))
                config.storage.path = c.resolve_path(*p);
            } else if (sk == "record_successes") {
              if (auto b = c.boolean(sv, "storage.record_successes")) {
                config.storage.record_successes = *b;
              }
            } else if (sk == "retention") {
              if (!c.expect_map(sv, "'storage.retention'")) return;
              c.each_key(sv, "storage.retention", kRetentionKeys,
                         [&](const std::string& rk, const YAML::Node& rv, auto) {
                           auto d =
                               c.positive_duration(rv, "storage.retention." + rk, Ms(3'600'000));
                           if (d && rk == "failures") config.storage.retention.failures = *d;
                           if (d && rk == "rollups") config.storage.retention.rollups = *d;
                         });
            }
          });
    } else if (k == "metrics") {
      if (!c.expect_map(v, "'metrics'")) return;
      c.each_key(
          v, "metrics", kMetricsKeys, [&](const std::string& mk, const YAML::Node& mv, auto) {
            if (mk == "listen") {
              listen_loopback = check_listen(c, mv, config.metrics);
              listen_mark = mv.Mark();
            } else if (mk == "histograms") {
              if (auto b = c.boolean(mv, "metrics.histograms")) config.metrics.histograms = *b;
            } else if (mk == "basic_auth") {
              auth_configured = true;
              if (!c.expect_map(mv, "'metrics.basic_auth'")) return;
              BasicAuthConfig auth;
              bool has_user = false, has_file = false;
              c.each_key(mv, "metrics.basic_auth", kBasicAuthKeys,
                         [&](const std::string& ak, const YAML::Node& av, auto) {
                           if (ak == "username") {
                             if (auto u = c.non_empty(av, "basic_auth.username")) {
                               auth.username = *u;
                               has_user = true;
                             }
                           } else if (auto f = c.readable_file(av, "basic_auth.password_file")) {
                             auth.password_file = *f;
                             has_file = true;
                           }
                         });
              if (has_user && has_file) {
                config.metrics.basic_auth = auth;
              } else {
                c.error(mv.Mark(),
                        "'metrics.basic_auth' needs both 'username' and 'password_file'");
              }
            }
          });
    } else if (k == "log") {
      if (!c.expect_map(v, "'log'")) return;
      c.each_key(v, "log", kLogKeys, [&](const std::string&, const YAML::Node& lv, auto) {
        auto level = c.scalar(lv, "log.level");
        if (!level) return;
        if (std::find(std::begin(kLogLevels), std::end(kLogLevels), *level) ==
            std::end(kLogLevels)) {
          c.error(lv.Mark(),
                  "'log.level' must be one of trace, debug, info, warn, error, "
                  "critical, off; not '" +
                      *level + "'" + did_you_mean(*level, kLogLevels));
          return;
        }
        config.log.level = *level;
      });
    } else if (k == "engine") {
      if (!c.expect_map(v, "'engine'")) return;
      c.each_key(v, "engine", kEngineKeys, [&](const std::string&, const YAML::Node& ev, auto) {
        config.engine.max_in_flight = c.integer(ev, "engine.max_in_flight", 1, 1'000'000);
      });
    } else if (k == "cluster") {
      check_cluster(c, v, config.cluster);
    } else if (k == "targets") {
      has_targets = true;
      targets_node = v;
    }
  });

  if (listen_mark && !auth_configured && !listen_loopback) {
    c.warn(*listen_mark,
           "metrics are served on a non-loopback address without basic_auth; "
           "anyone who can reach " +
               config.metrics.listen + " can read them");
  }

  if (!has_targets) {
    c.error(root.Mark(), "missing 'targets:' list (use 'targets: []' for none)");
  } else if (!targets_node.IsSequence() && !targets_node.IsNull()) {
    c.error(targets_node.Mark(),
            "'targets' must be a list of targets, not " + node_kind(targets_node));
  } else if (targets_node.IsSequence()) {
    std::map<std::string, YAML::Mark> names;
    for (const auto& t : targets_node) {
      if (!c.expect_map(t, "each target")) continue;
      Settings own;
      TargetConfig target;
      target.pos = {t.Mark().line + 1, t.Mark().column + 1};
      std::optional<std::string> name;
      std::optional<TargetUrl> url;
      bool has_url = false;
      bool idle_ok = true;
      c.each_key(t, "target", kTargetKeys,
                 [&](const std::string& k, const YAML::Node& v, const YAML::Mark& km) {
                   if (k == "name") {
                     name = c.non_empty(v, "name");
                     if (name && !is_valid_target_name(*name)) {
                       c.error(v.Mark(), "target name '" + *name +
                                             "' may only hold letters, digits, '_', '.' and '-'");
                       name.reset();
                     } else if (name) {
                       auto [it, fresh] = names.emplace(*name, v.Mark());
                       if (!fresh) {
                         c.error(v.Mark(), "duplicate target name '" + *name +
                                               "' (first used at line " +
                                               std::to_string(it->second.line + 1) + ")");
                         name.reset();
                       }
                     }
                   } else if (k == "url") {
                     has_url = true;
                     if (auto text = c.non_empty(v, "url")) {
                       auto parsed = parse_target_url(*text);
                       if (parsed) {
                         url = *parsed;
                       } else {
                         c.error(v.Mark(), "'url': " + parsed.error());
                       }
                     }
                   } else if (k == "idle_probe") {
                     target.idle_probe = c.idle_probe(v);
                     idle_ok = target.idle_probe.has_value();
                   } else {
                     c.setting(k, v, km, own);
                   }
                 });
      if (!name && !t["name"]) c.error(t.Mark(), "target has no 'name'");
      if (!has_url) {
        c.error(t.Mark(), "target " + (name ? "'" + *name + "' " : std::string()) + "has no 'url'");
      }
      if (!name || !url || !idle_ok) continue;

      target.name = *name;
      target.probe.url = *url;
      target.interval = pick(own.interval, defaults.interval).value_or(target.interval);
      target.probe.timeout = pick(own.timeout, defaults.timeout).value_or(target.probe.timeout);
      target.failure_threshold =
          pick(own.failure_threshold, defaults.failure_threshold).value_or(2);
      target.success_threshold =
          pick(own.success_threshold, defaults.success_threshold).value_or(1);
      target.labels = merge_labels(defaults.labels, own.labels);
      target.probe.headers = merge_headers(defaults.headers, own.headers);
      target.probe.method = pick(own.method, defaults.method).value_or("GET");
      target.probe.expect_status =
          pick(own.expect_status, defaults.expect_status).value_or(StatusSet());
      target.probe.ca_file = pick(own.ca_file, defaults.ca_file).value_or("");
      target.probe.tls_verify = pick(own.tls_verify, defaults.tls_verify).value_or(true);
      // A default for every target means the http(s) ones; the others have no request to send.
      target.probe.reuse_connection =
          url->is_http() && pick(own.reuse_connection, defaults.reuse_connection).value_or(false);

      if (target.probe.timeout >= target.interval) {
        YAML::Mark where = own.timeout_mark    ? *own.timeout_mark
                           : own.interval_mark ? *own.interval_mark
                                               : t.Mark();
        c.error(where,
                "target '" + target.name + "': timeout " + format_duration(target.probe.timeout) +
                    " must be shorter than its interval " + format_duration(target.interval));
      }
      if (!url->is_http() && own.http_only_mark) {
        c.error(*own.http_only_mark, "'" + own.http_only_key +
                                         "' only applies to http:// and "
                                         "https:// targets, and '" +
                                         target.name + "' is " +
                                         std::string(to_string(url->scheme)) + "://");
      }
      if (!url->uses_tls() && own.tls_only_mark) {
        c.warn(*own.tls_only_mark, "'" + own.tls_only_key + "' has no effect on " +
                                       std::string(to_string(url->scheme)) + ":// target '" +
                                       target.name + "'");
      }
      config.targets.push_back(std::move(target));
    }
  }

  out.errors = std::move(c.errors);
  out.warnings = std::move(c.warnings);
  std::stable_sort(out.errors.begin(), out.errors.end(), [](const auto& a, const auto& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  if (out.errors.empty()) out.config = std::move(config);
  return out;
}

ConfigLoad load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigLoad out;
    out.errors.push_back(
        {path, 1, 1, std::string("cannot read the config file: ") + std::strerror(errno)});
    return out;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace faultline
