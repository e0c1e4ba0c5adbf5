// The per-target series of the Prometheus exporter, as one prometheus-cpp Collectable.
//
// Why not prometheus-cpp Families: Family::Remove scans every series of the family, so dropping
// a target costs time proportional to the whole fleet (a reload dropping 500 of 5,000 targets
// took 18 s on the loop thread), and so does every probe that reaches fewer layers than the one
// before (its phase series go). Here each target owns one block of values: adding, updating and
// removing a target, or a series of it, costs the same at any fleet size.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "checks/idle_bracket.hpp"
#include "checks/probe_result.hpp"
#include "sinks/target_info.hpp"
#include "sinks/target_state.hpp"

namespace faultline {

// set_targets(), record() and set_state() are for the event-loop thread only; Collect() may
// run on any thread at the same time (the exposer's HTTP threads do).
class TargetMetrics final : public prometheus::Collectable {
 public:
  // `histograms` adds faultline_probe_duration_seconds for every target; `const_labels` go on
  // every series (valid label names, none of target, class, phase, le).
  explicit TargetMetrics(bool histograms, Labels const_labels = {});
  ~TargetMetrics() override;
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

  // The families faultline_probes_total, faultline_probe_success, faultline_target_up,
  // faultline_probe_phase_seconds, faultline_last_failure_timestamp_seconds,
  // faultline_tls_cert_not_after_timestamp_seconds, faultline_probes_slow_total,
  // faultline_target_degraded, faultline_icmp_packet_loss_ratio, faultline_icmp_rtt_seconds
  // and (with histograms)
  // faultline_probe_duration_seconds; a family without series is left out.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Series;

  const bool histograms_;
  const Labels const_labels_;
  // Written only by the loop thread, always under `mutex_`; read by the loop thread without it
  // (no other thread writes) and by Collect() with it.
  std::unordered_map<const TargetInfo*, std::unique_ptr<Series>> series_;
  mutable std::mutex mutex_;
};

}  // namespace faultline
