// Runs one probe to completion on a private event loop: for `faultline check` and for tests.
#pragma once

#include <memory>

#include "checks/probe_result.hpp"
#include "checks/probe_spec.hpp"

namespace faultline {

// Blocks the calling thread until the probe ends (at most about spec.timeout). Never call it
// on the daemon's loop thread.
ProbeResult probe_once(std::shared_ptr<const ProbeSpec> spec);

}  // namespace faultline
