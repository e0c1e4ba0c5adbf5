#include "exporters/path_metrics.hpp"

#include <prometheus/check_names.h>

#include <algorithm>
#include <set>

#include "exporters/own_labels.hpp"

namespace faultline {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// The labels of a target's series, as TargetMetrics puts them on its own: the constant ones,
// the target's configured labels that can be exported (TargetMetrics warns about the others),
// and `target`, sorted.
std::vector<ClientMetric::Label> series_labels(const TargetInfo& target, const Labels& constant) {
  std::map<std::string, std::string> sorted(constant.begin(), constant.end());
  for (const auto& label : target.labels) {
    const std::string& name = label.first;
    const bool is_constant = std::any_of(constant.begin(), constant.end(),
                                         [&](const auto& c) { return c.first == name; });
    if (!set_on_target_series(name) && !is_constant && prometheus::CheckLabelName(name)) {
      sorted.emplace(name, label.second);
    }
  }
  sorted.emplace("target", target.name);
  std::vector<ClientMetric::Label> out;
  for (const auto& [name, value] : sorted)
    out.push_back({name, value});
  return out;
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
  latest_[target.name] =
      Latest{series_labels(target, const_labels_), f.last_hop ? f.last_hop->ttl : 0, f.verdict};
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
      ClientMetric& h = hop.metric.emplace_back();
      h.label = latest.labels;
      h.gauge.value = latest.last_hop;
      for (std::string_view name : kPathVerdictNames) {
        ClientMetric& m = verdict.metric.emplace_back();
        m.label = latest.labels;
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

void PathMetrics::write(ExpositionWriter& out) const {
  for (const MetricFamily& f : Collect())
    out.family(f);
}

}  // namespace faultline
