// The path-trace series of the Prometheus exporter (issue 20):
// faultline_path_last_responding_hop{target} and faultline_path_verdict{target,verdict}, from
// each target's latest trace that ran. Streamed into a scrape by write(); Collect() gives the
// same families as prometheus-cpp objects.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "checks/path_trace.hpp"
#include "exporters/exposition_writer.hpp"
#include "sinks/target_info.hpp"

namespace faultline {

// set_targets() and record() are for the event-loop thread; write() and Collect() may run on any
// thread.
class PathMetrics final : public prometheus::Collectable {
 public:
  // `const_labels` go on every series, and each target's configured labels on its own, as on
  // the exporter's other series.
  explicit PathMetrics(Labels const_labels = {});

  // Forgets the traces of targets not in `targets` (by name).
  void set_targets(const std::vector<const TargetInfo*>& targets);

  // Keeps `trace` as the target's latest, unless it could not run (then it says nothing about
  // the target and the previous one stays).
  void record(const TargetInfo& target, const PathTrace& trace);

  // faultline_path_last_responding_hop: the TTL of the hop the verdict points at (the farthest
  // that answered the SYNs, the one that answered unreachable, or where the port answered);
  // 0 when none did. faultline_path_verdict: 1 for the latest verdict, 0 for the others, all
  // five present. Both absent for a target never traced.
  std::vector<prometheus::MetricFamily> Collect() const override;
  // The same families into a scrape. Only targets traced while down have series, so they are
  // copied out under the lock and written without it: a slow scraper never holds record().
  void write(ExpositionWriter& out) const;

 private:
  struct Latest {
    std::vector<prometheus::ClientMetric::Label> labels;  // of the target's series
    int last_hop = 0;
    PathVerdict verdict = PathVerdict::no_answer;
  };

  const Labels const_labels_;
  mutable std::mutex mutex_;
  std::map<std::string, Latest> latest_;  // by target name
};

}  // namespace faultline
