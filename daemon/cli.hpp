// The command line: parses arguments with CLI11 and dispatches to one command.
#pragma once

namespace faultline {

// Runs one faultline command. Returns the process exit status: 0 success, 1 a failure the
// command reports (invalid config, failed probe), 2 a usage error.
int run_cli(int argc, char** argv);

}  // namespace faultline
