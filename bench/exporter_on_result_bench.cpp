// What PrometheusExporter::on_result costs per probe, the number issue 6 budgets at a few hundred
// nanoseconds. Usage: exporter_on_result_bench [TARGETS [UPDATES_PER_TARGET]]
//
// Three result streams: every probe ok (all five layers timed, a certificate), every probe
// refused (the same three layers each time), and ok and refused alternating, which takes the
// tls and first_byte phase series away and back on every probe. Then one reload that drops a
// tenth of the targets. The last two are what ruled out prometheus-cpp Families for per-target
// series (see exporters/target_metrics.hpp): Family::Remove scans the whole family, which made
// them cost microseconds to seconds, growing with the fleet.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "exporters/prometheus_exporter.hpp"

using namespace faultline;

namespace {

ProbeResult ok_result() {
  ProbeResult r;
  r.timings = {1.5, 2.0, 3.0, 4.0, 10.5};
  r.tls = TlsInfo{"TLSv1.3", "CN=x", "CN=ca", 1'900'000'000, 1'700'000'000};
  r.started_at_ms = 1'700'000'000'000;
  return r;
}

ProbeResult refused_result() {
  ProbeResult r;
  r.cls = FailureClass::refused;
  r.phase = Phase::connect;
  r.timings.dns_ms = 0.1;
  r.timings.connect_ms = 0.2;
  r.timings.total_ms = 0.3;
  r.started_at_ms = 1'700'000'000'000;
  return r;
}

// Feeds `updates` results to every target, target by target like a real schedule, and returns
// nanoseconds per on_result call.
double measure(PrometheusExporter& exporter, const std::vector<TargetInfo>& targets, int updates,
               const std::vector<ProbeResult>& cycle) {
  auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < updates; ++i) {
    const ProbeResult& r = cycle[static_cast<std::size_t>(i) % cycle.size()];
    for (const TargetInfo& t : targets)
      exporter.on_result(t, r);
  }
  std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - begin;
  return took.count() / (static_cast<double>(updates) * static_cast<double>(targets.size()));
}

}  // namespace

int main(int argc, char** argv) {
  const int target_count = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int updates = argc > 2 ? std::atoi(argv[2]) : 200;
  if (target_count <= 0 || updates <= 0) {
    std::fprintf(stderr, "usage: %s [TARGETS [UPDATES_PER_TARGET]]\n", argv[0]);
    return 2;
  }
  std::vector<TargetInfo> targets;
  targets.reserve(static_cast<std::size_t>(target_count));  // addresses must stay put
  for (int i = 0; i < target_count; ++i) {
    targets.push_back({"target-" + std::to_string(i),
                       "https://192.0.2.1/",
                       Scheme::https,
                       {{"env", "prod"}, {"team", "team-" + std::to_string(i % 7)}}});
  }
  std::vector<const TargetInfo*> set;
  set.reserve(targets.size());
  for (const TargetInfo& t : targets)
    set.push_back(&t);

  std::printf("%d targets, %d updates each; ns per on_result:\n", target_count, updates);
  for (bool histograms : {false, true}) {
    ExporterOptions options;
    options.listen = "127.0.0.1:0";
    options.histograms = histograms;
    auto exporter = PrometheusExporter::start(options);
    if (!exporter) {
      std::fprintf(stderr, "%s\n", exporter.error().c_str());
      return 1;
    }
    (*exporter)->on_targets(set);
    // The first pass creates the lazily added series; measure the steady state after it.
    measure(**exporter, targets, 2, {ok_result(), refused_result()});
    std::printf("  histograms %-3s  ok %6.0f   refused %6.0f   ok/refused alternating %8.0f\n",
                histograms ? "on" : "off", measure(**exporter, targets, updates, {ok_result()}),
                measure(**exporter, targets, updates, {refused_result()}),
                measure(**exporter, targets, updates, {ok_result(), refused_result()}));
    std::vector<const TargetInfo*> kept(set.begin(), set.end() - target_count / 10);
    auto begin = std::chrono::steady_clock::now();
    (*exporter)->on_targets(kept);
    std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - begin;
    std::printf("  histograms %-3s  reload dropping %d targets: %.1f ms\n",
                histograms ? "on" : "off", target_count / 10, took.count());
  }
  return 0;
}
