// The idle-connection experiment against real connections. A faithful middlebox needs the
// kernel (TCP keepalive probes carry no data, so no user-space proxy sees them): inside a
// network namespace of its own the test shortens conntrack's established timeout, turns off
// loose pickup, and has nftables answer packets of forgotten connections (ct state invalid)
// with a TCP reset, exactly what a NAT gateway or stateful firewall does. Needs root (CI runs
// as root); skipped with a message otherwise. The server-close and server-reset cases need no
// namespace.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "checks/idle_once.hpp"
#include "checks/probe_once.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::shared_ptr<ProbeSpec> spec_for(const std::string& url) {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url(url);
  spec->timeout = milliseconds(2000);
  return spec;
}

std::string describe(const IdleReport& r) {
  std::string out = std::string(to_string(r.finding.kind)) + ": " + r.finding.summary + "\n";
  for (const auto& s : r.steps) {
    out += "  idle " + std::to_string(s.request.idle.count()) + " ms" +
           (s.request.keepalive ? " (keepalive)" : "") + ": " + std::string(to_string(s.outcome)) +
           " " + s.message + "\n";
  }
  return out;
}

// Runs inside the namespace; prints and returns non-zero on a mismatch (doctest cannot run
// there).
int expect_middlebox(const std::string& url, double conntrack_s, int rounds) {
  IdleBracketOptions options;
  options.keepalive_check = true;
  options.bisection_rounds = rounds;
  IdleReport r = idle_experiment_once(spec_for(url), {seconds(1), seconds(4)}, options);
  const IdleFinding& f = r.finding;
  const bool ok = f.kind == IdleFindingKind::middlebox_reset && f.threshold_low_s >= 1.0 &&
                  f.threshold_low_s < conntrack_s && f.threshold_high_s &&
                  *f.threshold_high_s >= conntrack_s - 0.15 && *f.threshold_high_s <= 4.0 &&
                  f.keepalive_verified == KeepaliveVerdict::yes && f.keepalive_interval_s &&
                  *f.keepalive_interval_s < f.threshold_low_s + 0.001;
  if (!ok) std::printf("%s: unexpected verdict\n%s", url.c_str(), describe(r).c_str());
  return ok ? 0 : 1;
}

// The request heads `server` read from a probe of `spec` and from the idle experiment's
// connections (the last of their requests; they all carry the same options).
struct RequestHeads {
  std::string probe;
  std::string idle;
};

RequestHeads request_heads(const std::shared_ptr<ProbeSpec>& spec, const LoopbackServer& server) {
  RequestHeads heads;
  const ProbeResult probed = probe_once(spec);
  CHECK(probed.cls == FailureClass::ok);
  heads.probe = server.last_request();
  const IdleReport r = idle_experiment_once(spec, {milliseconds(100)}, {});
  INFO(describe(r));
  CHECK(r.steps.size() == 2);
  for (const auto& s : r.steps)
    CHECK(s.outcome == IdleOutcome::survived);
  heads.idle = server.last_request();
  return heads;
}

// The experiment against `behavior`'s server (at `scheme`) inside a namespace of its own with a
// conntrack middlebox that forgets connections idle for 2 s. One namespace per target kind, so
// ctest runs the kinds side by side: each waits through seconds of idle steps.
void check_middlebox(Behavior behavior, const std::string& scheme, int rounds) {
  NetnsResult result = run_in_netns(
      [&] {
        LoopbackServer server(behavior);
        return expect_middlebox(scheme == "http" ? server.url() : server.url(scheme, ""), 2.0,
                                rounds);
      },
      conntrack_middlebox(2));
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}

}  // namespace

TEST_CASE(
    "idle: a conntrack middlebox resets idle HTTP connections, the bracket and keepalive fix") {
  check_middlebox(Behavior::http_ok, "http", 2);  // keep-alive, no idle timeout of its own
}

