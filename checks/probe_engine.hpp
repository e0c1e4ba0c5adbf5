// The real Prober: every probe runs asynchronously on one libuv loop. Names are resolved in
// libuv's thread pool (so nxdomain, temporary failure and timeout can be told apart), then
// each address is tried in order through libcurl's multi interface until one decides the
// result, all within the probe's single deadline. A redirect the spec follows is another hop
// through the same path (redirect_hop.hpp); the body assertions of the last answer run in the
// thread pool too (body_check_job.hpp), never on the loop.
#pragma once

#include <uv.h>

#include <chrono>
#include <memory>
#include <unordered_map>
#include <vector>

#include "checks/curl_handle_pool.hpp"
#include "checks/curl_multi_driver.hpp"
#include "checks/expected.hpp"
#include "checks/kept_connection.hpp"
#include "checks/prober.hpp"
#include "checks/running_probes.hpp"

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
  // Starts `easy` on a multi handle with room for it. Error: the driver's epoll_errno() when it
  // could not watch sockets, 0 when libcurl refused the handle.
  Expected<CurlMultiDriver*, int> add_transfer(CURL* easy, TransferOwner* owner);
  // A transfer started by add_transfer() on `driver` has ended or was removed.
  void transfer_ended(CurlMultiDriver* driver);

  // libcurl 7.88 walks every host of a multi handle's connection cache each time the last
  // connection to a host closes, so one multi handle costs each probe time proportional to the
  // probes in flight (a burst of a few thousand slow probes made the loop spend most of its time
  // there). Transfers are spread over multi handles of at most this many each instead.
  static constexpr std::size_t kTransfersPerMulti = 256;
  struct Multi {
    std::unique_ptr<CurlMultiDriver> driver;
    std::size_t transfers = 0;
  };

  // The kept connection of a reuse_connection target, keyed by its spec, claimed for the
  // calling probe; nullptr while another probe of the same spec holds it (the caller then runs
  // like a probe without reuse_connection). The probe unclaims it when it ends.
  KeptConnection* kept_connection_for(const std::shared_ptr<const ProbeSpec>& spec);
  // Closes the kept connections of specs nobody holds any more (targets removed by a reload).
  void sweep_kept_connections();

  struct Kept {
    std::weak_ptr<const ProbeSpec> spec;  // expired once the target is gone
    std::unique_ptr<KeptConnection> connection;
  };

  uv_loop_t* loop_;
  CurlHandlePool handles_;  // declared before multis_: transfers hand their handles back here
  std::vector<Multi> multis_;
  std::unordered_map<const ProbeSpec*, Kept> kept_;
  std::chrono::steady_clock::time_point last_sweep_{};
  RunningProbes<Probe> probes_;
  // When a probe last failed for want of a descriptor (steady clock), for lookups that glibc
  // failed for the same reason but reports as a DNS error.
  std::chrono::steady_clock::time_point last_descriptor_shortage_{};
};

}  // namespace faultline
