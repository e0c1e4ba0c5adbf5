// File descriptors bound how many probes can run at once; the default cap follows from them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace faultline {

struct FdLimit {
  std::uint64_t soft_before = 0;
  std::uint64_t soft = 0;  // after raising
  std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit. Never fails: on error the limits are
// reported as they are.
FdLimit raise_fd_limit();

// Probes in flight that `soft` descriptors support, keeping room for the database, the
// metrics listener, DNS lookups and scrapes.
std::size_t default_max_in_flight(std::uint64_t soft);

}  // namespace faultline
