// faultline_icmp_packet_loss_ratio and faultline_icmp_rtt_seconds in a real scrape of /metrics:
// per icmp:// target, from the last probe's IcmpStats; never on other kinds of target.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "exporters/prometheus_exporter.hpp"
#include "tests/metrics_scrape.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

ProbeResult pinged(int sent, int received, std::optional<double> avg_ms) {
  ProbeResult r;
  r.cls = received > 0 ? FailureClass::ok : FailureClass::timeout;
  r.phase = received > 0 ? Phase::none : Phase::connect;
  IcmpStats stats;
  stats.address = "192.0.2.1";
  stats.sent = sent;
  stats.received = received;
  stats.min_ms = stats.max_ms = stats.avg_ms = avg_ms;
  r.icmp = stats;
  r.timings.connect_ms = avg_ms;
  r.timings.total_ms = 450.0;
  return r;
}

}  // namespace

TEST_CASE("icmp metrics: loss ratio and RTT per icmp target, none for other kinds") {
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  auto started = PrometheusExporter::start(options);
  REQUIRE_MESSAGE(started, started.error());
  PrometheusExporter& exporter = **started;
  const TargetInfo gw{"gw", "icmp://192.0.2.1", Scheme::icmp, {}};
  const TargetInfo web{"web", "http://127.0.0.1/", Scheme::http, {}};
  exporter.on_targets({&gw, &web});
  ProbeResult http_ok;
  http_ok.timings.total_ms = 3.0;
  exporter.on_result(web, http_ok);

  const auto scrape = [&] {
    HttpResponse r = http_get(exporter.port());
    REQUIRE(r.status == 200);
    return parse_exposition(r.body);
  };
  const SampleLabels gw_labels{{"target", "gw"}};
  auto s = scrape();
  // Absent before the first probe, as the other last-probe gauges are.
  CHECK(with_label(s, "target", "gw", "faultline_icmp_packet_loss_ratio").empty());

  exporter.on_result(gw, pinged(4, 3, 12.5));
  s = scrape();
  CHECK(value_of(s, "faultline_icmp_packet_loss_ratio", gw_labels) == doctest::Approx(0.25));
  CHECK(value_of(s, "faultline_icmp_rtt_seconds", gw_labels) == doctest::Approx(0.0125));
  CHECK(with_label(s, "target", "web", "faultline_icmp_packet_loss_ratio").empty());
  CHECK(with_label(s, "target", "web", "faultline_icmp_rtt_seconds").empty());

  // Nothing answered: all lost, and no RTT rather than the previous one.
  exporter.on_result(gw, pinged(3, 0, std::nullopt));
  s = scrape();
  CHECK(value_of(s, "faultline_icmp_packet_loss_ratio", gw_labels) == 1.0);
  CHECK(with_label(s, "target", "gw", "faultline_icmp_rtt_seconds").empty());

  // Nothing sent (the socket was refused: this host's trouble): no loss to report.
  exporter.on_result(gw, pinged(0, 0, std::nullopt));
  s = scrape();
  CHECK(with_label(s, "target", "gw", "faultline_icmp_packet_loss_ratio").empty());
}
