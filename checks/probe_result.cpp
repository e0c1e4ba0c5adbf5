#include "checks/probe_result.hpp"

#include <cstring>

namespace faultline {

std::string detail_text(const ProbeResult& r) {
  if (r.detail == Detail::http_status) return std::to_string(r.http_status);
  return std::string(to_string(r.detail));
}

std::string errno_name(int err) {
  if (err == 0) return {};
  const char* name = strerrorname_np(err);
  return name ? std::string(name) : "E" + std::to_string(err);
}

}  // namespace faultline
