// What a config reload does to the exported series: removed targets disappear, changed labels
// replace the old ones, unchanged targets keep counting. Checked by scraping /metrics.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "exporters/prometheus_exporter.hpp"
#include "tests/metrics_scrape.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

std::unique_ptr<PrometheusExporter> start_exporter() {
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  options.histograms = true;  // so the histogram series are covered by removal too
  auto exporter = PrometheusExporter::start(options);
  REQUIRE_MESSAGE(exporter, exporter.error());
  return std::move(*exporter);
}

std::vector<Sample> scrape(const PrometheusExporter& exporter) {
  HttpResponse r = http_get(exporter.port());
  REQUIRE_MESSAGE(r.status == 200, "scrape failed: " << r.status << " " << r.error);
  return parse_exposition(r.body);
}

ProbeResult result(FailureClass cls) {
  ProbeResult r;
  r.cls = cls;
  r.timings = {0.5, 1.0, 2.0, 3.0, 7.0};
  r.tls = TlsInfo{"TLSv1.3", "CN=x", "CN=ca", 1'900'000'000, 1'700'000'000};
  r.started_at_ms = 1'700'000'000'000;
  return r;
}

// Feeds a target everything that creates a series: every per-target family then has one.
void exercise(PrometheusExporter& exporter, const TargetInfo& target) {
  exporter.on_result(target, result(FailureClass::ok));
  exporter.on_result(target, result(FailureClass::reset));
  StateChange up;
  up.to = TargetState::up;
  exporter.on_state_change(target, up);
}

std::vector<std::string> names_of(const std::vector<Sample>& samples) {
  std::vector<std::string> names;
  names.reserve(samples.size());
  for (const Sample& s : samples)
    names.push_back(s.name);
  return names;
}

double ok_count(const std::vector<Sample>& s, const SampleLabels& target_labels) {
  SampleLabels labels = target_labels;
  labels["class"] = "ok";
  auto v = value_of(s, "faultline_probes_total", labels);
  REQUIRE_MESSAGE(v, "no faultline_probes_total{class=\"ok\"} for " << target_labels.at("target"));
  return *v;
}

}  // namespace

TEST_CASE("exporter reload: series of a removed target disappear, from every family") {
  auto exporter = start_exporter();
  TargetInfo api{"api", "http://127.0.0.1:8080/", Scheme::http, {{"team", "core"}}};
  TargetInfo db{"db", "tcp://127.0.0.1:5432", Scheme::tcp, {}};
  exporter->on_targets({&api, &db});
  exercise(*exporter, api);
  exercise(*exporter, db);
  auto before = scrape(*exporter);
  // Every per-target family has a db series before, so "none after" means removal worked.
  auto db_before = names_of(with_label(before, "target", "db"));
  for (const char* family :
       {"faultline_probes_total", "faultline_probe_success", "faultline_target_up",
        "faultline_probe_phase_seconds", "faultline_last_failure_timestamp_seconds",
        "faultline_tls_cert_not_after_timestamp_seconds",
        "faultline_probe_duration_seconds_count"}) {
    CHECK_MESSAGE(std::find(db_before.begin(), db_before.end(), family) != db_before.end(), family);
  }

  exporter->on_targets({&api});
  auto after = scrape(*exporter);
  CHECK_MESSAGE(with_label(after, "target", "db").empty(),
                "left over: " << with_label(after, "target", "db").front().name);
  CHECK(value_of(after, "faultline_targets") == 1);
  // The remaining target is untouched.
  CHECK(ok_count(after, {{"target", "api"}, {"team", "core"}}) == 1);

  // Results that still arrive for the removed target (a probe in flight during the reload)
  // are dropped rather than bringing its series back.
  exercise(*exporter, db);
  CHECK(with_label(scrape(*exporter), "target", "db").empty());
}

TEST_CASE("exporter reload: changed labels replace the old ones, none of the old stay") {
  auto exporter = start_exporter();
  TargetInfo api{"api", "http://127.0.0.1:8080/", Scheme::http, {{"team", "core"}}};
  exporter->on_targets({&api});
  exercise(*exporter, api);
  CHECK(!with_label(scrape(*exporter), "team", "core").empty());

  // The daemon hands over a new object for a changed target.
  TargetInfo relabelled{"api", api.url, api.kind, {{"env", "prod"}, {"team", "platform"}}};
  exporter->on_targets({&relabelled});
  auto s = scrape(*exporter);
  CHECK_MESSAGE(with_label(s, "team", "core").empty(),
                "old label left on " << with_label(s, "team", "core").front().name);
  // Fresh series under the new labels, all classes at zero, ready for the next result.
  const SampleLabels labels{{"target", "api"}, {"team", "platform"}, {"env", "prod"}};
  CHECK(ok_count(s, labels) == 0);
  CHECK(with_label(s, "team", "platform", "faultline_probes_total").size() == kAllClasses.size());

  exercise(*exporter, relabelled);
  s = scrape(*exporter);
  CHECK(ok_count(s, labels) == 1);
  CHECK(value_of(s, "faultline_target_up", labels) == 1);
}

