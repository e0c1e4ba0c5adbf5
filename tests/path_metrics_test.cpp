// faultline_path_last_responding_hop and faultline_path_verdict in a real scrape of /metrics:
// per target, from its latest path trace that ran; absent before the first, gone with the
// target.
#include <doctest/doctest.h>

#include <string>

#include "exporters/prometheus_exporter.hpp"
#include "fake_tracer.hpp"
#include "tests/metrics_scrape.hpp"

using namespace faultline;
using namespace faultline::testing;

TEST_CASE("path metrics: the latest trace's hop and verdict per target") {
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  auto started = PrometheusExporter::start(options);
  REQUIRE_MESSAGE(started, started.error());
  PrometheusExporter& exporter = **started;
  const TargetInfo api{"api", "https://10.0.3.3/", Scheme::https, {{"team", "payments"}}};
  const TargetInfo web{"web", "http://127.0.0.1/", Scheme::http, {}};
  exporter.on_targets({&api, &web});
  const auto scrape = [&] {
    HttpResponse r = http_get(exporter.port());
    REQUIRE(r.status == 200);
    return parse_exposition(r.body);
  };
  auto s = scrape();
  CHECK(with_label(s, "target", "api", "faultline_path_verdict").empty());

  exporter.on_path_trace(api, dropped_after_hop_2());
  s = scrape();
  // The target's own labels are on the series, as on its other series.
  const SampleLabels api_labels{{"target", "api"}, {"team", "payments"}};
  const auto verdict = [&](const char* v) {
    return value_of(s, "faultline_path_verdict",
                    {{"target", "api"}, {"team", "payments"}, {"verdict", v}});
  };
  CHECK(value_of(s, "faultline_path_last_responding_hop", api_labels) == 2);
  CHECK(verdict("dropped_after_hop") == 1);
  for (const char* other : {"local_drop", "unreachable_at_hop", "reached", "no_answer"})
    CHECK(verdict(other) == 0);
  CHECK(with_label(s, "target", "web", "faultline_path_verdict").empty());

  // A trace that could not run changes nothing; one that found nothing answering is hop 0.
  PathTrace failed;
  failed.local_error = "cannot open its TCP sockets: Too many open files (EMFILE)";
  exporter.on_path_trace(api, failed);
  s = scrape();
  CHECK(value_of(s, "faultline_path_last_responding_hop", api_labels) == 2);
  PathTrace silent;
  silent.hops = {PathHop{1, "", HopReply::none, "", std::nullopt, 2, 0}};
  silent.findings = judge_path(silent.hops, {});
  exporter.on_path_trace(api, silent);
  s = scrape();
  CHECK(value_of(s, "faultline_path_last_responding_hop", api_labels) == 0);
  CHECK(verdict("no_answer") == 1);
  CHECK(verdict("dropped_after_hop") == 0);

  exporter.on_targets({&web});
  CHECK(with_label(scrape(), "target", "api", "faultline_path_verdict").empty());
}
