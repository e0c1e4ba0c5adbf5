// The prober of icmp:// targets: resolves the host like every other kind (the system resolver
// in libuv's pool, filtered by ip_family; an IP literal as is), then sends `count` echo requests
// spaced by `packet_interval` through an unprivileged ping socket on the loop (IcmpSocket),
// and ends when every request is answered (by a reply or an ICMP error) or at the deadline.
// The result carries the counts and round-trip times (ProbeResult::icmp); its verdict comes
// from icmp_classifier.hpp.
#pragma once

#include <uv.h>

#include <memory>

#include "checks/prober.hpp"
#include "checks/running_probes.hpp"

namespace faultline {

class IcmpProber final : public Prober {
 public:
  // The loop must outlive the prober and run again after it is destroyed.
  explicit IcmpProber(uv_loop_t* loop);
  // Cancels every running probe (no callbacks).
  ~IcmpProber() override;

  ProbeId start(std::shared_ptr<const ProbeSpec> spec, ProbeCallback done) override;
  void cancel(ProbeId id) override;
  std::size_t in_flight() const override { return probes_.size(); }

 private:
  class Probe;
  friend class Probe;
  // Removes the probe and calls its callback with `result`.
  void complete(ProbeId id, ProbeResult result);

  uv_loop_t* loop_;
  RunningProbes<Probe> probes_;
};

}  // namespace faultline
