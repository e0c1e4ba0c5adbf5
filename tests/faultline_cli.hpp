// The faultline binary run by a test as a user runs it: its exit status and what it printed.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace faultline::testing {

struct Run {
  int status = -1;
  std::string output;  // stdout and stderr, interleaved
};

// FAULTLINE_BINARY ARGS..., waited for up to 20 s (a test failure after that).
Run run_faultline(const std::vector<std::string>& args);

// `command` through /bin/sh (popen): its exit status and its standard output (the command
// redirects stderr itself if it wants it).
Run run_shell(const std::string& command);

// What a run printed on each stream apart.
struct SeparateRun {
  int status = -1;
  std::string out, err;
};

// FAULTLINE_BINARY followed by `args`, a shell word list already quoted, with stdout and stderr
// apart (stderr through a file in `dir`).
SeparateRun run_faultline_shell(const std::string& args, const TempDir& dir);

// `faultline check --json ARGS...`: its exit status and its one JSON object (a test failure when
// the output is not JSON).
std::pair<int, nlohmann::json> check_json(std::vector<std::string> args);

}  // namespace faultline::testing
