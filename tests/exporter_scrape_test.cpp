// The exporter as Prometheus sees it: results fed through the ResultSink interface, then a real
// scrape of /metrics over loopback HTTP, asserting names, labels and values.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "daemon/scheduler_stats.hpp"
#include "exporters/prometheus_exporter.hpp"
#include "storage/storage_stats.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/skip_test.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr std::int64_t kNotAfter = 1'900'000'000;  // 2030-03-17

std::unique_ptr<PrometheusExporter> start_exporter(bool histograms = false) {
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  options.histograms = histograms;
  options.version = "9.8.7-test";
  auto exporter = PrometheusExporter::start(options);
  REQUIRE_MESSAGE(exporter, exporter.error());
  REQUIRE((*exporter)->port() > 0);
  return std::move(*exporter);
}

std::vector<Sample> scrape(const PrometheusExporter& exporter) {
  HttpResponse r = http_get(exporter.port());
  REQUIRE_MESSAGE(r.status == 200, "scrape failed: " << r.status << " " << r.error);
  return parse_exposition(r.body);
}

// A successful HTTPS probe that went through every layer.
ProbeResult https_ok(std::int64_t started_at_ms) {
  ProbeResult r;
  r.cls = FailureClass::ok;
  r.timings = {1.5, 2.25, 3.0, 4.0, 10.75};
  r.http_status = 200;
  r.tls = TlsInfo{"TLSv1.3", "CN=api", "CN=test ca", kNotAfter, 1'700'000'000};
  r.started_at_ms = started_at_ms;
  return r;
}

// Refused: resolved and tried to connect, never reached TLS or a first byte.
ProbeResult refused(std::int64_t started_at_ms) {
  ProbeResult r;
  r.cls = FailureClass::refused;
  r.phase = Phase::connect;
  r.sys_errno = 111;
  r.timings.dns_ms = 0.0;
  r.timings.connect_ms = 0.5;
  r.timings.total_ms = 0.75;
  r.started_at_ms = started_at_ms;
  return r;
}

StateChange to(TargetState state) {
  StateChange c;
  c.to = state;
  return c;
}

const TargetInfo kApi{"api", "https://127.0.0.1:8443/healthz", Scheme::https, {{"team", "core"}}};
const TargetInfo kDb{"db", "tcp://127.0.0.1:5432", Scheme::tcp, {}};

const SampleLabels kApiLabels{{"target", "api"}, {"team", "core"}};
const SampleLabels kDbLabels{{"target", "db"}};

SampleLabels plus(SampleLabels labels, const std::string& name, const std::string& value) {
  labels[name] = value;
  return labels;
}

}  // namespace

