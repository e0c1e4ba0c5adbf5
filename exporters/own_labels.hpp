// The label names faultline puts on series itself, in one table for everyone who must keep clear
// of them: the exporter (it refuses a clashing constant label and leaves out a clashing target
// label) and the config (it refuses such a target label with a positioned error).
#pragma once

#include <string_view>

namespace faultline {

// Which series carry a label faultline sets.
enum class OwnLabelScope {
  target_series,   // the series of each target
  every_series,    // per-target and process series alike (histogram buckets)
  process_series,  // the process's own series only (faultline_build_info)
  constant,        // a constant label the daemon may put on every series (cluster.vantage)
};

struct OwnLabel {
  std::string_view name;
  OwnLabelScope scope;
};

inline constexpr OwnLabel kOwnLabels[] = {
    {"target", OwnLabelScope::target_series},   {"class", OwnLabelScope::target_series},
    {"phase", OwnLabelScope::target_series},    {"le", OwnLabelScope::every_series},
    {"version", OwnLabelScope::process_series}, {"vantage", OwnLabelScope::constant},
    {"verdict", OwnLabelScope::target_series},
};

// True when the exporter sets `name` itself on a target's series, so a target label of that
// name cannot be exported.
constexpr bool set_on_target_series(std::string_view name) {
  for (const OwnLabel& l : kOwnLabels) {
    if (l.name == name) {
      return l.scope == OwnLabelScope::target_series || l.scope == OwnLabelScope::every_series;
    }
  }
  return false;
}

// True when a target's own label `name` would clash with one faultline may put on its series:
// those above, and the constant labels, whether or not this config sets them.
constexpr bool reserved_for_target_labels(std::string_view name) {
  for (const OwnLabel& l : kOwnLabels) {
    if (l.name == name) return l.scope != OwnLabelScope::process_series;
  }
  return false;
}

// True when a constant label `name` would give some series that label twice. The constant
// labels themselves (vantage) are what constant labels are for.
constexpr bool clashes_with_constant_label(std::string_view name) {
  for (const OwnLabel& l : kOwnLabels) {
    if (l.name == name) return l.scope != OwnLabelScope::constant;
  }
  return false;
}

}  // namespace faultline
