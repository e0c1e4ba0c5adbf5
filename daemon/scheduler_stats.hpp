// The scheduler's own numbers as the process publishes them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sinks/process_stat.hpp"

namespace faultline {

// faultline_probes_in_flight (gauge: probes running now) and faultline_probes_skipped_total
// (counter: `skipped_total`, probes not started when due, a running total since the scheduler
// started).
ProcessStats scheduler_stats(std::size_t in_flight, std::uint64_t skipped_total);

}  // namespace faultline
