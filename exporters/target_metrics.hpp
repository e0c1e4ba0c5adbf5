// The per-target series of the Prometheus exporter, written straight into a scrape's text.
//
// Why not prometheus-cpp Families: Family::Remove scans every series of the family, so dropping
// a target costs time proportional to the whole fleet (a reload dropping 500 of 5,000 targets
// took 18 s on the loop thread), and so does every probe that reaches fewer layers than the one
// before (its phase series go). Here each target owns one block of values: adding, updating and
// removing a target, or a series of it, costs the same at any fleet size.
//
// Why not prometheus-cpp's Collectable: Collect() materialises every sample as a ClientMetric
// and the exposer then builds the whole text before sending it (826 MB RSS for a scrape of
// 100,000 targets). write() streams the families straight from the values instead.
//
// Concurrency (the loop thread must never wait on a scraper, however slow it reads):
// - The values are atomics: the loop thread stores, a scrape loads, neither locks.
// - A histogram (faultline_probe_duration_seconds) has prometheus-cpp's own mutex: the loop holds
//   it for one Observe(), a scrape for one copy of 13 buckets, per target; never across I/O.
// - The target set a scrape walks is an immutable list of shared series (the roster), which
//   set_targets() builds without a lock and then swaps in whole. `mutex_` guards only that
//   pointer: the loop holds it for the swap, a scrape for a copy of the pointer. The scrape
//   then walks its copy and writes to the socket with no lock held, so it sees one target set
//   from one moment, whole; the series of targets removed meanwhile live until it ends.
// Memory: a scrape holds a reference to its roster and one chunk of text (exposition_writer).
#pragma once

#include <prometheus/metric_family.h>

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "checks/idle_bracket.hpp"
#include "checks/probe_result.hpp"
#include "exporters/exposition_writer.hpp"
#include "sinks/target_info.hpp"
#include "sinks/target_state.hpp"

namespace faultline {

// set_targets(), record() and set_state() are for the event-loop thread only; write() and
// collect() may run on any thread at the same time (the HTTP server's threads do).
class TargetMetrics final {
 public:
  // `histograms` adds faultline_probe_duration_seconds for every target; `const_labels` go on
  // every series (valid label names, none of target, class, phase, le).
  explicit TargetMetrics(bool histograms, Labels const_labels = {});
  ~TargetMetrics();
  TargetMetrics(const TargetMetrics&) = delete;
  TargetMetrics& operator=(const TargetMetrics&) = delete;

  // Replaces the target set. A target is matched to the previous set by name: an equal
  // TargetInfo keeps its values (counters continue); a changed or new one starts with fresh
  // values under its current labels; targets not in `targets` are forgotten. Later duplicates
  // of a name are ignored. Configured labels that are not valid Prometheus label names, or that
  // faultline sets itself (target, class, phase, le and the constant labels), are left out with
  // a warning in the log.
  void set_targets(const std::vector<const TargetInfo*>& targets);

  // The targets known now.
  std::size_t size() const { return series_.size(); }

  // Counts the probe under its class and sets the last-probe values. Ignored for a target not
  // in the current set.
  void record(const TargetInfo& target, const ProbeResult& result);

  // faultline_target_up: 1 for up, 0 for down, absent for unknown. Ignored for unknown targets.
  void set_state(const TargetInfo& target, TargetState state);

  // faultline_idle_reset_detected (1 when a middlebox resets idle connections, else 0),
  // faultline_idle_reset_threshold_seconds (the bracket's lower bound, only while detected) and
  // faultline_idle_keepalive_verified (1 when keepalive fixed it in a verification run, else
  // 0; only while detected). Ignored for unknown targets.
  void set_idle_finding(const TargetInfo& target, const IdleFinding& finding);

  // Writes the families faultline_probes_total, faultline_probe_success, faultline_target_up,
  // faultline_probe_phase_seconds, faultline_last_failure_timestamp_seconds,
  // faultline_tls_cert_not_after_timestamp_seconds, the idle-finding gauges,
  // faultline_probes_slow_total, faultline_target_degraded, faultline_icmp_packet_loss_ratio,
  // faultline_icmp_rtt_seconds and (with histograms) faultline_probe_duration_seconds to `out`,
  // family by family (kFamilies in target_metrics.cpp: a new family is one entry there),
  // targets in the order set_targets() gave them; a family without series is left out. Stops
  // early once `out` is no longer ok().
  void write(ExpositionWriter& out) const;

  // The same series as write() as prometheus-cpp families, for holding the text it writes
  // against prometheus-cpp's TextSerializer (tests/exposition_writer_test.cpp).
  std::vector<prometheus::MetricFamily> collect() const;

  struct Series;  // one target's values (target_metrics.cpp)
  using Roster = std::vector<std::shared_ptr<const Series>>;

 private:
  // The current roster; a pointer copy under `mutex_`.
  std::shared_ptr<const Roster> roster() const;

  const bool histograms_;
  const Labels const_labels_;
  // Read and written by the loop thread only.
  std::unordered_map<const TargetInfo*, std::shared_ptr<Series>> series_;
  // The same series in set_targets() order, for scrapes. Replaced, never changed, under
  // `mutex_`.
  std::shared_ptr<const Roster> roster_;
  mutable std::mutex mutex_;
};

}  // namespace faultline
