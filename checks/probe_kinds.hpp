// The registry of probe kinds: which Prober runs the targets of each scheme. `faultline run` and
// probe_once() (`faultline check`, tests) start every probe through ProbeKinds, the one Prober
// in front of all kinds, so the scheduler and the sinks never learn what kinds there are.
//
// Adding a kind: a Prober of its own in checks/, a row in kProbeKinds (probe_kinds.cpp) naming
// the schemes it runs, and `accepted = true` on those schemes' rows of kSchemes
// (target_url.hpp); its keys in the config go to daemon/config_kind_keys.cpp.
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "checks/prober.hpp"
#include "checks/target_url.hpp"
#include "checks/uv_timer.hpp"

namespace faultline {

// Makes the prober of one kind, on `loop`.
using ProberFactory = std::unique_ptr<Prober> (*)(uv_loop_t* loop);

struct ProbeKind {
  std::string_view name;            // "curl", "dns": for messages and logs
  std::span<const Scheme> schemes;  // the schemes whose targets it runs
  ProberFactory make;
};

// Every kind, in the order of kProbeKinds.
std::span<const ProbeKind> probe_kinds();

// The kind that runs `scheme`'s targets, or nullptr when none does (a row of kSchemes whose
// kind is not built yet).
const ProbeKind* probe_kind_for(Scheme scheme);

// Dispatches each probe to the prober of its URL's kind, made when the first probe of that
// kind starts. Ids are its own, unique across kinds; cancel() and in_flight() cover them all.
class ProbeKinds final : public Prober {
 public:
  // The loop must outlive this object and run again after it is destroyed (libuv releases the
  // probers' handles then).
  explicit ProbeKinds(uv_loop_t* loop);
  // Cancels every running probe (no callbacks).
  ~ProbeKinds() override;

  // A spec whose scheme no kind runs (parse_target_url refuses those URLs, so only a caller
  // that built the URL by hand gets here) ends as class `local`, from a loop callback.
  ProbeId start(std::shared_ptr<const ProbeSpec> spec, ProbeCallback done) override;
  void cancel(ProbeId id) override;
  std::size_t in_flight() const override { return running_.size(); }

 private:
  struct Running {
    Prober* prober = nullptr;  // null: an unrunnable spec, ended by `unrunnable`
    ProbeId inner = 0;
    std::unique_ptr<UvTimer> unrunnable;
  };
  Prober& prober_of(const ProbeKind& kind);
  ProbeId start_unrunnable(ProbeId id, const ProbeSpec& spec, ProbeCallback done);

  uv_loop_t* loop_;
  // One per kind, by the kind's index in probe_kinds(); made on first use.
  std::vector<std::unique_ptr<Prober>> probers_;
  ProbeId next_id_ = 1;
  std::unordered_map<ProbeId, Running> running_;
};

}  // namespace faultline
