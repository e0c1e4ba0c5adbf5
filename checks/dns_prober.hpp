// The prober of dns:// targets: asks the URL's server (not this host's resolver) the URL's
// question with c-ares on the loop (DnsQuery), and classifies the answer
// (dns_answer_classifier.hpp). A server given by name is first looked up through the system
// resolver; that lookup's failures are the dns/* of the lookup, with the server's name.
#pragma once

#include <uv.h>

#include <memory>

#include "checks/prober.hpp"
#include "checks/running_probes.hpp"

namespace faultline {

class DnsProber final : public Prober {
 public:
  // The loop must outlive the prober and run again after it is destroyed.
  explicit DnsProber(uv_loop_t* loop);
  // Cancels every running probe (no callbacks).
  ~DnsProber() override;

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
