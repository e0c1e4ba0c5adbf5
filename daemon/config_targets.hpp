// The `targets:` list: each target's name, url, idle_probe and settings, merged with
// `defaults:` and checked for consistency.
#pragma once

#include <yaml-cpp/yaml.h>

#include <vector>

#include "daemon/config.hpp"
#include "daemon/config_reader.hpp"
#include "daemon/config_settings.hpp"

namespace faultline {

// Reads the value of `targets:` (a list, or nothing for none) into `out`, in order. Only
// targets without errors are added; each problem is reported to `r`.
void read_targets(ConfigReader& r, const YAML::Node& list, const Settings& defaults,
                  std::vector<TargetConfig>& out);

}  // namespace faultline
