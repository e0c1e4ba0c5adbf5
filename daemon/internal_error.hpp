// The last line of defence: an exception nobody expected (faultline reports failures as
// values) ends the command with a log line and a documented status instead of std::terminate.
#pragma once

#include <functional>

namespace faultline {

// The exit status of a command ended by an internal error (sysexits' EX_SOFTWARE).
inline constexpr int kInternalErrorStatus = 70;

// Runs `command` and returns its status. An exception that leaves it is logged at critical level
// as "internal error: WHAT" and gives kInternalErrorStatus.
int guard_internal_errors(const std::function<int()>& command);

}  // namespace faultline
