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
#include <vector>

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

// A target's series labels: `target`, its configured labels that can be exported and the
// constant ones, sorted. `warn`: log each configured label left out (once per target set).
std::vector<ClientMetric::Label> series_labels(const TargetInfo& target, const Labels& constant,
                                               bool warn) {
  std::map<std::string, std::string> sorted(constant.begin(), constant.end());
  for (const auto& [name, value] : target.labels) {
    if (usable_label(name, constant)) {
      sorted.emplace(name, value);
    } else if (warn) {
      spdlog::warn(
          "target {}: label '{}' left out of metrics: not a label name faultline can export",
          target.name, name);
    }
  }
  sorted.emplace("target", target.name);
  std::vector<ClientMetric::Label> out;
  out.reserve(sorted.size());
  for (auto& [name, value] : sorted)
    out.push_back({name, value});
  return out;
}

}  // namespace

// One target's values, in one block. Absent gauges hold kAbsent.
struct TargetMetrics::Series {
  Series(const TargetInfo& target, bool histogram, const Labels& constant)
      : info(target), rendered(render_labels(series_labels(target, constant, true))) {
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
    if (histogram) duration = std::make_unique<prometheus::Histogram>(kDurationBuckets);
  }

  // A copy: the daemon may destroy its object before the next set_targets() compares.
  const TargetInfo info;
  // The inside of a series' braces (series_labels(), render_labels()), rendered once: the one
  // form of the labels kept, as scrapes write it (collect() derives the list again).
  std::string rendered;
  // All classes from the start, at 0: rate() and increase() need a sample before the first
  // failure of a class to see that failure.
  std::array<Value, kAllClasses.size()> probes{};
  Value success;
  Value up;
  std::array<Value, kTimingLayers.size()> phase;
  // The start of the last failed probe of each class. Made at the target's first failure (most
  // targets never fail, and inline it took 88 bytes of each): `failures` owns it and only the
  // loop thread touches that; scrapes read `last_failure`, published once it is filled.
  using FailureTimes = std::array<Value, kAllClasses.size()>;
  std::unique_ptr<FailureTimes> failures;
  std::atomic<const FailureTimes*> last_failure{nullptr};
  Value tls_not_after;
  Value idle_detected, idle_threshold, idle_keepalive;
  // Successful probes slower than degraded_after (from 0 at the start, as `probes`), and 1
  // while the last probe was one of them, else 0 (absent before the first probe).
  Value slow_total{0};
  Value degraded;
  // icmp:// targets: the last probe's loss ratio and average RTT (seconds).
  Value icmp_loss, icmp_rtt;
  // Has its own lock against scrapes. On the heap: histograms are off by default, and inline
  // it took 104 bytes of every target's series either way.
  std::unique_ptr<prometheus::Histogram> duration;
};

