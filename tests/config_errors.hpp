// What the config loader says about a config text (read as "t.yaml"), for tests of its errors.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/config_loader.hpp"

namespace faultline::testing {

// Every error, as "t.yaml:LINE:COL: message".
inline std::vector<std::string> errors_of(const std::string& yaml) {
  std::vector<std::string> out;
  for (const Diagnostic& d : parse_config(yaml, "t.yaml").errors)
    out.push_back(d.to_string());
  return out;
}

// The single error the text must produce (a test failure when there are more or none).
inline std::string error_of(const std::string& yaml) {
  auto errors = errors_of(yaml);
  REQUIRE_MESSAGE(errors.size() == 1, "expected one error, got " << errors.size());
  return errors.front();
}

}  // namespace faultline::testing
