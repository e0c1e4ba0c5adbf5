// The taxonomy triple of a classifier's Verdict as one string ("tls/tls/reset"), so a failed
// CHECK prints what the classifier decided instead of "{?}".
#pragma once

#include <string>

#include "checks/verdict.hpp"

namespace faultline::testing {

// "class/phase/detail"; the detail http_status is written as the code ("http/response/503").
inline std::string triple(const Verdict& v) {
  const std::string detail = v.detail == Detail::http_status ? std::to_string(v.http_status)
                                                             : std::string(to_string(v.detail));
  return std::string(to_string(v.cls)) + "/" + std::string(to_string(v.phase)) + "/" + detail;
}

}  // namespace faultline::testing
