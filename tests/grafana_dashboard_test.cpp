// etc/grafana/faultline.json may only query metrics faultline exports: every PromQL expression
// in it is scanned for metric names, each of which must appear in a real scrape of an exporter
// that has every family populated. promtool then parses every expression.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/scheduler_stats.hpp"
#include "exporters/prometheus_exporter.hpp"
#include "storage/storage_stats.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;
using namespace faultline::testing;
using json = nlohmann::json;

namespace {

// PromQL aggregations and functions (Prometheus 2.x); a name outside this list followed by
// "(" is a typo the scan reports.
const std::set<std::string> kFunctions = {"sum",
                                          "min",
                                          "max",
                                          "avg",
                                          "group",
                                          "stddev",
                                          "stdvar",
                                          "count",
                                          "count_values",
                                          "bottomk",
                                          "topk",
                                          "quantile",
                                          "abs",
                                          "absent",
                                          "absent_over_time",
                                          "ceil",
                                          "changes",
                                          "clamp",
                                          "clamp_max",
                                          "clamp_min",
                                          "day_of_month",
                                          "day_of_week",
                                          "day_of_year",
                                          "days_in_month",
                                          "delta",
                                          "deriv",
                                          "exp",
                                          "floor",
                                          "histogram_quantile",
                                          "holt_winters",
                                          "hour",
                                          "idelta",
                                          "increase",
                                          "irate",
                                          "label_join",
                                          "label_replace",
                                          "ln",
                                          "log2",
                                          "log10",
                                          "minute",
                                          "month",
                                          "predict_linear",
                                          "rate",
                                          "resets",
                                          "round",
                                          "scalar",
                                          "sgn",
                                          "sort",
                                          "sort_desc",
                                          "sqrt",
                                          "time",
                                          "timestamp",
                                          "vector",
                                          "year",
                                          "avg_over_time",
                                          "min_over_time",
                                          "max_over_time",
                                          "sum_over_time",
                                          "count_over_time",
                                          "quantile_over_time",
                                          "stddev_over_time",
                                          "stdvar_over_time",
                                          "last_over_time",
                                          "present_over_time"};
// Followed by a parenthesised list of label names, not an expression.
const std::set<std::string> kGrouping = {"by",       "without",    "on",
                                         "ignoring", "group_left", "group_right"};
const std::set<std::string> kKeywords = {"and",   "or",  "unless", "bool", "offset",
                                         "atan2", "inf", "nan",    "Inf",  "NaN"};

struct Scan {
  std::set<std::string> metrics;
  std::set<std::string> functions;
};

// Past the bracket closing the one at `i` (any of () [] {}), skipping quoted strings.
std::size_t skip_group(std::string_view e, std::size_t i) {
  const char open = e[i];
  const char close = open == '(' ? ')' : open == '[' ? ']' : '}';
  int depth = 0;
  for (; i < e.size(); ++i) {
    const char c = e[i];
    if (c == '"' || c == '\'' || c == '`') {
      for (++i; i < e.size() && e[i] != c; ++i)
        if (e[i] == '\\' && c != '`') ++i;
    } else if (c == open) {
      ++depth;
    } else if (c == close && --depth == 0) {
      return i + 1;
    }
  }
  return e.size();
}

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}

