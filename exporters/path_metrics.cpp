#include "exporters/path_metrics.hpp"

#include <set>

namespace faultline {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric& add(MetricFamily& family, const Labels& constant, const std::string& target) {
  ClientMetric& m = family.metric.emplace_back();
  std::map<std::string, std::string> sorted(constant.begin(), constant.end());
  sorted.emplace("target", target);
  for (const auto& [name, value] : sorted)
    m.label.push_back({name, value});
  return m;
}

}  // namespace

PathMetrics::PathMetrics(Labels const_labels) : const_labels_(std::move(const_labels)) {}

void PathMetrics::set_targets(const std::vector<const TargetInfo*>& targets) {
  std::set<std::string> names;
  for (const TargetInfo* t : targets)
    names.insert(t->name);
  std::lock_guard lock(mutex_);
  std::erase_if(latest_, [&](const auto& entry) { return names.count(entry.first) == 0; });
}

void PathMetrics::record(const TargetInfo& target, const PathTrace& trace) {
  if (!trace.ran()) return;
  const PathFindings& f = trace.findings;
  std::lock_guard lock(mutex_);
  latest_[target.name] = Latest{f.last_hop ? f.last_hop->ttl : 0, f.verdict};
}

std::vector<MetricFamily> PathMetrics::Collect() const {
  MetricFamily hop{"faultline_path_last_responding_hop",
                   "TTL of the hop the latest path trace's verdict points at (0: none answered).",
                   MetricType::Gauge,
                   {}};
  MetricFamily verdict{"faultline_path_verdict",
                       "1 for the latest path trace's verdict, 0 for the others.",
                       MetricType::Gauge,
                       {}};
  {
    std::lock_guard lock(mutex_);
    for (const auto& [target, latest] : latest_) {
      add(hop, const_labels_, target).gauge.value = latest.last_hop;
      for (std::string_view name : kPathVerdictNames) {
        ClientMetric& m = add(verdict, const_labels_, target);
        m.label.push_back({"verdict", std::string(name)});
        m.gauge.value = name == to_string(latest.verdict) ? 1 : 0;
      }
    }
  }
  std::vector<MetricFamily> out;
  if (!hop.metric.empty()) {
    out.push_back(std::move(hop));
    out.push_back(std::move(verdict));
  }
  return out;
}

}  // namespace faultline
