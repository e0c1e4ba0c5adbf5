#include "storage/storage_stats.hpp"

namespace faultline {

ProcessStats to_process_stats(const StorageStats& stats) {
  return {
      {"faultline_storage_queue_rows", "History rows waiting to be written.", StatKind::gauge,
       static_cast<double>(stats.queue_rows)},
      {"faultline_storage_rows_dropped_total", "History rows given up on without being written.",
       StatKind::counter, static_cast<double>(stats.rows_dropped_total)},
      {"faultline_storage_write_errors_total", "Failed history writes.", StatKind::counter,
       static_cast<double>(stats.write_errors_total)},
  };
}

}  // namespace faultline
