// What a sink knows of a monitored target: its name, URL, kind and configured labels.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "checks/target_url.hpp"

namespace faultline {

// Label name -> value, sorted by name, as configured under a target's `labels:`.
using Labels = std::vector<std::pair<std::string, std::string>>;

// What consumers know of a target. The daemon keeps each TargetInfo at a stable address for as
// long as the target is configured unchanged, so a sink may key its own per-target data on the
// address as well as on the name.
struct TargetInfo {
  std::string name;
  std::string url;  // normalised URL text
  Scheme kind = Scheme::http;
  Labels labels;

  bool operator==(const TargetInfo&) const = default;
};

}  // namespace faultline
