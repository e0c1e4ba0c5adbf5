// One problem found in a config file, positioned like a compiler's message.
#pragma once

#include <string>

namespace faultline {

struct Diagnostic {
  std::string file;
  int line = 1;    // 1-based
  int column = 1;  // 1-based
  std::string message;

  // "FILE:LINE:COL: message"
  std::string to_string() const;
};

}  // namespace faultline
