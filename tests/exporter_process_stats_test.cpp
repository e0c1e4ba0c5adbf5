// PrometheusExporter::publish, the one way the process's own numbers reach /metrics: stats the
// exporter has never heard of, published through it and read back by a real scrape.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "exporters/prometheus_exporter.hpp"
#include "tests/metrics_scrape.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

std::unique_ptr<PrometheusExporter> start_exporter(Labels const_labels = {}) {
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  options.const_labels = std::move(const_labels);
  auto exporter = PrometheusExporter::start(options);
  REQUIRE_MESSAGE(exporter, exporter.error());
  return std::move(*exporter);
}

std::string scrape_text(const PrometheusExporter& exporter) {
  HttpResponse r = http_get(exporter.port());
  REQUIRE_MESSAGE(r.status == 200, "scrape failed: " << r.status << " " << r.error);
  return r.body;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.starts_with(line + "\n") || text.find("\n" + line + "\n") != std::string::npos;
}

ProcessStat gauge(std::string name, double value) {
  return {std::move(name), "Widgets on hand.", StatKind::gauge, value};
}

ProcessStat counter(std::string name, double total) {
  return {std::move(name), "Widgets made since the start.", StatKind::counter, total};
}

}  // namespace

TEST_CASE("exporter process stats: a gauge and a counter appear with their type, help and value") {
  auto exporter = start_exporter();
  const std::string before = scrape_text(*exporter);
  CHECK(before.find("faultline_test_widgets") == std::string::npos);

  exporter->publish(
      {gauge("faultline_test_widgets", 4.5), counter("faultline_test_made_total", 9)});

  const std::string text = scrape_text(*exporter);
  CHECK(has_line(text, "# HELP faultline_test_widgets Widgets on hand."));
  CHECK(has_line(text, "# TYPE faultline_test_widgets gauge"));
  CHECK(has_line(text, "# HELP faultline_test_made_total Widgets made since the start."));
  CHECK(has_line(text, "# TYPE faultline_test_made_total counter"));
  const auto samples = parse_exposition(text);
  CHECK(value_of(samples, "faultline_test_widgets") == 4.5);
  CHECK(value_of(samples, "faultline_test_made_total") == 9);
  PromtoolCheck lint = promtool_check_metrics(text);
  if (lint.available) CHECK_MESSAGE(lint.output.empty(), lint.output);
}

TEST_CASE("exporter process stats: a running total advances the counter by the difference") {
  auto exporter = start_exporter();
  exporter->publish({counter("faultline_test_made_total", 5), gauge("faultline_test_widgets", 7)});
  exporter->publish({counter("faultline_test_made_total", 5)});
  exporter->publish({counter("faultline_test_made_total", 12), gauge("faultline_test_widgets", 2)});
  auto s = parse_exposition(scrape_text(*exporter));
  CHECK(value_of(s, "faultline_test_made_total") == 12);
  CHECK(value_of(s, "faultline_test_widgets") == 2);  // a gauge goes down as it is told

  // A lower total: the source started over, so all of it is new.
  exporter->publish({counter("faultline_test_made_total", 3)});
  exporter->publish({counter("faultline_test_made_total", 4)});
  s = parse_exposition(scrape_text(*exporter));
  CHECK(value_of(s, "faultline_test_made_total") == 16);
}

TEST_CASE("exporter process stats: they carry the constant labels") {
  auto exporter = start_exporter({{"vantage", "eu-west"}});
  exporter->publish({gauge("faultline_test_widgets", 1), counter("faultline_test_made_total", 2)});
  const auto s = parse_exposition(scrape_text(*exporter));
  CHECK(value_of(s, "faultline_test_widgets", {{"vantage", "eu-west"}}) == 1);
  CHECK(value_of(s, "faultline_test_made_total", {{"vantage", "eu-west"}}) == 2);
}

TEST_CASE("exporter process stats: a taken or malformed name and a changed kind are left out") {
  auto exporter = start_exporter();
  const TargetInfo api{"api", "https://127.0.0.1:1/", Scheme::https, {}};
  exporter->on_targets({&api});
  exporter->publish({gauge("faultline_targets", 99), gauge("not a metric name", 1),
                     counter("faultline_config_last_reload_successful", 5),
                     gauge("faultline_test_widgets", 3)});
  exporter->publish({counter("faultline_test_widgets", 50)});

  const std::string text = scrape_text(*exporter);
  const auto s = parse_exposition(text);
  CHECK(value_of(s, "faultline_targets") == 1);  // the exporter's own, untouched
  CHECK(value_of(s, "faultline_config_last_reload_successful") == 1);
  CHECK(text.find("not a metric name") == std::string::npos);
  // Its first kind stands; the counter of the same name is not published.
  CHECK(value_of(s, "faultline_test_widgets") == 3);
  CHECK(has_line(text, "# TYPE faultline_test_widgets gauge"));
  PromtoolCheck lint = promtool_check_metrics(text);
  if (lint.available) CHECK_MESSAGE(lint.output.empty(), lint.output);
}