namespace {

using Series = TargetMetrics::Series;

// Where one target's samples of a family go: the text of a scrape, or prometheus-cpp families.
class SeriesOut {
 public:
  virtual ~SeriesOut() = default;
  // One sample, with one more label when `extra_name` is given.
  virtual void sample(const Series& s, double value, std::string_view extra_name = {},
                      std::string_view extra_value = {}) = 0;
  virtual void histogram(const Series& s, const prometheus::Histogram& h) = 0;
};

// A gauge that may be absent (kAbsent: its series is left out).
void gauge(SeriesOut& out, const Series& s, const Value& v, std::string_view extra_name = {},
           std::string_view extra_value = {}) {
  const double value = get(v);
  if (!std::isnan(value)) out.sample(s, value, extra_name, extra_value);
}

// A per-target family: its name, help and type, and what one target contributes to it. A new
// family is one more entry in kFamilies; scrapes and collect() both take it from there.
struct TargetFamily {
  std::string_view name;
  std::string_view help;
  MetricType type;
  void (*samples)(const Series& s, SeriesOut& out);
};

// faultline_probes_total stays first: a scrape reads the probe counts before anything else that
// record() set (see there).
const TargetFamily kFamilies[] = {
    {"faultline_probes_total", "Probes finished, by failure class (class=\"ok\" for successes).",
     MetricType::Counter,
     [](const Series& s, SeriesOut& out) {
       for (FailureClass c : kAllClasses)
         out.sample(s, get(s.probes[static_cast<std::size_t>(c)]), "class", to_string(c));
     }},
    {"faultline_probe_success", "1 if the last probe succeeded, 0 if it failed.", MetricType::Gauge,
     [](const Series& s, SeriesOut& out) { gauge(out, s, s.success); }},
    {"faultline_target_up", "Damped target state: 1 up, 0 down; absent while unknown.",
     MetricType::Gauge, [](const Series& s, SeriesOut& out) { gauge(out, s, s.up); }},
    {"faultline_probe_phase_seconds",
     "The last probe's time in each layer; absent for layers it did not reach.", MetricType::Gauge,
     [](const Series& s, SeriesOut& out) {
       for (std::size_t i = 0; i < kTimingLayers.size(); ++i)
         gauge(out, s, s.phase[i], "phase", kTimingLayers[i].name);
     }},
    {"faultline_last_failure_timestamp_seconds",
     "Start time of the last failed probe of each class.", MetricType::Gauge,
     [](const Series& s, SeriesOut& out) {
       const Series::FailureTimes* times = s.last_failure.load(std::memory_order_acquire);
       if (times == nullptr) return;
       for (FailureClass c : kAllClasses)
         gauge(out, s, (*times)[static_cast<std::size_t>(c)], "class", to_string(c));
     }},
    {"faultline_tls_cert_not_after_timestamp_seconds",
     "Expiry (notAfter) of the last certificate the target served.", MetricType::Gauge,
     [](const Series& s, SeriesOut& out) { gauge(out, s, s.tls_not_after); }},
    {"faultline_idle_reset_detected",
     "1 when the idle-connection experiment found a middlebox resetting connections that sit "
     "idle, else 0; absent before the first experiment.",
     MetricType::Gauge, [](const Series& s, SeriesOut& out) { gauge(out, s, s.idle_detected); }},
    {"faultline_idle_reset_threshold_seconds",
     "Longest idle time that survived below the middlebox's threshold (the bracket's lower "
     "bound): keep TCP keepalive shorter than this.",
     MetricType::Gauge, [](const Series& s, SeriesOut& out) { gauge(out, s, s.idle_threshold); }},
    {"faultline_idle_keepalive_verified",
     "1 when TCP keepalive below the threshold kept an idle connection alive in a verification "
     "run, 0 when it did not or was not tried.",
     MetricType::Gauge, [](const Series& s, SeriesOut& out) { gauge(out, s, s.idle_keepalive); }},
    {"faultline_probes_slow_total", "Successful probes slower than the target's degraded_after.",
     MetricType::Counter,
     [](const Series& s, SeriesOut& out) { out.sample(s, get(s.slow_total)); }},
    {"faultline_target_degraded",
     "1 while the last probe was slow (ok, but slower than degraded_after), else 0.",
     MetricType::Gauge, [](const Series& s, SeriesOut& out) { gauge(out, s, s.degraded); }},
    {"faultline_icmp_packet_loss_ratio",
     "Share of the last probe's echo requests that got no reply (0 to 1); icmp:// targets only, "
     "absent when no request could be sent.",
     MetricType::Gauge, [](const Series& s, SeriesOut& out) { gauge(out, s, s.icmp_loss); }},
    {"faultline_icmp_rtt_seconds",
     "Average round trip of the last probe's echo replies; icmp:// targets only, absent when "
     "none came back.",
     MetricType::Gauge, [](const Series& s, SeriesOut& out) { gauge(out, s, s.icmp_rtt); }},
    {"faultline_probe_duration_seconds", "Probe durations, all layers together.",
     MetricType::Histogram,
     [](const Series& s, SeriesOut& out) {
       if (s.duration) out.histogram(s, *s.duration);
     }},
};

// Into a scrape's text.
class TextOut final : public SeriesOut {
 public:
  explicit TextOut(ExpositionWriter& w) : w_(w) {}
  void sample(const Series& s, double value, std::string_view extra_name,
              std::string_view extra_value) override {
    w_.sample(s.rendered, value, extra_name, extra_value);
  }
  void histogram(const Series& s, const prometheus::Histogram& h) override {
    w_.histogram(s.rendered, h.Collect().histogram);
  }