// The metric names and functions of a PromQL expression written for Grafana: label matchers,
// strings, range and subquery brackets, numbers and durations, Grafana's $variables and the
// label lists after by/without/on/ignoring/group_left/group_right are not metric names.
Scan scan_promql(std::string_view e) {
  Scan out;
  std::size_t i = 0;
  while (i < e.size()) {
    const char c = e[i];
    if (c == '"' || c == '\'' || c == '`') {
      for (++i; i < e.size() && e[i] != c; ++i)
        if (e[i] == '\\' && c != '`') ++i;
      ++i;
    } else if (c == '{' || c == '[') {
      i = skip_group(e, i);
    } else if (c == '#') {
      while (i < e.size() && e[i] != '\n')
        ++i;
    } else if (c == '$') {
      ++i;
      if (i < e.size() && e[i] == '{') {
        i = skip_group(e, i);
      } else {
        while (i < e.size() && ident_char(e[i]))
          ++i;
      }
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < e.size() &&
                std::isdigit(static_cast<unsigned char>(e[i + 1])))) {
      while (i < e.size() && (ident_char(e[i]) || e[i] == '.'))
        ++i;
    } else if (ident_start(c)) {
      const std::size_t start = i;
      while (i < e.size() && ident_char(e[i]))
        ++i;
      const std::string word(e.substr(start, i - start));
      std::size_t next = i;
      while (next < e.size() && std::isspace(static_cast<unsigned char>(e[next])))
        ++next;
      // `sum by (x) (...)`: an aggregation with its grouping first is a call too.
      const std::string_view rest = e.substr(next);
      const bool grouped_first =
          (rest.starts_with("by") && !ident_char(rest.size() > 2 ? rest[2] : ' ')) ||
          (rest.starts_with("without") && !ident_char(rest.size() > 7 ? rest[7] : ' '));
      const bool call = (next < e.size() && e[next] == '(') || grouped_first;
      if (kGrouping.count(word)) {
        if (call) i = skip_group(e, next);
      } else if (kKeywords.count(word)) {
        continue;
      } else if (call) {
        out.functions.insert(word);
      } else {
        out.metrics.insert(word);
      }
    } else {
      ++i;
    }
  }
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every `expr` of the dashboard's panels (rows included), each with the title of its panel.
void collect_exprs(const json& panels, std::vector<std::pair<std::string, std::string>>& out) {
  for (const json& p : panels) {
    if (p.contains("targets")) {
      for (const json& t : p["targets"])
        if (t.contains("expr")) out.emplace_back(p.value("title", "?"), t["expr"]);
    }
    if (p.contains("panels")) collect_exprs(p["panels"], out);
  }
}

// The metric selector inside a templating query "label_values(SELECTOR, label)"; empty for
// "label_values(label)", which names no metric. (No std::regex: GCC 12 warns inside it under
// -Werror with sanitizers.)
std::string label_values_selector(std::string_view query) {
  constexpr std::string_view kPrefix = "label_values(";
  if (!query.starts_with(kPrefix) || !query.ends_with(")")) return {};
  const std::string_view args = query.substr(kPrefix.size(), query.size() - kPrefix.size() - 1);
  // The last comma outside braces and quotes separates the selector from the label name.
  std::size_t comma = std::string_view::npos;
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const char c = args[i];
    if (quote) {
      if (c == '\\') ++i;
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{' || c == '(') {
      ++depth;
    } else if (c == '}' || c == ')') {
      --depth;
    } else if (c == ',' && depth == 0) {
      comma = i;
    }
  }
  if (comma == std::string_view::npos) return {};
  std::string_view selector = args.substr(0, comma);
  while (!selector.empty() && selector.back() == ' ')
    selector.remove_suffix(1);
  return std::string(selector);
}

// The names of every sample an exporter serves when every family has series: histograms on,
// a TLS target that succeeded, one that failed and went down, an idle-connection finding.
std::set<std::string> exported_metric_names() {
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  options.histograms = true;
  options.const_labels = {{"vantage", "test"}};
  auto exporter = PrometheusExporter::start(options);
  REQUIRE_MESSAGE(exporter, exporter.error());
  const TargetInfo api{"api", "https://127.0.0.1:1/", Scheme::https, {}};
  (*exporter)->on_targets({&api});
  ProbeResult ok;
  ok.timings = {1, 2, 3, 4, 10};
  ok.tls = TlsInfo{"TLSv1.3", "CN=api", "CN=ca", 1'900'000'000, 1'700'000'000};
  (*exporter)->on_result(api, ok);
  ProbeResult failed = ok;
  failed.cls = FailureClass::reset;
  failed.phase = Phase::response;
  (*exporter)->on_result(api, failed);
  StateChange down;
  down.to = TargetState::down;
  (*exporter)->on_state_change(api, down);
  IdleFinding idle;
  idle.kind = IdleFindingKind::middlebox_reset;
  idle.threshold_low_s = 300;
  (*exporter)->on_idle_finding(api, idle, 0);
  (*exporter)->observe_schedule_lag(0.01);
  // The process stats the daemon publishes once a second.
  (*exporter)->publish(scheduler_stats(0, 0));
  (*exporter)->publish(to_process_stats(StorageStats{}));
  HttpResponse r = http_get((*exporter)->port());
  REQUIRE(r.status == 200);
  std::set<std::string> names;
  for (const Sample& s : parse_exposition(r.body))
    if (s.name.starts_with("faultline_")) names.insert(s.name);
  return names;
}

std::vector<std::string> unknown_metrics(const std::string& expr,
                                         const std::set<std::string>& exported) {
  std::vector<std::string> out;
  for (const std::string& m : scan_promql(expr).metrics)
    if (!exported.count(m)) out.push_back(m);
  return out;
}

}  // namespace

