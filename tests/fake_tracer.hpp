// A Tracer that runs nothing: it records what the daemon asked to trace, and a test ends each
// trace with the PathTrace it chooses.
#pragma once

#include <string>
#include <vector>

#include "checks/path_tracer.hpp"

namespace faultline::testing {

class FakeTracer final : public Tracer {
 public:
  struct Started {
    TraceId id = 0;
    std::string address;
    int port = 0;
    TraceCallback done;  // empty once finished or cancelled
  };

  TraceId start(const std::string& address, int port, TraceOptions, TraceCallback done) override {
    started.push_back({next_++, address, port, std::move(done)});
    return started.back().id;
  }
  void cancel(TraceId id) override {
    cancelled.push_back(id);
    for (Started& s : started)
      if (s.id == id) s.done = nullptr;
  }

  // Traces started and neither finished nor cancelled.
  std::size_t running() const {
    std::size_t n = 0;
    for (const Started& s : started)
      if (s.done) ++n;
    return n;
  }

  // Ends the `index`-th trace started with `trace` (its address and port filled in).
  void finish(std::size_t index, PathTrace trace) {
    Started& s = started.at(index);
    TraceCallback done = std::move(s.done);
    s.done = nullptr;
    trace.address = s.address;
    trace.port = s.port;
    if (done) done(std::move(trace));
  }

  std::vector<Started> started;
  std::vector<TraceId> cancelled;

 private:
  TraceId next_ = 1;
};

// A trace whose SYNs stop after hop 2 (10.0.2.1) while the host answers ping at hop 3.
inline PathTrace dropped_after_hop_2() {
  PathTrace t;
  PathHop h1{1, "10.0.1.1", HopReply::time_exceeded, "", 0.5, 2, 2};
  PathHop h2{2, "10.0.2.1", HopReply::time_exceeded, "", 0.9, 2, 2};
  PathHop h3{3, "", HopReply::none, "", std::nullopt, 2, 0};
  t.hops = {h1, h2, h3};
  PathHop e3{3, "10.0.3.3", HopReply::echo_reply, "", 1.2, 2, 2};
  t.echo_hops = {h1, h2, e3};
  t.findings = judge_path(t.hops, t.echo_hops);
  return t;
}

}  // namespace faultline::testing
