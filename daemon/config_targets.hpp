// The `targets:` list: each target's name, url, idle_probe and settings, merged with
// `defaults:` and checked for consistency.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/config_reader.hpp"
#include "daemon/config_settings.hpp"

namespace faultline {

// Reads the targets of one list, one item at a time, into `out` in order: only targets without
// errors are added, each problem is reported to `r`, and a name used twice is an error
// however the items are handed in (a whole list, or one slice of the file each). A target
// equal to the one of its name in `reuse` is added as that one, and the copy just read is
// freed at once.
class TargetListReader {
 public:
  TargetListReader(ConfigReader& r, const Settings& defaults, TargetList& out,
                   const ReusableTargets* reuse = nullptr);
  TargetListReader(const TargetListReader&) = delete;
  TargetListReader& operator=(const TargetListReader&) = delete;

  // One item of the list; `r`'s line offset places its marks.
  void read(const YAML::Node& item);

 private:
  ConfigReader& r_;
  const Settings& defaults_;
  TargetList& out_;
  const ReusableTargets* reuse_;
  std::map<std::string, int> names_;  // the 0-based line where each name was first used
};

// Reads the value of `targets:` (a list, or nothing for none) into `out`, in order. Only
// targets without errors are added; each problem is reported to `r`.
void read_targets(ConfigReader& r, const YAML::Node& list, const Settings& defaults,
                  TargetList& out, const ReusableTargets* reuse = nullptr);

}  // namespace faultline
