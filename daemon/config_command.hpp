// `faultline config check FILE`: validate a config as `faultline run` would load it.
#pragma once

#include <string>

namespace faultline {

// Prints every error and warning of load_config(path) to stderr, then, when the config is
// valid, "PATH: ok, N targets" to stdout. Besides load_config's checks, it warns (without
// failing) when metrics.listen cannot be listened on now, found out by binding the address and
// closing it at once. Exit status: 0 valid, 1 with errors.
int run_config_check(const std::string& path);

}  // namespace faultline
