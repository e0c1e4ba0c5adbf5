// The seam between scheduling and probing: "run this probe once and tell me the result".
// The daemon's scheduler talks only to this interface, so it is tested with a recording fake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "checks/probe_result.hpp"
#include "checks/probe_spec.hpp"

namespace faultline {

using ProbeId = std::uint64_t;
using ProbeCallback = std::function<void(ProbeResult)>;

class Prober {
 public:
  virtual ~Prober() = default;

  // Starts one probe of `spec`. `done` is called exactly once on the loop thread with the
  // result, unless the probe is cancelled first; never from inside start().
  virtual ProbeId start(std::shared_ptr<const ProbeSpec> spec, ProbeCallback done) = 0;

  // Abandons a running probe: its callback will not be called. Unknown ids are ignored.
  virtual void cancel(ProbeId id) = 0;

  // Probes started and not yet finished or cancelled.
  virtual std::size_t in_flight() const = 0;
};

}  // namespace faultline