TEST_CASE("exporter reload: an unchanged target keeps its counters, by address or by value") {
  auto exporter = start_exporter();
  TargetInfo api{"api", "http://127.0.0.1:8080/", Scheme::http, {{"team", "core"}}};
  TargetInfo db{"db", "tcp://127.0.0.1:5432", Scheme::tcp, {}};
  exporter->on_targets({&api, &db});
  exercise(*exporter, api);
  exercise(*exporter, db);

  // The same object again, and for db an equal copy at a new address: both are unchanged.
  auto db_copy = std::make_unique<TargetInfo>(db);
  exporter->on_targets({&api, db_copy.get()});
  exporter->on_result(*db_copy, result(FailureClass::ok));
  auto s = scrape(*exporter);
  CHECK(ok_count(s, {{"target", "api"}, {"team", "core"}}) == 1);
  CHECK(ok_count(s, {{"target", "db"}}) == 2);
  CHECK(value_of(s, "faultline_target_up", {{"target", "db"}}) == 1);
}

TEST_CASE("exporter reload: a target whose URL changed starts over under the same labels") {
  auto exporter = start_exporter();
  TargetInfo api{"api", "https://old.example:443/", Scheme::https, {}};
  exporter->on_targets({&api});
  exercise(*exporter, api);

  TargetInfo moved{"api", "http://127.0.0.1:8080/", Scheme::http, {}};
  exporter->on_targets({&moved});
  auto s = scrape(*exporter);
  // Another endpoint: its certificate, failures and state are not the old one's.
  CHECK(ok_count(s, {{"target", "api"}}) == 0);
  CHECK_FALSE(value_of(s, "faultline_tls_cert_not_after_timestamp_seconds", {{"target", "api"}}));
  CHECK_FALSE(value_of(s, "faultline_target_up", {{"target", "api"}}));
  CHECK(with_label(s, "target", "api", "faultline_last_failure_timestamp_seconds").empty());
  CHECK(with_label(s, "target", "api", "faultline_probes_total").size() == kAllClasses.size());

  exporter->on_result(moved, result(FailureClass::ok));
  CHECK(ok_count(scrape(*exporter), {{"target", "api"}}) == 1);
}

TEST_CASE("exporter reload: an address reused for another target is matched by name") {
  auto exporter = start_exporter();
  auto slot = std::make_unique<TargetInfo>(
      TargetInfo{"api", "http://127.0.0.1:8080/", Scheme::http, {{"team", "core"}}});
  exporter->on_targets({slot.get()});
  exercise(*exporter, *slot);

  // The daemon freed "api" and its allocator put "web" at the same address.
  *slot = TargetInfo{"web", "http://127.0.0.1:8081/", Scheme::http, {}};
  exporter->on_targets({slot.get()});
  auto s = scrape(*exporter);
  CHECK(with_label(s, "target", "api").empty());
  CHECK(ok_count(s, {{"target", "web"}}) == 0);

  exporter->on_result(*slot, result(FailureClass::ok));
  CHECK(ok_count(scrape(*exporter), {{"target", "web"}}) == 1);
}

TEST_CASE("exporter reload: scrapes during reloads and results see whole targets only") {
  // Reloads and results run here, on the "loop" thread, while another thread scrapes. A scrape
  // must never see a target half added or half removed; under ASan this also catches a scrape
  // reading a target's values after they were freed.
  auto exporter = start_exporter();
  std::vector<TargetInfo> a, b;
  for (int i = 0; i < 20; ++i) {
    a.push_back({"t" + std::to_string(i), "http://127.0.0.1:1/", Scheme::http, {{"set", "a"}}});
    b.push_back({"t" + std::to_string(i), "http://127.0.0.1:1/", Scheme::http, {{"set", "b"}}});
  }
  std::vector<const TargetInfo*> set_a, set_b;
  for (int i = 0; i < 20; ++i) {
    set_a.push_back(&a[static_cast<std::size_t>(i)]);
    // b holds every other target only, so reloads also add and remove.
    if (i % 2 == 0) set_b.push_back(&b[static_cast<std::size_t>(i)]);
  }

  const int port = exporter->port();
  std::atomic<bool> done{false};
  std::vector<std::string> problems;  // written by the scraper only, read after join
  int scrapes = 0;
  std::thread scraper([&] {
    for (; scrapes < 40; ++scrapes) {
      HttpResponse r = http_get(port);
      if (r.status != 200) {
        problems.push_back("status " + std::to_string(r.status) + " " + r.error);
        continue;
      }
      std::map<std::string, int> classes;  // "target/set" -> faultline_probes_total series
      for (const Sample& s : parse_exposition(r.body)) {
        if (s.name == "faultline_probes_total")
          ++classes[s.labels.at("target") + "/" + s.labels.at("set")];
      }
      for (const auto& [target, count] : classes) {
        if (count != static_cast<int>(kAllClasses.size()))
          problems.push_back(target + " has " + std::to_string(count) + " class series");
      }
      if (classes.size() != 20 && classes.size() != 10)
        problems.push_back(std::to_string(classes.size()) + " targets in one scrape");
    }
    done = true;
  });
  for (int round = 0; !done; ++round) {
    const auto& set = round % 2 == 0 ? set_b : set_a;
    exporter->on_targets(set);
    for (const TargetInfo* t : set)
      exercise(*exporter, *t);
  }
  scraper.join();
  CHECK(scrapes == 40);
  for (const std::string& p : problems)
    FAIL_CHECK(p);
}