TEST_CASE(
    "idle: a conntrack middlebox resets idle TCP connections, the bracket and keepalive fix") {
  check_middlebox(Behavior::tcp_accept_hold, "tcp", 1);
}

TEST_CASE("idle: the server closing idle keep-alive connections is told apart from a middlebox") {
  LoopbackServerOptions o;
  o.behavior = Behavior::http_ok;
  o.keep_alive_idle_timeout = milliseconds(1500);
  LoopbackServer server(o);
  IdleBracketOptions options;
  options.keepalive_check = true;
  IdleReport r = idle_experiment_once(spec_for(server.url()), {seconds(1), seconds(3)}, options);
  INFO(describe(r));
  const IdleFinding& f = r.finding;
  CHECK(f.kind == IdleFindingKind::server_close);
  CHECK(f.threshold_low_s >= 1.0);
  REQUIRE(f.threshold_high_s);
  CHECK(*f.threshold_high_s >= 1.4);
  CHECK(*f.threshold_high_s <= 2.0);  // seen when the FIN arrived, not at the end of the step
  CHECK(f.keepalive_verified == KeepaliveVerdict::untested);
  CHECK(f.closes > 0);
  CHECK(f.resets == 0);
}

TEST_CASE("idle: resets on immediate reuse are the server's own, with no keepalive advice") {
  LoopbackServer server(Behavior::rst_second_request);
  IdleBracketOptions options;
  options.keepalive_check = true;
  IdleReport r = idle_experiment_once(spec_for(server.url()), {seconds(1)}, options);
  INFO(describe(r));
  CHECK(r.finding.kind == IdleFindingKind::server_reset);
  CHECK(r.finding.keepalive_verified == KeepaliveVerdict::untested);
  CHECK(r.finding.advice.find("keepalive will not help") != std::string::npos);
}

TEST_CASE("idle: nothing in the way, nothing found, and no connection left behind") {
  LoopbackServer server(Behavior::http_ok);
  IdleReport r = idle_experiment_once(spec_for(server.url()), {seconds(1)}, {});
  INFO(describe(r));
  CHECK(r.finding.kind == IdleFindingKind::none);
  CHECK(r.finding.threshold_low_s == 1.0);
  REQUIRE(r.steps.size() == 2);  // the control and the one ladder step
  for (const auto& s : r.steps)
    CHECK(s.outcome == IdleOutcome::survived);
}

TEST_CASE("idle: a target that hangs up on every request gives errors, not a finding") {
  LoopbackServer server(Behavior::close_without_reply);
  IdleReport r = idle_experiment_once(spec_for(server.url()), {seconds(1)}, {});
  INFO(describe(r));
  CHECK(r.finding.kind == IdleFindingKind::none);
  for (const auto& s : r.steps)
    CHECK(s.outcome == IdleOutcome::error);
}

TEST_CASE("idle: the experiment's requests use the target's method, as the probe's do") {
  LoopbackServer server(Behavior::http_ok);
  for (const std::string method : {"HEAD", "DELETE"}) {
    CAPTURE(method);
    auto spec = spec_for(server.url("http", "/healthz"));
    spec->method = method;
    const RequestHeads heads = request_heads(spec, server);
    CHECK(heads.probe.starts_with(method + " /healthz HTTP/1.1\r\n"));
    CHECK(heads.idle.starts_with(method + " /healthz HTTP/1.1\r\n"));
  }
}

TEST_CASE("idle: a header with an empty value is sent empty, as the probe sends it") {
  LoopbackServer server(Behavior::http_ok);
  auto spec = spec_for(server.url());
  // curl drops a header written "Name: " with nothing after the colon; "Name;" sends it empty.
  spec->headers = {{"X-Empty", ""}, {"X-Full", "v"}};
  const RequestHeads heads = request_heads(spec, server);
  for (const std::string& head : {heads.probe, heads.idle}) {
    CHECK(head.find("\r\nX-Empty:\r\n") != std::string::npos);
    CHECK(head.find("\r\nX-Full: v\r\n") != std::string::npos);
  }
}
