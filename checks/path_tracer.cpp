#include "checks/path_tracer.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "checks/path_echo_probes.hpp"
#include "checks/path_tcp_probes.hpp"
#include "checks/probe_result.hpp"
#include "checks/utc_time.hpp"
#include "checks/uv_timer.hpp"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

std::string why(int err) {
  return std::string(std::strerror(err)) + " (" + errno_name(err) + ")";
}

void set_port(IcmpAddress& a, int port) {
  const auto net_port = htons(static_cast<std::uint16_t>(port));
  if (a.family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = net_port;
  } else {
    reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = net_port;
  }
}

}  // namespace

class PathTracer::Trace {
 public:
  Trace(PathTracer& tracer, TraceId id, TraceOptions options, TraceCallback done)
      : tracer_(tracer),
        id_(id),
        options_(options),
        done_(std::move(done)),
        tcp_(tracer.loop_, [this] { check(); }),
        echo_(tracer.loop_, [this] { check(); }),
        deadline_(tracer.loop_),
        settle_(tracer.loop_) {
    options_.max_hops = std::clamp(options_.max_hops, 1, kMaxTraceHops);
    options_.probes_per_hop = std::clamp(options_.probes_per_hop, 1, kMaxTraceProbesPerHop);
  }

  TraceCallback take_callback() { return std::move(done_); }

  void begin(const std::string& address, int port) {
    result_.address = address;
    result_.port = port;
    result_.started_at_ms = unix_now_ms();
    IcmpAddress to;
    if (!icmp_address_from_text(address, to)) {
      return fail(EINVAL, "not a numeric address: " + address);
    }
    const int hops = options_.max_hops;
    const int probes = options_.probes_per_hop;
    // The SYNs go first: a router limits its ICMP errors (an unreachable route answers a burst
    // of five, then one a second), and the SYNs' answers decide the verdict.
    IcmpAddress with_port = to;
    set_port(with_port, port);
    if (const int err = tcp_.start(with_port, hops, probes); err != 0) {
      return fail(err, "cannot open its TCP sockets: " + why(err));
    }
    if (const int err = echo_.start(to, hops, probes); err != 0) {
      result_.echo_trouble = "no ping socket: " + why(err);
      if (err == EACCES) result_.echo_trouble += ", outside net.ipv4.ping_group_range";
    }
    deadline_.start(static_cast<std::uint64_t>(options_.timeout.count()), [this] { finish(); });
    // A probe may have been answered inside start() already (loopback).
    check();
  }

 private:
  // Called whenever a probe resolves. Finishing is deferred to the loop: this runs inside the
  // probes' own callbacks, which must not destroy them.
  void check() {
    const bool echo_settled = !result_.echo_trouble.empty() || echo_.settled();
    if (tcp_.settled() && echo_settled) settle_.start(0, [this] { finish(); });
  }

  void fail(int err, std::string why) {
    result_.local_errno = err;
    result_.local_error = std::move(why);
    settle_.start(0, [this] { tracer_.complete(id_, std::move(result_)); });
  }

  void finish() {
    result_.hops = tcp_.hops();
    if (result_.echo_trouble.empty()) result_.echo_hops = echo_.hops();
    result_.findings = judge_path(result_.hops, result_.echo_hops);
    result_.duration_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    // Last: this destroys the trace.
    tracer_.complete(id_, std::move(result_));
  }

  PathTracer& tracer_;
  TraceId id_;
  TraceOptions options_;
  TraceCallback done_;
  Clock::time_point started_ = Clock::now();
  PathTrace result_;
  PathTcpProbes tcp_;
  PathEchoProbes echo_;
  UvTimer deadline_;
  UvTimer settle_;
};

PathTracer::PathTracer(uv_loop_t* loop) : loop_(loop) {}

PathTracer::~PathTracer() {
  traces_.clear();
}

PathTracer::TraceId PathTracer::start(const std::string& address, int port, TraceOptions options,
                                      TraceCallback done) {
  const TraceId id = next_id_++;
  auto trace = std::make_unique<Trace>(*this, id, options, std::move(done));
  Trace* raw = trace.get();
  traces_.emplace(id, std::move(trace));
  raw->begin(address, port);
  return id;
}

void PathTracer::cancel(TraceId id) {
  traces_.erase(id);
}

void PathTracer::complete(TraceId id, PathTrace trace) {
  auto it = traces_.find(id);
  if (it == traces_.end()) return;
  TraceCallback done = it->second->take_callback();
  traces_.erase(it);
  if (done) done(std::move(trace));
}

}  // namespace faultline
