#include "checks/probe_kinds.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "checks/dns_prober.hpp"
#include "checks/icmp_prober.hpp"
#include "checks/probe_engine.hpp"

namespace faultline {
namespace {

template <class P>
std::unique_ptr<Prober> make(uv_loop_t* loop) {
  return std::make_unique<P>(loop);
}

// libcurl's engine: connect, TLS and HTTP, tcp:// / tls:// send/expect, and the mail protocols'
// greeting, capabilities and STARTTLS.
constexpr Scheme kCurlSchemes[] = {Scheme::http, Scheme::https, Scheme::tcp,  Scheme::tls,
                                   Scheme::smtp, Scheme::smtps, Scheme::imap, Scheme::imaps,
                                   Scheme::pop3, Scheme::pop3s};
// c-ares on the loop, asking the URL's server.
constexpr Scheme kDnsSchemes[] = {Scheme::dns};
// Echo requests through the unprivileged ping socket on the loop.
constexpr Scheme kIcmpSchemes[] = {Scheme::icmp};
// grpc.health.v1.Health/Check over HTTP/2: libcurl's engine again, on multi handles of its own.
constexpr Scheme kGrpcSchemes[] = {Scheme::grpc, Scheme::grpcs};

constexpr std::array kProbeKinds = {
    ProbeKind{"curl", kCurlSchemes, &make<ProbeEngine>},
    ProbeKind{"dns", kDnsSchemes, &make<DnsProber>},
    ProbeKind{"icmp", kIcmpSchemes, &make<IcmpProber>},
    ProbeKind{"grpc", kGrpcSchemes, &make<ProbeEngine>},
};

}  // namespace

std::span<const ProbeKind> probe_kinds() {
  return kProbeKinds;
}

const ProbeKind* probe_kind_for(Scheme scheme) {
  for (const ProbeKind& kind : kProbeKinds) {
    if (std::find(kind.schemes.begin(), kind.schemes.end(), scheme) != kind.schemes.end()) {
      return &kind;
    }
  }
  return nullptr;
}

ProbeKinds::ProbeKinds(uv_loop_t* loop) : loop_(loop), probers_(kProbeKinds.size()) {}

ProbeKinds::~ProbeKinds() {
  running_.clear();
  probers_.clear();
}

Prober& ProbeKinds::prober_of(const ProbeKind& kind) {
  auto& slot = probers_[static_cast<std::size_t>(&kind - kProbeKinds.data())];
  if (!slot) slot = kind.make(loop_);
  return *slot;
}

ProbeId ProbeKinds::start(std::shared_ptr<const ProbeSpec> spec, ProbeCallback done) {
  const ProbeId id = next_id_++;
  const ProbeKind* kind = probe_kind_for(spec->url.scheme);
  if (kind == nullptr) return start_unrunnable(id, *spec, std::move(done));
  Prober& prober = prober_of(*kind);
  const ProbeId inner =
      prober.start(std::move(spec), [this, id, done = std::move(done)](ProbeResult r) {
        running_.erase(id);
        if (done) done(std::move(r));
      });
  running_[id] = Running{&prober, inner, nullptr};
  return id;
}

ProbeId ProbeKinds::start_unrunnable(ProbeId id, const ProbeSpec& spec, ProbeCallback done) {
  ProbeResult r;
  r.cls = FailureClass::local;
  r.message = "no kind of probe runs " + std::string(to_string(spec.url.scheme)) +
              ":// targets in this build of faultline";
  Running& running = running_[id];
  running.unrunnable = std::make_unique<UvTimer>(loop_);
  // Deferred: a callback never runs inside start().
  running.unrunnable->start(0, [this, id, r, done = std::move(done)]() mutable {
    ProbeCallback callback = std::move(done);
    ProbeResult result = std::move(r);
    running_.erase(id);  // destroys this timer's owner; only locals are used below
    if (callback) callback(std::move(result));
  });
  return id;
}

void ProbeKinds::cancel(ProbeId id) {
  auto it = running_.find(id);
  if (it == running_.end()) return;
  if (it->second.prober != nullptr) it->second.prober->cancel(it->second.inner);
  running_.erase(it);
}

}  // namespace faultline
