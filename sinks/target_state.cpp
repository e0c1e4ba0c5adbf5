#include "sinks/target_state.hpp"

namespace faultline {

std::string_view to_string(TargetState s) {
  switch (s) {
    case TargetState::unknown:
      return "unknown";
    case TargetState::up:
      return "up";
    case TargetState::down:
      return "down";
  }
  return "unknown";
}

}  // namespace faultline
