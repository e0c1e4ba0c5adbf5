// `faultline run`: the process around the Daemon. Holds the stop and reload signals from its
// first line, loads the config, opens the history and the metrics listener, runs the event loop
// until a stop, and lets the sinks finish.
#pragma once

#include <optional>
#include <string>

namespace faultline {

// Runs the daemon on `config_path` until stopped; returns the process exit status: 0 after a
// clean stop, 1 when the config or a sink cannot start. SIGHUP, SIGTERM and SIGINT are held
// from the first line and handled once the loop is ready: a SIGHUP sent during startup becomes
// a reload, a SIGTERM or SIGINT a clean stop (status 0). An exception (none is expected) leaves
// for the caller.
int run_daemon(const std::string& config_path, std::optional<std::string> log_level_override);

}  // namespace faultline