TEST_CASE("grafana: the PromQL scan finds metric names and nothing else") {
  auto s = scan_promql(
      R"(sum by (target, class) (increase(faultline_probes_total{class!="ok", target=~"$target"}[$__rate_interval])))");
  CHECK(s.metrics == std::set<std::string>{"faultline_probes_total"});
  CHECK(s.functions == std::set<std::string>{"sum", "increase"});
  s = scan_promql("count without(instance)(x) / bytes_total");
  CHECK(s.metrics == std::set<std::string>{"x", "bytes_total"});
  CHECK(s.functions == std::set<std::string>{"count"});
  s = scan_promql(
      R"(sum by (target, class) (increase(faultline_probes_total{class!="ok", target=~"$target"}[$__rate_interval])))");
  CHECK(s.metrics == std::set<std::string>{"faultline_probes_total"});
  CHECK(s.functions == std::set<std::string>{"sum", "increase"});

  s = scan_promql(
      "histogram_quantile(0.95, sum(rate(a_bucket{le!=\"+Inf\"}[5m] offset 1h)) by (le)) > "
      "on (instance) group_left (version) b_info * 1e3 or vector(0) unless c:recorded");
  CHECK(s.metrics == std::set<std::string>{"a_bucket", "b_info", "c:recorded"});
  CHECK(s.functions == std::set<std::string>{"histogram_quantile", "sum", "rate", "vector"});

  s = scan_promql("max_over_time(x[1h:5m]) - time() / 86400 and ${var} and {__name__=\"y\"}");
  CHECK(s.metrics == std::set<std::string>{"x"});
  CHECK(label_values_selector("label_values(up{job=\"a, b\"}, target)") == "up{job=\"a, b\"}");
  CHECK(label_values_selector("label_values(target)").empty());
}

TEST_CASE("grafana: a misspelled metric is caught") {
  // The check below would pass on a scan that finds nothing; this one must fail it.
  const std::set<std::string> exported = {"faultline_probes_total"};
  CHECK(unknown_metrics("rate(faultline_probe_total[5m])", exported) ==
        std::vector<std::string>{"faultline_probe_total"});
  CHECK(unknown_metrics("rate(faultline_probes_total[5m])", exported).empty());
}

