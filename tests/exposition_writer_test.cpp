// The streaming exposition writer against prometheus-cpp's TextSerializer: for the same metric
// families both texts are the same bytes (but for the documented NaN spelling), and Prometheus
// itself, scraping both, stores the same series, values and metadata from each.
#include "exporters/exposition_writer.hpp"

#include <doctest/doctest.h>
#include <prometheus/histogram.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "checks/utc_time.hpp"
#include "exporters/metrics_server.hpp"
#include "exporters/target_metrics.hpp"
#include "tests/prometheus_scrape.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/skip_test.hpp"

using namespace faultline;
using namespace faultline::testing;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ClientMetric metric(std::vector<ClientMetric::Label> labels) {
  ClientMetric m;
  m.label = std::move(labels);
  return m;
}

ClientMetric gauge_of(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m = metric(std::move(labels));
  m.gauge.value = value;
  return m;
}

// Every type, label values that need escaping, numbers at the edges of %.16g, a family without
// series, one without labels, a timestamp. Help texts hold nothing to escape: TextSerializer
// writes them raw, which would break the exposition it is compared with.
std::vector<MetricFamily> edge_families(bool with_nan) {
  std::vector<MetricFamily> out;
  MetricFamily counter{"t_requests_total", "Requests, by path.", MetricType::Counter, {}};
  const std::vector<std::pair<std::string, double>> counts = {
      {"/plain", 0},
      {"/a\"quoted\"", 1},
      {"C:\\path\\", 9007199254740992.0},  // 2^53
      {"two\nlines", 1e300},
      {"\xc3\xbc"
       "n\xc3\xaf"
       "c\xc3\xb6"
       "de \xe2\x9c\x93",
       0.1 + 0.2},
      {"tiny", 1e-300},
      {"fraction", 123456789.125},
      {"big whole", 1e15},
      {"bigger whole", 12345678901234567.0},
  };
  for (const auto& [path, value] : counts) {
    ClientMetric m = metric({{"path", path}, {"zone", "eu"}});
    m.counter.value = value;
    counter.metric.push_back(m);
  }
  out.push_back(counter);

  MetricFamily gauge{"t_temperature_celsius", "A gauge of every sign.", MetricType::Gauge, {}};
  gauge.metric = {
      gauge_of({{"probe", "neg"}}, -273.15),  gauge_of({{"probe", "-0"}}, -0.0),
      gauge_of({{"probe", "pinf"}}, kInf),    gauge_of({{"probe", "ninf"}}, -kInf),
      gauge_of({{"probe", "small"}}, 1.5e-7), gauge_of({{"probe", "stamp"}}, 1764300000.123)};
  if (with_nan) gauge.metric.push_back(gauge_of({{"probe", "nan"}}, kNaN));
  ClientMetric stamped = gauge_of({{"probe", "timestamped"}}, 42);
  stamped.timestamp_ms = unix_now_ms() - 1000;
  gauge.metric.push_back(stamped);
  out.push_back(gauge);

  MetricFamily bare{"t_bare", "No labels at all.", MetricType::Gauge, {gauge_of({}, 7)}};
  out.push_back(bare);
  out.push_back({"t_empty", "A family without series.", MetricType::Gauge, {}});
  out.push_back({"t_no_help", "", MetricType::Gauge, {gauge_of({{"a", "b"}}, 1)}});

  MetricFamily untyped{"t_untyped", "Untyped.", MetricType::Untyped, {metric({{"k", "v"}})}};
  untyped.metric[0].untyped.value = 3.25;
  out.push_back(untyped);

  MetricFamily summary{"t_latency_us", "A summary.", MetricType::Summary, {}};
  ClientMetric s = metric({{"op", "read"}});
  s.summary.sample_count = 12;
  s.summary.sample_sum = 345.5;
  s.summary.quantile = {{0.5, 12.5}, {0.9, with_nan ? kNaN : 40}, {0.99, 77}};
  summary.metric.push_back(s);
  out.push_back(summary);

  MetricFamily histogram{"t_duration_seconds", "A histogram.", MetricType::Histogram, {}};
  prometheus::Histogram h({0.005, 0.1, 1, 2.5});
  for (double v : {0.001, 0.05, 0.05, 0.7, 3.0})
    h.Observe(v);
  ClientMetric with_inf = h.Collect();  // prometheus-cpp adds the +Inf bucket itself
  with_inf.label = {{"kind", "collected"}};
  histogram.metric.push_back(with_inf);
  ClientMetric without_inf = metric({{"kind", "hand-made"}});
  without_inf.histogram.sample_count = 4;
  without_inf.histogram.sample_sum = 1.25;
  without_inf.histogram.bucket = {{1, 0.25}, {3, 0.5}};  // no +Inf: the writers add it
  histogram.metric.push_back(without_inf);
  out.push_back(histogram);
  return out;
}

