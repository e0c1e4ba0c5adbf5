// The registry of probe kinds: every scheme targets may use has exactly one kind, the schemes
// waiting for theirs are refused, and ProbeKinds dispatches, cancels and counts across kinds.
#include "checks/probe_kinds.hpp"

#include <doctest/doctest.h>
#include <uv.h>

#include <set>

#include "tests/support/closed_port.hpp"
#include "tests/support/fake_dns_server.hpp"
#include "tests/support/loopback_server.hpp"

using namespace faultline;
using namespace faultline::testing;

TEST_CASE("probe kinds: the accepted schemes are exactly those some kind runs") {
  for (const SchemeRow& row : kSchemes) {
    CAPTURE(row.name);
    CHECK((probe_kind_for(row.scheme) != nullptr) == row.accepted);
  }
  std::set<Scheme> seen;
  for (const ProbeKind& kind : probe_kinds()) {
    for (Scheme s : kind.schemes) {
      CAPTURE(to_string(s));
      CHECK(seen.insert(s).second);  // one kind per scheme
    }
  }
}

TEST_CASE("probe kinds: ids are unique across kinds - cancel and in_flight cover every kind") {
  LoopbackServer silent(Behavior::accept_never_answer);
  FakeDnsServer dns;
  dns.drop("silent.test").a("ok.test", "192.0.2.1");
  auto tcp = std::make_shared<ProbeSpec>();
  tcp->url = *parse_target_url(silent.url("tcp", ""));
  tcp->send = "x";
  tcp->expect = *Pattern::compile("never", PatternSubject::reply);
  tcp->timeout = std::chrono::milliseconds(3000);
  auto quiet_dns = std::make_shared<ProbeSpec>();
  quiet_dns->url =
      *parse_target_url("dns://127.0.0.1:" + std::to_string(dns.port()) + "/silent.test");
  quiet_dns->timeout = std::chrono::milliseconds(3000);
  auto ok_dns = std::make_shared<ProbeSpec>(*quiet_dns);
  ok_dns->url = *parse_target_url("dns://127.0.0.1:" + std::to_string(dns.port()) + "/ok.test");
  auto refused = std::make_shared<ProbeSpec>();
  refused->url = *parse_target_url("tcp://127.0.0.1:" + std::to_string(closed_port()));

  uv_loop_t loop;
  uv_loop_init(&loop);
  int cancelled_calls = 0;
  std::vector<FailureClass> finished;
  {
    ProbeKinds probers(&loop);
    std::set<ProbeId> ids;
    const ProbeId a = probers.start(tcp, [&](ProbeResult) { ++cancelled_calls; });
    const ProbeId b = probers.start(quiet_dns, [&](ProbeResult) { ++cancelled_calls; });
    const ProbeId c = probers.start(ok_dns, [&](ProbeResult r) { finished.push_back(r.cls); });
    const ProbeId d = probers.start(refused, [&](ProbeResult r) { finished.push_back(r.cls); });
    ids = {a, b, c, d};
    CHECK(ids.size() == 4);
    CHECK(probers.in_flight() == 4);
    probers.cancel(a);
    probers.cancel(b);
    probers.cancel(b);  // twice: ignored
    CHECK(probers.in_flight() == 2);
    while (finished.size() < 2 && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    CHECK(probers.in_flight() == 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(cancelled_calls == 0);
  CHECK(std::multiset<FailureClass>(finished.begin(), finished.end()) ==
        std::multiset<FailureClass>{FailureClass::ok, FailureClass::refused});
}
