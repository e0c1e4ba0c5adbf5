// The real Prober: every probe runs asynchronously on one libuv loop. Names are resolved in
// libuv's thread pool (so nxdomain, temporary failure and timeout can be told apart), then
// each address is tried in order through libcurl's multi interface until one decides the
// result, all within the probe's single deadline.
#pragma once

#include <uv.h>

#include <memory>
#include <unordered_map>

#include "checks/curl_multi_driver.hpp"
#include "checks/prober.hpp"

namespace faultline {

class ProbeEngine final : public Prober {
 public:
  // Calls curl_global_init once per process. The loop must outlive the engine and run again
  // after the engine is destroyed so libuv can release its handles.
  explicit ProbeEngine(uv_loop_t* loop);
  // Cancels every running probe (no callbacks).
  ~ProbeEngine() override;

  ProbeId start(std::shared_ptr<const ProbeSpec> spec, ProbeCallback done) override;
  void cancel(ProbeId id) override;
  std::size_t in_flight() const override { return probes_.size(); }

 private:
  class Probe;
  friend class Probe;
  // Removes the probe and calls its callback with `result`.
  void complete(ProbeId id, ProbeResult result);

  uv_loop_t* loop_;
  CurlMultiDriver curl_;
  ProbeId next_id_ = 1;
  std::unordered_map<ProbeId, std::unique_ptr<Probe>> probes_;
};

}  // namespace faultline