TEST_CASE("exporter scrape: per-target families carry the target name, its labels and the class") {
  auto exporter = start_exporter();
  exporter->on_targets({&kApi, &kDb});
  exporter->on_result(kApi, https_ok(1'700'000'000'000));
  exporter->on_result(kApi, https_ok(1'700'000'030'000));
  exporter->on_result(kDb, refused(1'700'000'012'500));
  exporter->on_state_change(kApi, to(TargetState::up));
  exporter->on_state_change(kDb, to(TargetState::down));

  auto s = scrape(*exporter);

  // Every class exists from the start at 0, so increase() sees the first failure of each.
  for (FailureClass c : kAllClasses) {
    const std::string cls(to_string(c));
    double api_expected = c == FailureClass::ok ? 2 : 0;
    double db_expected = c == FailureClass::refused ? 1 : 0;
    CHECK_MESSAGE(
        value_of(s, "faultline_probes_total", plus(kApiLabels, "class", cls)) == api_expected, cls);
    CHECK_MESSAGE(
        value_of(s, "faultline_probes_total", plus(kDbLabels, "class", cls)) == db_expected, cls);
  }
  CHECK(with_label(s, "target", "api", "faultline_probes_total").size() == kAllClasses.size());

  CHECK(value_of(s, "faultline_probe_success", kApiLabels) == 1);
  CHECK(value_of(s, "faultline_probe_success", kDbLabels) == 0);
  CHECK(value_of(s, "faultline_target_up", kApiLabels) == 1);
  CHECK(value_of(s, "faultline_target_up", kDbLabels) == 0);

  const char* phase = "faultline_probe_phase_seconds";
  CHECK(value_of(s, phase, plus(kApiLabels, "phase", "dns")) == doctest::Approx(0.0015));
  CHECK(value_of(s, phase, plus(kApiLabels, "phase", "connect")) == doctest::Approx(0.00225));
  CHECK(value_of(s, phase, plus(kApiLabels, "phase", "tls")) == doctest::Approx(0.003));
  CHECK(value_of(s, phase, plus(kApiLabels, "phase", "first_byte")) == doctest::Approx(0.004));
  CHECK(value_of(s, phase, plus(kApiLabels, "phase", "total")) == doctest::Approx(0.01075));
  CHECK(value_of(s, phase, plus(kDbLabels, "phase", "dns")) == 0);
  CHECK(value_of(s, phase, plus(kDbLabels, "phase", "connect")) == doctest::Approx(0.0005));
  CHECK(value_of(s, phase, plus(kDbLabels, "phase", "total")) == doctest::Approx(0.00075));
  CHECK(with_label(s, "target", "db", phase).size() == 3);  // no tls, no first_byte

  const char* last_failure = "faultline_last_failure_timestamp_seconds";
  CHECK(value_of(s, last_failure, plus(kDbLabels, "class", "refused")) ==
        doctest::Approx(1'700'000'012.5));
  CHECK(with_label(s, "target", "db", last_failure).size() == 1);
  CHECK(with_label(s, "target", "api", last_failure).empty());

  const char* not_after = "faultline_tls_cert_not_after_timestamp_seconds";
  CHECK(value_of(s, not_after, kApiLabels) == kNotAfter);
  CHECK(with_label(s, "target", "db", not_after).empty());

  // Histograms are off by default: per-target cardinality is opt-in.
  CHECK(with_label(s, "target", "api", "faultline_probe_duration_seconds_count").empty());
}

TEST_CASE("exporter scrape: process metrics") {
  auto exporter = start_exporter();
  exporter->on_targets({&kApi, &kDb});
  // What the daemon publishes once a second: the scheduler's and the store's running totals.
  exporter->publish(scheduler_stats(3, 2));
  exporter->publish(scheduler_stats(3, 7));
  exporter->observe_schedule_lag(0.002);
  exporter->observe_schedule_lag(2.0);
  exporter->publish(
      to_process_stats({.queue_rows = 12, .rows_dropped_total = 4, .write_errors_total = 1}));
  exporter->publish(
      to_process_stats({.queue_rows = 7, .rows_dropped_total = 6, .write_errors_total = 1}));

  auto s = scrape(*exporter);
  CHECK(value_of(s, "faultline_build_info", {{"version", "9.8.7-test"}}) == 1);
  CHECK(value_of(s, "faultline_targets") == 2);
  CHECK(value_of(s, "faultline_probes_in_flight") == 3);
  CHECK(value_of(s, "faultline_probes_skipped_total") == 7);
  CHECK(value_of(s, "faultline_schedule_lag_seconds_count") == 2);
  CHECK(value_of(s, "faultline_schedule_lag_seconds_sum") == doctest::Approx(2.002));
  CHECK(value_of(s, "faultline_schedule_lag_seconds_bucket", {{"le", "0.005"}}) == 1);
  CHECK(value_of(s, "faultline_schedule_lag_seconds_bucket", {{"le", "+Inf"}}) == 2);
  CHECK(value_of(s, "faultline_storage_queue_rows") == 7);
  CHECK(value_of(s, "faultline_storage_rows_dropped_total") == 6);
  CHECK(value_of(s, "faultline_storage_write_errors_total") == 1);
  // start() counts the initial load as a successful one.
  CHECK(value_of(s, "faultline_config_last_reload_successful") == 1);
  CHECK(value_of(s, "faultline_config_last_reload_success_timestamp_seconds") > 1.6e9);

  exporter->config_reload_succeeded(1'700'000'000);
  exporter->config_reload_failed();
  // A storage sink that restarted counts from zero again: its new total is all new.
  exporter->publish(
      to_process_stats({.queue_rows = 0, .rows_dropped_total = 2, .write_errors_total = 1}));
  s = scrape(*exporter);
  CHECK(value_of(s, "faultline_config_last_reload_successful") == 0);
  CHECK(value_of(s, "faultline_config_last_reload_success_timestamp_seconds") == 1'700'000'000);
  CHECK(value_of(s, "faultline_storage_rows_dropped_total") == 8);
  CHECK(value_of(s, "faultline_storage_write_errors_total") == 1);
}

TEST_CASE("exporter scrape: phases the last probe did not reach are absent, not stale") {
  auto exporter = start_exporter();
  exporter->on_targets({&kApi});
  exporter->on_result(kApi, https_ok(1'700'000'000'000));
  CHECK(with_label(scrape(*exporter), "target", "api", "faultline_probe_phase_seconds").size() ==
        5);

  exporter->on_result(kApi, refused(1'700'000'030'000));
  auto s = scrape(*exporter);
  const char* phase = "faultline_probe_phase_seconds";
  CHECK(with_label(s, "target", "api", phase).size() == 3);
  CHECK_FALSE(value_of(s, phase, plus(kApiLabels, "phase", "tls")));
  CHECK_FALSE(value_of(s, phase, plus(kApiLabels, "phase", "first_byte")));
  CHECK(value_of(s, phase, plus(kApiLabels, "phase", "connect")) == doctest::Approx(0.0005));
  CHECK(value_of(s, "faultline_probe_success", kApiLabels) == 0);
  // The certificate seen before the failure is still the one the target serves, as far as we
  // know: the expiry series stays so an expiry alert does not resolve while the target is down.
  CHECK(value_of(s, "faultline_tls_cert_not_after_timestamp_seconds", kApiLabels) == kNotAfter);

  exporter->on_result(kApi, https_ok(1'700'000'060'000));
  CHECK(with_label(scrape(*exporter), "target", "api", phase).size() == 5);
}

TEST_CASE("exporter scrape: the last failure timestamp is kept per class") {
  auto exporter = start_exporter();
  exporter->on_targets({&kDb});
  exporter->on_result(kDb, refused(1'700'000'000'000));
  ProbeResult reset = refused(1'700'000'030'000);
  reset.cls = FailureClass::reset;
  exporter->on_result(kDb, reset);
  exporter->on_result(kDb, refused(1'700'000'060'000));

  auto s = scrape(*exporter);
  const char* name = "faultline_last_failure_timestamp_seconds";
  CHECK(value_of(s, name, plus(kDbLabels, "class", "refused")) == 1'700'000'060);
  CHECK(value_of(s, name, plus(kDbLabels, "class", "reset")) == 1'700'000'030);
  CHECK(value_of(s, "faultline_probes_total", plus(kDbLabels, "class", "refused")) == 2);
  CHECK(value_of(s, "faultline_probes_total", plus(kDbLabels, "class", "reset")) == 1);
}

TEST_CASE("exporter scrape: target_up follows state changes and is absent while unknown") {
  auto exporter = start_exporter();
  exporter->on_targets({&kApi});
  CHECK_FALSE(value_of(scrape(*exporter), "faultline_target_up", kApiLabels));
  exporter->on_state_change(kApi, to(TargetState::down));
  CHECK(value_of(scrape(*exporter), "faultline_target_up", kApiLabels) == 0);
  exporter->on_state_change(kApi, to(TargetState::up));
  CHECK(value_of(scrape(*exporter), "faultline_target_up", kApiLabels) == 1);
  exporter->on_state_change(kApi, to(TargetState::unknown));
  CHECK_FALSE(value_of(scrape(*exporter), "faultline_target_up", kApiLabels));
}

TEST_CASE("exporter scrape: with histograms on, each probe's total time is observed") {
  auto exporter = start_exporter(/*histograms=*/true);
  exporter->on_targets({&kApi, &kDb});
  exporter->on_result(kApi, https_ok(1'700'000'000'000));  // 10.75 ms
  exporter->on_result(kDb, refused(1'700'000'000'000));    // 0.75 ms
  exporter->on_result(kDb, refused(1'700'000'030'000));

  auto s = scrape(*exporter);
  const std::string name = "faultline_probe_duration_seconds";
  CHECK(value_of(s, name + "_count", kApiLabels) == 1);
  CHECK(value_of(s, name + "_sum", kApiLabels) == doctest::Approx(0.01075));
  CHECK(value_of(s, name + "_bucket", plus(kApiLabels, "le", "0.01")) == 0);
  CHECK(value_of(s, name + "_bucket", plus(kApiLabels, "le", "0.025")) == 1);
  CHECK(value_of(s, name + "_count", kDbLabels) == 2);
  CHECK(value_of(s, name + "_bucket", plus(kDbLabels, "le", "0.005")) == 2);
}

TEST_CASE("exporter scrape: promtool check metrics finds nothing to complain about") {
  auto exporter = start_exporter(/*histograms=*/true);
  // A label value with the characters the exposition format must escape.
  const TargetInfo odd{
      "odd", "http://127.0.0.1:1/", Scheme::http, {{"note", "a \"quoted\" back\\slash\nnewline"}}};
  exporter->on_targets({&kApi, &kDb, &odd});
  exporter->on_result(kApi, https_ok(1'700'000'000'000));
  exporter->on_result(kDb, refused(1'700'000'000'000));
  exporter->on_result(odd, refused(1'700'000'000'000));
  exporter->on_state_change(kDb, to(TargetState::down));
  exporter->observe_schedule_lag(0.01);

  HttpResponse r = http_get(exporter->port());
  REQUIRE(r.status == 200);
  // The parser must read the escaped value back exactly, or the label assertions above prove
  // less than they seem to.
  auto s = parse_exposition(r.body);
  CHECK(with_label(s, "note", "a \"quoted\" back\\slash\nnewline", "faultline_probe_success")
            .size() == 1);

  PromtoolCheck check = promtool_check_metrics(r.body);
  if (!check.available) {
    skip_test("promtool not found (Debian package `prometheus`): no lint of a scrape");
    return;
  }
  CHECK_MESSAGE(check.exit_status == 0, check.output);
  CHECK_MESSAGE(check.output.empty(), check.output);
}

TEST_CASE("exporter scrape: promtool check metrics does report a bad exposition") {
  // Without this, a promtool_check_metrics() that never ran promtool would pass the test above.
  PromtoolCheck check = promtool_check_metrics(
      "# HELP faultline_bad_count A counter without _total.\n"
      "# TYPE faultline_bad_count counter\n"
      "faultline_bad_count 1\n");
  if (!check.available) {
    skip_test("promtool not found (Debian package `prometheus`)");
    return;
  }
  CHECK(check.exit_status != 0);
  CHECK(check.output.find("faultline_bad_count") != std::string::npos);
}

TEST_CASE("exporter scrape: labels Prometheus cannot take are left out, the target is not") {
  // The config loader rejects these; the exporter must still never serve an exposition that
  // Prometheus refuses whole, or one with two `class` labels on a series.
  auto exporter = start_exporter();
  const TargetInfo odd{"odd",
                       "http://127.0.0.1:1/",
                       Scheme::http,
                       {{"bad-name", "x"}, {"class", "gold"}, {"target", "other"}, {"zone", "a"}}};
  exporter->on_targets({&odd});
  exporter->on_result(odd, refused(1'700'000'000'000));
  auto s = scrape(*exporter);
  const SampleLabels labels{{"target", "odd"}, {"zone", "a"}};
  CHECK(value_of(s, "faultline_probe_success", labels) == 0);
  CHECK(value_of(s, "faultline_probes_total", plus(labels, "class", "refused")) == 1);
  CHECK(with_label(s, "target", "other").empty());
}

TEST_CASE("exporter scrape: idle-connection findings") {
  auto exporter = start_exporter();
  exporter->on_targets({&kApi, &kDb});
  auto s = scrape(*exporter);
  CHECK(with_label(s, "target", "api", "faultline_idle_reset_detected").empty());  // no run yet

  IdleFinding middlebox;
  middlebox.kind = IdleFindingKind::middlebox_reset;
  middlebox.threshold_low_s = 345;
  middlebox.threshold_high_s = 352.5;
  middlebox.keepalive_verified = KeepaliveVerdict::yes;
  exporter->on_idle_finding(kApi, middlebox, 0);
  IdleFinding none;
  none.threshold_low_s = 600;
  exporter->on_idle_finding(kDb, none, 0);

  s = scrape(*exporter);
  CHECK(value_of(s, "faultline_idle_reset_detected", kApiLabels) == 1);
  CHECK(value_of(s, "faultline_idle_reset_threshold_seconds", kApiLabels) == 345);
  CHECK(value_of(s, "faultline_idle_keepalive_verified", kApiLabels) == 1);
  CHECK(value_of(s, "faultline_idle_reset_detected", kDbLabels) == 0);
  CHECK(with_label(s, "target", "db", "faultline_idle_reset_threshold_seconds").empty());
  CHECK(with_label(s, "target", "db", "faultline_idle_keepalive_verified").empty());

  HttpResponse r = http_get(exporter->port());
  PromtoolCheck lint = promtool_check_metrics(r.body);
  if (lint.available) CHECK_MESSAGE(lint.output.empty(), lint.output);
}
