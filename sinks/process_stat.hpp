// One number the process publishes about itself (a queue length, a running total), described
// by whoever counts it. Sources (the store, the scheduler) hand these out and publishers (the
// Prometheus exporter) take them, so neither needs to know the other's types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace faultline {

enum class StatKind : std::uint8_t {
  gauge,    // a value now, free to go up and down
  counter,  // a running total since the source started
};

struct ProcessStat {
  // The published name (a Prometheus metric name, e.g. "faultline_storage_queue_rows").
  std::string name;
  // One line saying what it counts: the HELP text.
  std::string help;
  StatKind kind = StatKind::gauge;
  // A gauge's value now; a counter's running total. A total lower than the last one given
  // means the source started over from zero.
  double value = 0;
};

using ProcessStats = std::vector<ProcessStat>;

}  // namespace faultline