TEST_CASE("grafana: every expression of the dashboard queries metrics faultline exports") {
  const json dashboard = json::parse(slurp(FAULTLINE_SOURCE_DIR "/etc/grafana/faultline.json"));
  CHECK(dashboard["uid"] == "faultline");
  CHECK(dashboard["schemaVersion"].get<int>() >= 36);

  std::vector<std::pair<std::string, std::string>> exprs;
  collect_exprs(dashboard["panels"], exprs);
  std::set<std::string> variables;
  for (const json& v : dashboard["templating"]["list"]) {
    variables.insert(v["name"].get<std::string>());
    if (v["type"] != "query") continue;
    const json& q = v["query"];
    const std::string query = q.is_object() ? q["query"].get<std::string>() : q.get<std::string>();
    const std::string selector = label_values_selector(query);
    CHECK_MESSAGE(!selector.empty(), "variable " << v["name"] << ": " << query);
    exprs.emplace_back("variable " + v["name"].get<std::string>(), selector);
  }
  CHECK(variables == std::set<std::string>{"datasource", "vantage", "target"});
  REQUIRE(exprs.size() >= 15);

  const std::set<std::string> exported = exported_metric_names();
  REQUIRE(exported.count("faultline_probe_duration_seconds_bucket"));
  std::set<std::string> used;
  for (const auto& [where, expr] : exprs) {
    CAPTURE(where);
    CAPTURE(expr);
    const Scan s = scan_promql(expr);
    CHECK_MESSAGE(!s.metrics.empty(), "an expression that reads no metric");
    std::string unknown;
    for (const std::string& m : unknown_metrics(expr, exported))
      unknown += " " + m;
    CHECK_MESSAGE(unknown.empty(), "not a metric faultline exports:" << unknown);
    for (const std::string& f : s.functions)
      CHECK_MESSAGE(kFunctions.count(f), "unknown PromQL function " << f);
    used.insert(s.metrics.begin(), s.metrics.end());
  }
  // What the issue asks the dashboard to show.
  for (const char* m :
       {"faultline_target_up", "faultline_probes_total", "faultline_probe_phase_seconds",
        "faultline_tls_cert_not_after_timestamp_seconds", "faultline_idle_reset_detected",
        "faultline_idle_reset_threshold_seconds", "faultline_idle_keepalive_verified",
        "faultline_schedule_lag_seconds_bucket", "faultline_storage_rows_dropped_total",
        "faultline_config_last_reload_successful"}) {
    CHECK_MESSAGE(used.count(m), std::string(m) << " is not on the dashboard");
  }
}

TEST_CASE("grafana: promtool parses every expression of the dashboard") {
  const json dashboard = json::parse(slurp(FAULTLINE_SOURCE_DIR "/etc/grafana/faultline.json"));
  std::vector<std::pair<std::string, std::string>> exprs;
  collect_exprs(dashboard["panels"], exprs);
  // Grafana's variables as Prometheus would see them after substitution.
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  int n = 0;
  for (auto [where, expr] : exprs) {
    for (const auto& [from, to] :
         std::vector<std::pair<std::string, std::string>>{{"$__rate_interval", "5m"},
                                                          {"$__range", "1d"},
                                                          {"$target", ".*"},
                                                          {"$vantage", ".*"}}) {
      for (std::size_t at; (at = expr.find(from)) != std::string::npos;)
        expr.replace(at, from.size(), to);
    }
    CHECK_MESSAGE(expr.find('$') == std::string::npos, where << ": " << expr);
    rules += "      - record: dashboard:expr" + std::to_string(++n) +
             "\n        expr: " + json(expr).dump() + "\n";
  }
  TempDir dir;
  const std::string file = dir.write("dashboard-rules.yml", rules);
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    skip_test("promtool not found (Debian package `prometheus`): no PromQL parse");
    return;
  }
  FILE* pipe = popen(("promtool check rules '" + file + "' 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buf[4096];
  for (std::size_t got; (got = fread(buf, 1, sizeof buf, pipe)) > 0;)
    output.append(buf, got);
  const int status = pclose(pipe);
  const bool passed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  CHECK_MESSAGE(passed, output);
  CHECK_MESSAGE(output.find("SUCCESS: " + std::to_string(n) + " rules found") != std::string::npos,
                output);
}