 private:
  ExpositionWriter& w_;
};

// Into a prometheus-cpp family.
class FamilyOut final : public SeriesOut {
 public:
  FamilyOut(MetricFamily& f, const Labels& constant) : f_(f), constant_(constant) {}
  void sample(const Series& s, double value, std::string_view extra_name,
              std::string_view extra_value) override {
    ClientMetric& m = f_.metric.emplace_back();
    m.label = series_labels(s.info, constant_, false);
    if (!extra_name.empty()) m.label.push_back({std::string(extra_name), std::string(extra_value)});
    if (f_.type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
  }
  void histogram(const Series& s, const prometheus::Histogram& h) override {
    ClientMetric m = h.Collect();
    m.label = series_labels(s.info, constant_, false);
    f_.metric.push_back(std::move(m));
  }

 private:
  MetricFamily& f_;
  const Labels& constant_;
};

}  // namespace

TargetMetrics::TargetMetrics(bool histograms, Labels const_labels)
    : histograms_(histograms), const_labels_(std::move(const_labels)) {}

TargetMetrics::~TargetMetrics() = default;

void TargetMetrics::set_targets(const std::vector<const TargetInfo*>& targets) {
  // Match by name, not address: the daemon may have freed the old objects and put another
  // target at a reused address.
  std::unordered_map<std::string_view, const TargetInfo*> old_key;
  for (const auto& [key, series] : series_)
    old_key.emplace(series->info.name, key);

  // Scrapes never look at series_ (only this thread does), so it is rebuilt without a lock;
  // they walk the roster, which is swapped whole below.
  std::unordered_map<const TargetInfo*, std::shared_ptr<Series>> fresh;
  auto roster = std::make_shared<Roster>();
  roster->reserve(targets.size());
  std::unordered_set<std::string_view> seen;
  for (const TargetInfo* t : targets) {
    if (!seen.insert(t->name).second) continue;
    auto old = old_key.find(t->name);
    std::shared_ptr<Series> s;
    if (old != old_key.end() && series_.at(old->second)->info == *t) {
      s = series_.at(old->second);
    } else {
      s = std::make_shared<Series>(*t, histograms_, const_labels_);
    }
    roster->push_back(s);
    fresh.emplace(t, std::move(s));
  }
  series_.swap(fresh);
  std::shared_ptr<const Roster> gone;
  {
    std::lock_guard lock(mutex_);
    gone = std::exchange(roster_, std::move(roster));
  }
  // The previous roster goes here, outside the lock; the series of removed targets live on
  // until the last scrape walking them has finished.
}

std::shared_ptr<const TargetMetrics::Roster> TargetMetrics::roster() const {
  std::lock_guard lock(mutex_);
  return roster_;
}

void TargetMetrics::record(const TargetInfo& target, const ProbeResult& result) {
  auto it = series_.find(&target);
  if (it == series_.end()) return;
  Series& s = *it->second;
  const auto cls = static_cast<std::size_t>(result.cls);
  if (cls >= kAllClasses.size()) return;

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
  if (!result.ok()) {
    if (!s.failures) {
      s.failures = std::make_unique<Series::FailureTimes>();
      for (Value& v : *s.failures)
        v = kAbsent;
      s.last_failure.store(s.failures.get(), std::memory_order_release);
    }
    set((*s.failures)[cls], static_cast<double>(result.started_at_ms) / 1000.0);
  }
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
  // Counted last, and released: a scrape reads faultline_probes_total first (then a fence), so
  // one that counts this probe also shows everything else it set. Without the order, a scrape
  // between the two could count a probe whose phase times or last failure were not there yet.
  Value& count = s.probes[cls];
  count.store(get(count) + 1, std::memory_order_release);
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

void TargetMetrics::write(ExpositionWriter& out) const {
  const std::shared_ptr<const Roster> targets = roster();
  if (!targets) return;
  TextOut text(out);
  for (const TargetFamily& f : kFamilies) {
    out.begin_family(f.name, f.help, f.type, FamilyHeader::with_first_sample);
    for (const auto& s : *targets) {
      f.samples(*s, text);
      if (!out.ok()) return;
    }
    // Pairs with record()'s release of the probe count (the first family).
    std::atomic_thread_fence(std::memory_order_acquire);
  }
}

std::vector<MetricFamily> TargetMetrics::collect() const {
  const std::shared_ptr<const Roster> targets = roster();
  std::vector<MetricFamily> out;
  for (const TargetFamily& f : kFamilies) {
    MetricFamily family{std::string(f.name), std::string(f.help), f.type, {}};
    FamilyOut into(family, const_labels_);
    if (targets) {
      for (const auto& s : *targets)
        f.samples(*s, into);
    }
    std::atomic_thread_fence(std::memory_order_acquire);  // as in write()
    if (!family.metric.empty()) out.push_back(std::move(family));
  }
  return out;
}

}  // namespace faultline
