// Reads and validates a faultline YAML config, collecting every problem at once with its
// position, the way a compiler reports errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.hpp"

namespace faultline {

struct Diagnostic {
  std::string file;
  int line = 1;    // 1-based
  int column = 1;  // 1-based
  std::string message;

  // "FILE:LINE:COL: message"
  std::string to_string() const;
};

struct ConfigLoad {
  std::optional<Config> config;  // set exactly when `errors` is empty
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;  // problems that do not stop the config from loading
};

// Reads `path` and validates it. Relative paths inside (ca_file, storage.path, password files)
// resolve against the folder holding `path`. Never throws for bad input: every problem,
// including an unreadable file and YAML syntax errors, is an entry in `errors`.
ConfigLoad load_config(const std::string& path);

// As load_config, but from text already in memory; `path` names it in messages and anchors
// relative paths.
ConfigLoad parse_config(std::string_view yaml, const std::string& path);

}  // namespace faultline
