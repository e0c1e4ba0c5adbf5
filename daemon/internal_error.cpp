#include "daemon/internal_error.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace faultline {

int guard_internal_errors(const std::function<int()>& command) {
  try {
    return command();
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
  } catch (...) {
    spdlog::critical("internal error: an exception of unknown type");
  }
  spdlog::default_logger()->flush();
  return kInternalErrorStatus;
}

}  // namespace faultline