std::string serialize(const std::vector<MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

std::string write_all(const std::vector<MetricFamily>& families, std::size_t chunk = 1 << 16) {
  std::string text;
  ExpositionWriter w(
      [&](std::string_view chunk_text) {
        text += chunk_text;
        return true;
      },
      chunk);
  for (const MetricFamily& f : families)
    w.family(f);
  REQUIRE(w.finish());
  return text;
}

// TextSerializer spells NaN "Nan"; the writer "NaN", as the format does.
std::string with_standard_nan(std::string text) {
  for (std::size_t at; (at = text.find(" Nan\n")) != std::string::npos;)
    text.replace(at, 5, " NaN\n");
  return text;
}

ProbeResult probe(FailureClass cls, bool tls) {
  ProbeResult r;
  r.cls = cls;
  r.started_at_ms = 1'764'300'000'123;
  r.timings.dns_ms = 0.25;
  r.timings.connect_ms = 1.0 / 3.0;
  if (cls == FailureClass::ok) {
    r.timings.first_byte_ms = 12.5;
    r.timings.total_ms = 13.75;
    if (tls) {
      r.timings.tls_ms = 7.125;
      r.tls = TlsInfo{"TLSv1.3", "CN=x", "CN=ca", 1'900'000'000, 1'700'000'000};
    }
  } else {
    r.phase = Phase::connect;
    r.timings.total_ms = 0.5;
  }
  return r;
}

// Targets with awkward labels, every kind of series, histograms on.
struct Fleet {
  std::vector<TargetInfo> targets;
  TargetMetrics metrics{true, {{"vantage", "eu-west"}}};

  explicit Fleet(int count) {
    for (int i = 0; i < count; ++i) {
      const bool tls = i % 3 == 0;
      targets.push_back({"t" + std::to_string(i),
                         tls ? "https://127.0.0.1/" : "http://127.0.0.1/",
                         tls ? Scheme::https : Scheme::http,
                         {{"team", i % 2 ? "a \"quoted\" team" : "back\\slash\nnewline"},
                          {"zone", "z\xc3\xbc" + std::to_string(i % 5)}}});
    }
    std::vector<const TargetInfo*> set;
    for (const TargetInfo& t : targets)
      set.push_back(&t);
    metrics.set_targets(set);
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const bool tls = targets[i].kind == Scheme::https;
      metrics.record(targets[i], probe(FailureClass::ok, tls));
      if (i % 4 == 1) metrics.record(targets[i], probe(FailureClass::refused, tls));
      if (i % 5 == 2) {
        ProbeResult slow = probe(FailureClass::ok, tls);
        slow.slow = true;
        metrics.record(targets[i], slow);
      }
      if (i % 6 == 4) {
        ProbeResult ping = probe(FailureClass::ok, false);
        IcmpStats icmp;
        icmp.sent = 3;
        icmp.received = 2;
        icmp.avg_ms = 0.125;
        ping.icmp = icmp;
        metrics.record(targets[i], ping);
      }
      if (i % 4 != 3) metrics.set_state(targets[i], i % 2 ? TargetState::up : TargetState::down);
      if (i % 7 == 0) {
        IdleFinding f;
        f.kind = IdleFindingKind::middlebox_reset;
        f.threshold_low_s = 300;
        metrics.set_idle_finding(targets[i], f);
      }
    }
  }

  std::string written() const {
    std::string text;
    ExpositionWriter w(
        [&](std::string_view chunk) {
          text += chunk;
          return true;
        },
        4096);
    metrics.write(w);
    REQUIRE(w.finish());
    return text;
  }
};

}  // namespace

TEST_CASE("exposition writer: the same bytes as prometheus-cpp's TextSerializer") {
  const auto families = edge_families(true);
  CHECK(write_all(families) == with_standard_nan(serialize(families)));
}

TEST_CASE("exposition writer: chunks end at line ends and add up to the whole text") {
  const auto families = edge_families(true);
  const std::string whole = write_all(families);
  std::vector<std::string> chunks;
  ExpositionWriter w(
      [&](std::string_view chunk) {
        chunks.emplace_back(chunk);
        return true;
      },
      100);
  for (const MetricFamily& f : families)
    w.family(f);
  REQUIRE(w.finish());
  REQUIRE(chunks.size() > 5);
  std::string joined;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    CHECK(chunks[i].back() == '\n');
    if (i + 1 < chunks.size()) CHECK(chunks[i].size() >= 100);
    joined += chunks[i];
  }
  CHECK(joined == whole);
  CHECK(w.bytes() == whole.size());
}

