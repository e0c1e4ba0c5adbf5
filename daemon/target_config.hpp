// One configured target's settings, as the config file gives them after defaults are merged.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "checks/probe_spec.hpp"
#include "sinks/target_info.hpp"

namespace faultline {

// Where something was written in the config file; 1-based like a compiler's messages.
struct SourcePos {
  int line = 1;
  int column = 1;
};

struct IdleProbeConfig {
  std::vector<std::chrono::milliseconds> ladder;  // ascending, no duplicates
  bool keepalive_check = false;

  bool operator==(const IdleProbeConfig&) const = default;
};

struct TargetConfig {
  std::string name;
  ProbeSpec probe;
  std::chrono::milliseconds interval{30'000};
  int failure_threshold = 2;
  int success_threshold = 1;
  Labels labels;
  std::optional<IdleProbeConfig> idle_probe;
  // The target's entry in the file, for messages while loading (a reload that finds the
  // target unchanged keeps the running settings, and with them the position first read).
  SourcePos pos;
  // The files its credentials were read from (basic_auth.password_file, bearer_token_file),
  // for the warning about files others can read; the credential itself is in `probe`.
  std::vector<std::string> credential_files;

  // Equal when probing and scheduling would be identical; the position is not compared, so
  // moving a target within the file does not restart it on reload.
  bool operator==(const TargetConfig& o) const {
    return name == o.name && probe == o.probe && interval == o.interval &&
           failure_threshold == o.failure_threshold && success_threshold == o.success_threshold &&
           labels == o.labels && idle_probe == o.idle_probe;
  }
};

}  // namespace faultline
