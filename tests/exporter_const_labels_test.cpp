// Constant labels (cluster.vantage): a real scrape shows them on every series, per-target and
// process alike, and start() refuses names that would clash.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "exporters/prometheus_exporter.hpp"
#include "storage/storage_stats.hpp"
#include "tests/metrics_scrape.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

Expected<std::unique_ptr<PrometheusExporter>> start_with(Labels const_labels,
                                                         bool histograms = true) {
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  options.histograms = histograms;
  options.const_labels = std::move(const_labels);
  return PrometheusExporter::start(options);
}

ProbeResult https_ok() {
  ProbeResult r;
  r.timings = {1.5, 2.25, 3.0, 4.0, 10.75};
  r.http_status = 200;
  r.tls = TlsInfo{"TLSv1.3", "CN=api", "CN=test ca", 1'900'000'000, 1'700'000'000};
  r.started_at_ms = 1'700'000'000'000;
  return r;
}

}  // namespace

TEST_CASE("exporter const labels: vantage is on every series of a scrape") {
  auto started = start_with({{"vantage", "eu-west"}});
  REQUIRE_MESSAGE(started, started.error());
  PrometheusExporter& exporter = **started;
  // A target label of the same name (the config loader rejects it) must not make two.
  const TargetInfo api{
      "api", "https://127.0.0.1:1/", Scheme::https, {{"team", "core"}, {"vantage", "elsewhere"}}};
  exporter.on_targets({&api});
  exporter.on_result(api, https_ok());
  ProbeResult failed = https_ok();
  failed.cls = FailureClass::reset;
  failed.phase = Phase::response;
  exporter.on_result(api, failed);
  StateChange down;
  down.to = TargetState::down;
  exporter.on_state_change(api, down);
  IdleFinding idle;
  idle.kind = IdleFindingKind::middlebox_reset;
  idle.threshold_low_s = 300;
  exporter.on_idle_finding(api, idle, 0);
  exporter.observe_schedule_lag(0.01);
  exporter.publish(
      to_process_stats({.queue_rows = 1, .rows_dropped_total = 2, .write_errors_total = 3}));

  HttpResponse r = http_get(exporter.port());
  REQUIRE(r.status == 200);
  const auto samples = parse_exposition(r.body);
  std::set<std::string> names;
  for (const Sample& s : samples) {
    // The exposer_* series (scrape counts, bytes sent) are the HTTP server's, without labels
    // as prometheus-cpp's exposer served them; faultline's are all faultline_*.
    if (!s.name.starts_with("faultline_")) continue;
    names.insert(s.name);
    CHECK_MESSAGE(s.labels.count("vantage") == 1, s.name);
    if (s.labels.count("vantage")) CHECK_MESSAGE(s.labels.at("vantage") == "eu-west", s.name);
  }
  // Every family took part: per-target, histogram and process series.
  for (const char* name :
       {"faultline_probes_total", "faultline_target_up", "faultline_probe_phase_seconds",
        "faultline_idle_reset_detected", "faultline_probe_duration_seconds_bucket",
        "faultline_build_info", "faultline_targets", "faultline_schedule_lag_seconds_bucket",
        "faultline_storage_rows_dropped_total", "faultline_config_last_reload_successful"}) {
    CHECK_MESSAGE(names.count(name) == 1, name);
  }
  CHECK(value_of(samples, "faultline_target_up",
                 {{"target", "api"}, {"team", "core"}, {"vantage", "eu-west"}}) == 0);
  CHECK(value_of(samples, "faultline_build_info",
                 {{"version", FAULTLINE_VERSION}, {"vantage", "eu-west"}}) == 1);

  PromtoolCheck lint = promtool_check_metrics(r.body);
  if (lint.available) CHECK_MESSAGE(lint.output.empty(), lint.output);
}

TEST_CASE("exporter const labels: none by default") {
  auto started = start_with({}, false);
  REQUIRE_MESSAGE(started, started.error());
  const TargetInfo api{"api", "https://127.0.0.1:1/", Scheme::https, {}};
  (*started)->on_targets({&api});
  (*started)->on_result(api, https_ok());
  HttpResponse r = http_get((*started)->port());
  REQUIRE(r.status == 200);
  const auto samples = parse_exposition(r.body);
  CHECK(value_of(samples, "faultline_targets") == 1);
  for (const Sample& s : samples)
    CHECK_MESSAGE(s.labels.count("vantage") == 0, s.name);
}

TEST_CASE("exporter const labels: names that would clash or are not label names are refused") {
  auto r = start_with({{"target", "x"}});
  REQUIRE_FALSE(r);
  CHECK(r.error() == "constant label 'target' is one faultline sets");
  r = start_with({{"version", "x"}});
  REQUIRE_FALSE(r);
  CHECK(r.error() == "constant label 'version' is one faultline sets");
  r = start_with({{"1zone", "x"}});
  REQUIRE_FALSE(r);
  CHECK(r.error() == "constant label '1zone' is not a Prometheus label name");
  r = start_with({{"zone", "a"}, {"zone", "b"}});
  REQUIRE_FALSE(r);
  CHECK(r.error() == "constant label 'zone' is given twice");
}
