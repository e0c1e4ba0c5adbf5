#include "daemon/config_http_body.hpp"

#include <set>

#include "daemon/config_validators.hpp"

namespace faultline {
namespace {

// Where a pattern error is: the character itself when the pattern is written plain on one
// line (its text is the YAML text), else the value's start (quotes and escapes shift it).
YAML::Mark pattern_error_mark(const YAML::Node& v, std::size_t error_at) {
  YAML::Mark m = v.Mark();
  const std::string& text = v.Scalar();
  if (v.Tag() == "?" && text.find('\n') == std::string::npos && error_at > 0) {
    m.column += static_cast<int>(std::min(error_at - 1, text.size()));
    m.pos += static_cast<int>(std::min(error_at - 1, text.size()));
  }
  return m;
}

std::optional<Pattern> read_pattern(ConfigReader& r, const YAML::Node& v, const std::string& key) {
  auto text = r.non_empty(v, key);
  if (!text) return std::nullopt;
  std::size_t error_at = 0;
  auto pattern = pattern_value(*text, quote(key), &error_at);
  if (!pattern) {
    r.error(pattern_error_mark(v, error_at), pattern.error());
    return std::nullopt;
  }
  return *pattern;
}

std::optional<std::vector<JsonExpectation>> read_expect_json(ConfigReader& r, const YAML::Node& n) {
  if (!n.IsMap() || n.size() == 0) {
    r.error(n.Mark(),
            "'expect_json' must be a mapping of dotted paths to values, such as "
            "{status: UP, checks.db.status: UP, items.0.state: ok}, not " +
                node_kind(n));
    return std::nullopt;
  }
  std::vector<JsonExpectation> out;
  std::set<std::string> seen;
  bool ok = true;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const std::string path = key.IsScalar() ? key.Scalar() : std::string();
    if (!seen.insert(path).second) {
      r.error(key.Mark(), "'expect_json' names " + quote(path) + " twice");
      ok = false;
      continue;
    }
    if (!value.IsNull() && !value.IsScalar()) {
      r.error(value.Mark(), "'expect_json." + printable(path) +
                                "' must be one value (a string, number, true, false or null), "
                                "not " +
                                node_kind(value));
      ok = false;
      continue;
    }
    const bool quoted = value.IsScalar() && value.Tag() == "!";
    auto e = make_json_expectation(path, value.IsScalar() ? value.Scalar() : "", quoted);
    if (!e) {
      r.error(key.Mark(), "'expect_json': " + e.error());
      ok = false;
      continue;
    }
    out.push_back(std::move(*e));
  }
  if (!ok) return std::nullopt;
  return out;
}

void read_request_body(ConfigReader& r, const std::string& key, const YAML::Node& v,
                       const YAML::Mark& key_mark, HttpBodySettings& s) {
  if (!s.body_key.empty()) {
    r.error(key_mark,
            "a target has one request body: '" + s.body_key + "' or '" + key + "', not both");
    return;
  }
  s.body_key = key;
  s.body_mark = key_mark;
  if (key == "body") {
    s.body = r.scalar(v, key);
    return;
  }
  auto path = r.readable_file(v, key);
  if (!path) return;
  auto content = request_body_file(*path);
  if (!content) {
    r.error(v.Mark(), "'body_file': " + content.error());
    return;
  }
  s.body = std::move(*content);
}

}  // namespace

bool is_http_body_key(std::string_view key) {
  return key == "body" || key == "body_file" || key == "expect_body" || key == "reject_body" ||
         key == "expect_json" || key == "body_limit";
}

void read_http_body_setting(ConfigReader& r, const std::string& key, const YAML::Node& v,
                            const YAML::Mark& key_mark, HttpBodySettings& s) {
  if (key == "body" || key == "body_file") {
    read_request_body(r, key, v, key_mark, s);
  } else if (key == "expect_body") {
    s.expect_body = read_pattern(r, v, key);
  } else if (key == "reject_body") {
    s.reject_body = read_pattern(r, v, key);
  } else if (key == "expect_json") {
    s.expect_json = read_expect_json(r, v);
  } else if (key == "body_limit") {
    auto text = r.non_empty(v, key);
    if (!text) return;
    auto limit = body_limit_value(*text, "'body_limit'");
    if (!limit) {
      r.error(v.Mark(), limit.error());
      return;
    }
    s.body_limit = *limit;
  }
}

void merge_http_body_settings(const HttpBodySettings& defaults, const HttpBodySettings& own,
                              ProbeSpec& probe) {
  // A default for every target means the http(s) ones; the others read no body.
  if (!probe.url.is_http()) return;
  probe.body = own.body;
  probe.expect_body = own.expect_body ? own.expect_body : defaults.expect_body;
  probe.reject_body = own.reject_body ? own.reject_body : defaults.reject_body;
  probe.expect_json =
      own.expect_json.value_or(defaults.expect_json.value_or(std::vector<JsonExpectation>{}));
  probe.body_limit = own.body_limit.value_or(defaults.body_limit.value_or(probe.body_limit));
}

void check_http_body_method(ConfigReader& r, const TargetConfig& target,
                            const HttpBodySettings& own) {
  if (!target.probe.body || !own.body_mark || !target.probe.url.is_http()) return;
  if (auto problem = request_body_problem(target.probe.method, target.probe.body->size(),
                                          "'" + own.body_key + "'")) {
    r.error(*own.body_mark, "target '" + target.name + "': " + *problem);
  }
}

}  // namespace faultline
