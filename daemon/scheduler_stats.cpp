#include "daemon/scheduler_stats.hpp"

namespace faultline {

ProcessStats scheduler_stats(std::size_t in_flight, std::uint64_t skipped_total) {
  return {
      {"faultline_probes_in_flight", "Probes running now.", StatKind::gauge,
       static_cast<double>(in_flight)},
      {"faultline_probes_skipped_total", "Probes the scheduler did not start when they were due.",
       StatKind::counter, static_cast<double>(skipped_total)},
  };
}

}  // namespace faultline
