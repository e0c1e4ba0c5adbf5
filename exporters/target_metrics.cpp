#include "exporters/target_metrics.hpp"

#include <prometheus/check_names.h>
#include <prometheus/histogram.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "exporters/own_labels.hpp"

namespace faultline {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// The layers of Timings, under the `phase` label of faultline_probe_phase_seconds. These are
// timing layers, not Phase values: a probe that failed in Phase::response may still have a
// first_byte time.
struct TimingLayer {
  std::string_view name;
  std::optional<double> Timings::*ms;
};
constexpr std::array kTimingLayers = {
    TimingLayer{"dns", &Timings::dns_ms},     TimingLayer{"connect", &Timings::connect_ms},
    TimingLayer{"tls", &Timings::tls_ms},     TimingLayer{"first_byte", &Timings::first_byte_ms},
    TimingLayer{"total", &Timings::total_ms},
};

// Probe durations: the Prometheus client defaults, plus 30s because a probe may run up to its
// timeout, which may be anything below the interval.
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

// A gauge value that is not there: its series is left out of the scrape. Real values are never
// NaN (timings and timestamps are finite).
constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();

using Value = std::atomic<double>;

// Only the loop thread writes, so a load and a store do what a compare-and-swap loop would.
void add(Value& v, double delta) {
  v.store(v.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

void set(Value& v, double value) {
  v.store(value, std::memory_order_relaxed);
}

double get(const Value& v) {
  return v.load(std::memory_order_relaxed);
}

bool usable_label(const std::string& name, const Labels& constant) {
  if (set_on_target_series(name)) return false;
  for (const auto& [own, value] : constant)
    if (name == own) return false;
  return prometheus::CheckLabelName(name);
}

MetricFamily family(std::string name, std::string help, MetricType type) {
  return {std::move(name), std::move(help), type, {}};
}

// A sample for `labels`, plus one more label when `extra_name` is given.
ClientMetric& add_metric(MetricFamily& f, const std::vector<ClientMetric::Label>& labels,
                         std::string_view extra_name = {}, std::string_view extra_value = {}) {
  ClientMetric& m = f.metric.emplace_back();
  m.label = labels;
  if (!extra_name.empty()) m.label.push_back({std::string(extra_name), std::string(extra_value)});
  return m;
}

void add_gauge(MetricFamily& f, const std::vector<ClientMetric::Label>& labels, const Value& v,
               std::string_view extra_name = {}, std::string_view extra_value = {}) {
  double value = get(v);
  if (std::isnan(value)) return;
  add_metric(f, labels, extra_name, extra_value).gauge.value = value;
}

// faultline_probes_slow_total and faultline_target_degraded (degraded_after), without series.
std::pair<MetricFamily, MetricFamily> slow_families() {
  return {family("faultline_probes_slow_total",
                 "Successful probes slower than the target's degraded_after.", MetricType::Counter),
          family("faultline_target_degraded",
                 "1 while the last probe was slow (ok, but slower than degraded_after), else 0.",
                 MetricType::Gauge)};
}

// faultline_icmp_packet_loss_ratio and faultline_icmp_rtt_seconds (icmp:// targets only),
// without series.
std::pair<MetricFamily, MetricFamily> icmp_families() {
  return {family("faultline_icmp_packet_loss_ratio",
                 "Share of the last probe's echo requests that got no reply (0 to 1); icmp:// "
                 "targets only, absent when no request could be sent.",
                 MetricType::Gauge),
          family("faultline_icmp_rtt_seconds",
                 "Average round trip of the last probe's echo replies; icmp:// targets only, "
                 "absent when none came back.",
                 MetricType::Gauge)};
}

}  // namespace

// One target's values, in one block. Absent gauges hold kAbsent.
struct TargetMetrics::Series {
  Series(const TargetInfo& target, bool histogram, const Labels& constant) : info(target) {
    std::map<std::string, std::string> sorted(constant.begin(), constant.end());
    for (const auto& [name, value] : target.labels) {
      if (usable_label(name, constant)) {
        sorted.emplace(name, value);
      } else {
        spdlog::warn(
            "target {}: label '{}' left out of metrics: not a label name faultline can "
            "export",
            target.name, name);
      }
    }
    sorted.emplace("target", target.name);
    for (auto& [name, value] : sorted)
      labels.push_back({name, value});
    success = kAbsent;
    up = kAbsent;
    tls_not_after = kAbsent;
    idle_detected = kAbsent;
    idle_threshold = kAbsent;
    idle_keepalive = kAbsent;
    degraded = kAbsent;
    icmp_loss = kAbsent;
    icmp_rtt = kAbsent;
    for (Value& v : phase)
      v = kAbsent;
    for (Value& v : last_failure)
      v = kAbsent;
    if (histogram) duration.emplace(kDurationBuckets);
  }

  // A copy: the daemon may destroy its object before the next set_targets() compares.
  const TargetInfo info;
  // `target`, the configured labels and the constant ones, sorted.
  std::vector<ClientMetric::Label> labels;
  // All classes from the start, at 0: rate() and increase() need a sample before the first
  // failure of a class to see that failure.
  std::array<Value, kAllClasses.size()> probes{};
  Value success;
  Value up;
  std::array<Value, kTimingLayers.size()> phase;
  std::array<Value, kAllClasses.size()> last_failure;
  Value tls_not_after;
  Value idle_detected, idle_threshold, idle_keepalive;
  // Successful probes slower than degraded_after (from 0 at the start, as `probes`), and 1
  // while the last probe was one of them, else 0 (absent before the first probe).
  Value slow_total{0};
  Value degraded;
  // icmp:// targets: the last probe's loss ratio and average RTT (seconds).
  Value icmp_loss, icmp_rtt;
  std::optional<prometheus::Histogram> duration;  // has its own lock against Collect()
};

TargetMetrics::TargetMetrics(bool histograms, Labels const_labels)
    : histograms_(histograms), const_labels_(std::move(const_labels)) {}

TargetMetrics::~TargetMetrics() = default;

void TargetMetrics::set_targets(const std::vector<const TargetInfo*>& targets) {
  // Match by name, not address: the daemon may have freed the old objects and put another
  // target at a reused address.
  std::unordered_map<std::string_view, const TargetInfo*> old_key;
  for (const auto& [key, series] : series_)
    old_key.emplace(series->info.name, key);

  // Build the new table without the lock (only this thread writes series_), so a scrape
  // waits only for the swap below.
  std::unordered_map<const TargetInfo*, const TargetInfo*> kept;  // new address -> old
  std::unordered_map<const TargetInfo*, std::unique_ptr<Series>> fresh;
  std::unordered_set<std::string_view> seen;
  for (const TargetInfo* t : targets) {
    if (!seen.insert(t->name).second) continue;
    auto old = old_key.find(t->name);
    if (old != old_key.end() && series_.at(old->second)->info == *t) {
      kept.emplace(t, old->second);
    } else {
      fresh.emplace(t, std::make_unique<Series>(*t, histograms_, const_labels_));
    }
  }

  std::unordered_map<const TargetInfo*, std::unique_ptr<Series>> gone;
  {
    std::lock_guard lock(mutex_);
    for (auto& [now, before] : kept)
      fresh.emplace(now, std::move(series_.at(before)));
    gone.swap(series_);
    series_.swap(fresh);
  }
  // `gone` (the removed targets' values, and empty slots of the kept ones) is freed here,
  // outside the lock.
}

void TargetMetrics::record(const TargetInfo& target, const ProbeResult& result) {
  auto it = series_.find(&target);
  if (it == series_.end()) return;
  Series& s = *it->second;
  const auto cls = static_cast<std::size_t>(result.cls);
  if (cls >= kAllClasses.size()) return;

  add(s.probes[cls], 1);
  set(s.success, result.ok() ? 1 : 0);
  if (result.slow) add(s.slow_total, 1);
  set(s.degraded, result.slow ? 1 : 0);
  for (std::size_t i = 0; i < kTimingLayers.size(); ++i) {
    const std::optional<double>& ms = result.timings.*kTimingLayers[i].ms;
    // A layer the probe did not reach has no time. Leaving its series out (rather than keeping
    // the previous probe's time, or exporting NaN, which poisons sum() and avg()) makes PromQL
    // see exactly the layers this probe went through.
    set(s.phase[i], ms ? *ms / 1000.0 : kAbsent);
  }
  if (!result.ok()) set(s.last_failure[cls], static_cast<double>(result.started_at_ms) / 1000.0);
  // A probe that failed before the handshake says nothing about the certificate, so the last
  // one seen stays: an expiry alert must not resolve because the target went down.
  if (result.tls && result.tls->not_after) {
    set(s.tls_not_after, static_cast<double>(*result.tls->not_after));
  }
  if (s.duration && result.timings.total_ms) s.duration->Observe(*result.timings.total_ms / 1000.0);
  if (result.icmp) {
    const IcmpStats& icmp = *result.icmp;
    set(s.icmp_loss, icmp.sent > 0 ? icmp.loss_ratio() : kAbsent);
    set(s.icmp_rtt, icmp.avg_ms ? *icmp.avg_ms / 1000.0 : kAbsent);
  }
}

void TargetMetrics::set_state(const TargetInfo& target, TargetState state) {
  auto it = series_.find(&target);
  if (it == series_.end()) return;
  set(it->second->up, state == TargetState::up ? 1 : state == TargetState::down ? 0 : kAbsent);
}

void TargetMetrics::set_idle_finding(const TargetInfo& target, const IdleFinding& finding) {
  auto it = series_.find(&target);
  if (it == series_.end()) return;
  Series& s = *it->second;
  const bool detected = finding.kind == IdleFindingKind::middlebox_reset;
  set(s.idle_detected, detected ? 1 : 0);
  set(s.idle_threshold, detected ? finding.threshold_low_s : kAbsent);
  set(s.idle_keepalive,
      detected ? (finding.keepalive_verified == KeepaliveVerdict::yes ? 1 : 0) : kAbsent);
}

std::vector<MetricFamily> TargetMetrics::Collect() const {
  MetricFamily probes = family("faultline_probes_total",
                               "Probes finished, by failure class (class=\"ok\" for successes).",
                               MetricType::Counter);
  MetricFamily success =
      family("faultline_probe_success", "1 if the last probe succeeded, 0 if it failed.",
             MetricType::Gauge);
  MetricFamily up =
      family("faultline_target_up", "Damped target state: 1 up, 0 down; absent while unknown.",
             MetricType::Gauge);
  MetricFamily phase =
      family("faultline_probe_phase_seconds",
             "The last probe's time in each layer; absent for layers it did not reach.",
             MetricType::Gauge);
  MetricFamily last_failure =
      family("faultline_last_failure_timestamp_seconds",
             "Start time of the last failed probe of each class.", MetricType::Gauge);
  MetricFamily tls =
      family("faultline_tls_cert_not_after_timestamp_seconds",
             "Expiry (notAfter) of the last certificate the target served.", MetricType::Gauge);
  MetricFamily idle_detected =
      family("faultline_idle_reset_detected",
             "1 when the idle-connection experiment found a middlebox resetting connections "
             "that sit idle, else 0; absent before the first experiment.",
             MetricType::Gauge);
  MetricFamily idle_threshold =
      family("faultline_idle_reset_threshold_seconds",
             "Longest idle time that survived below the middlebox's threshold (the bracket's "
             "lower bound): keep TCP keepalive shorter than this.",
             MetricType::Gauge);
  MetricFamily idle_keepalive =
      family("faultline_idle_keepalive_verified",
             "1 when TCP keepalive below the threshold kept an idle connection alive in a "
             "verification run, 0 when it did not or was not tried.",
             MetricType::Gauge);
  auto [slow, degraded] = slow_families();
  auto [icmp_loss, icmp_rtt] = icmp_families();
  MetricFamily duration = family("faultline_probe_duration_seconds",
                                 "Probe durations, all layers together.", MetricType::Histogram);

  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, series] : series_) {
      const Series& s = *series;
      for (FailureClass c : kAllClasses) {
        add_metric(probes, s.labels, "class", to_string(c)).counter.value =
            get(s.probes[static_cast<std::size_t>(c)]);
      }
      add_gauge(success, s.labels, s.success);
      add_gauge(up, s.labels, s.up);
      for (std::size_t i = 0; i < kTimingLayers.size(); ++i)
        add_gauge(phase, s.labels, s.phase[i], "phase", kTimingLayers[i].name);
      for (FailureClass c : kAllClasses) {
        add_gauge(last_failure, s.labels, s.last_failure[static_cast<std::size_t>(c)], "class",
                  to_string(c));
      }
      add_gauge(tls, s.labels, s.tls_not_after);
      add_gauge(idle_detected, s.labels, s.idle_detected);
      add_gauge(idle_threshold, s.labels, s.idle_threshold);
      add_gauge(idle_keepalive, s.labels, s.idle_keepalive);
      add_metric(slow, s.labels).counter.value = get(s.slow_total);
      add_gauge(degraded, s.labels, s.degraded);
      add_gauge(icmp_loss, s.labels, s.icmp_loss);
      add_gauge(icmp_rtt, s.labels, s.icmp_rtt);
      if (s.duration) {
        ClientMetric m = s.duration->Collect();
        m.label = s.labels;
        duration.metric.push_back(std::move(m));
      }
    }
  }
  std::vector<MetricFamily> out;
  for (MetricFamily* f :
       {&probes, &success, &up, &phase, &last_failure, &tls, &idle_detected, &idle_threshold,
        &idle_keepalive, &slow, &degraded, &icmp_loss, &icmp_rtt, &duration}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace faultline