TEST_CASE("exposition writer: a refused chunk stops the writing") {
  int calls = 0;
  ExpositionWriter w(
      [&](std::string_view) {
        ++calls;
        return false;
      },
      10);
  for (const MetricFamily& f : edge_families(false))
    w.family(f);
  CHECK_FALSE(w.ok());
  CHECK_FALSE(w.finish());
  CHECK(calls == 1);
}

TEST_CASE("exposition writer: HELP texts are escaped as the format says") {
  const std::string text =
      write_all({{"t_help", "back\\slash\nand a newline", MetricType::Gauge, {gauge_of({}, 1)}}});
  CHECK(text == "# HELP t_help back\\\\slash\\nand a newline\n# TYPE t_help gauge\nt_help 1\n");
}

TEST_CASE("exposition writer: a family streamed from TargetMetrics is TextSerializer's text") {
  Fleet fleet(40);
  const std::string written = fleet.written();
  CHECK(written == serialize(fleet.metrics.collect()));
  // Every family took part, and absent values stayed out.
  for (const char* family :
       {"faultline_probes_total", "faultline_probe_success", "faultline_target_up",
        "faultline_probe_phase_seconds", "faultline_last_failure_timestamp_seconds",
        "faultline_tls_cert_not_after_timestamp_seconds", "faultline_idle_reset_detected",
        "faultline_idle_reset_threshold_seconds", "faultline_idle_keepalive_verified",
        "faultline_probes_slow_total", "faultline_target_degraded",
        "faultline_icmp_packet_loss_ratio", "faultline_icmp_rtt_seconds",
        "faultline_probe_duration_seconds"}) {
    CHECK_MESSAGE(written.find(std::string("# TYPE ") + family + " ") != std::string::npos, family);
  }
  CHECK(written.find("NaN") == std::string::npos);
}

TEST_CASE("exposition writer: Prometheus parses both texts into the same series and metadata") {
  if (!prometheus_available()) {
    skip_test("prometheus not found (Debian package `prometheus`): no parse by Prometheus");
    return;
  }
  // Four endpoints: TextSerializer's text and the writer's for the edge cases; TextSerializer's
  // text for a fleet of targets, and the same fleet streamed by the real metrics server, which
  // Prometheus scrapes gzipped and chunked.
  const auto families = edge_families(true);
  LoopbackServerOptions reference_edges;
  reference_edges.body = serialize(families);
  LoopbackServerOptions written_edges;
  written_edges.body = write_all(families, 256);
  Fleet fleet(300);
  LoopbackServerOptions reference_fleet;
  reference_fleet.body = serialize(fleet.metrics.collect());
  LoopbackServer ref_edges(reference_edges), our_edges(written_edges), ref_fleet(reference_fleet);
  auto server = MetricsServer::start(ListenAddress{"127.0.0.1", 0, false}, std::nullopt,
                                     [&](ExpositionWriter& out) { fleet.metrics.write(out); });
  REQUIRE_MESSAGE(server, server.error());

  const auto stored =
      scrape_with_prometheus({{"ref_edges", ref_edges.authority()},
                              {"our_edges", our_edges.authority()},
                              {"ref_fleet", ref_fleet.authority()},
                              {"our_fleet", "127.0.0.1:" + std::to_string((*server)->port())}});
  const StoredScrape& re = stored.at("ref_edges");
  const StoredScrape& oe = stored.at("our_edges");
  CHECK(re.samples.size() > 30);
  CHECK(oe.samples == re.samples);
  CHECK(oe.metadata == re.metadata);
  CHECK(re.samples.at("t_temperature_celsius{probe=\"nan\"}") == "NaN");
  CHECK(re.samples.at("t_requests_total{path=\"two\\nlines\",zone=\"eu\"}") == "1e+300");

  // The server adds its own exposer_* series, which TextSerializer's text does not have.
  StoredScrape of = stored.at("our_fleet");
  for (auto* map : {&of.samples, &of.metadata}) {
    std::erase_if(*map, [](const auto& kv) { return kv.first.starts_with("exposer_"); });
  }
  const StoredScrape& rf = stored.at("ref_fleet");
  CHECK(rf.samples.size() > 300 * 15);
  CHECK(of.samples == rf.samples);
  CHECK(of.metadata == rf.metadata);
}
