// Runs one path trace to completion on a private event loop: for `faultline check` and tests.
#pragma once

#include <string>

#include "checks/path_trace.hpp"

namespace faultline {

// Runs one trace to completion on a private loop, for `faultline check` and tests. Blocks the
// calling thread for at most about options.timeout; never call it on the daemon's loop thread.
PathTrace trace_once(const std::string& address, int port, TraceOptions options = {});

}  // namespace faultline
