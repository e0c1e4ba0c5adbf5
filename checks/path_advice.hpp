// What to check after a path trace: advice from its verdict (issue 20), for `faultline check`'s
// "What to check" and its JSON advice, in place of the generic "run traceroute" of a connect
// timeout or an unreachable.
#pragma once

#include <string>

#include "checks/path_trace.hpp"

namespace faultline {

// Advice for `trace`'s verdict, naming the hop and the host's answer to ping; "" for a trace
// that could not run (the probe's own advice stands).
std::string path_advice(const PathTrace& trace);

}  // namespace faultline
