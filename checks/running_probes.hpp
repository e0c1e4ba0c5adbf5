// The probes a Prober has running, by id: what every kind's prober needs to keep its probes
// alive, drop a cancelled one, and end one by calling its callback.
#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <utility>

#include "checks/prober.hpp"

namespace faultline {

// P is a kind's own probe: begin() starts it, take_callback() hands over its ProbeCallback.
template <class P>
class RunningProbes {
 public:
  // Keeps the probe `make(id)` returns under a new id, then begins it (so a probe that ends at
  // once still finds itself kept).
  template <class Make>
  ProbeId start(Make&& make) {
    const ProbeId id = next_id_++;
    std::unique_ptr<P> probe = std::forward<Make>(make)(id);
    P* raw = probe.get();
    probes_.emplace(id, std::move(probe));
    raw->begin();
    return id;
  }

  // Destroys the probe without calling its callback. Unknown ids are ignored.
  void cancel(ProbeId id) { probes_.erase(id); }

  // Ends the probe with `result`. It is destroyed before its callback runs, so the callback may
  // start new probes freely. Unknown (cancelled) ids are ignored.
  void complete(ProbeId id, ProbeResult result) {
    auto it = probes_.find(id);
    if (it == probes_.end()) return;
    ProbeCallback done = it->second->take_callback();
    probes_.erase(it);
    if (done) done(std::move(result));
  }

  // Destroys every probe without calling any callback.
  void clear() { probes_.clear(); }

  std::size_t size() const { return probes_.size(); }

 private:
  ProbeId next_id_ = 1;
  std::unordered_map<ProbeId, std::unique_ptr<P>> probes_;
};

}  // namespace faultline
