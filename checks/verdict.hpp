// What a classifier decides about one failed (or successful) layer: the taxonomy triple plus
// the errno and a one-line message. The probe engine copies it into the ProbeResult.
#pragma once

#include <string>

#include "checks/taxonomy.hpp"

namespace faultline {

struct Verdict {
  FailureClass cls = FailureClass::ok;
  Phase phase = Phase::none;
  Detail detail = Detail::none;
  int sys_errno = 0;
  int http_status = 0;  // for Detail::http_status
  std::string message;
};

}  // namespace faultline
