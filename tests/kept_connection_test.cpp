// reuse_connection: the probe engine keeps an http(s) target's connection open between probes
// and reports what the next probe found of it, against real loopback servers that keep it,
// close it when idle, reset it while idle, reset the request sent over it, or swallow that
// request. The middlebox case (a conntrack table forgetting the idle connection) runs in a
// network namespace of its own, as in idle_experiment_test.cpp.
#include "checks/kept_connection.hpp"

#include <doctest/doctest.h>
#include <uv.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "checks/probe_engine.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

std::shared_ptr<ProbeSpec> reuse_spec(const std::string& url,
                                      milliseconds timeout = milliseconds(2000)) {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url(url);
  spec->timeout = timeout;
  spec->reuse_connection = true;
  return spec;
}

// Probes `spec` once per pause, sleeping that long before each probe but the first (the loop
// is idle meanwhile, as between two scheduled probes).
std::vector<ProbeResult> probe_series(const std::shared_ptr<ProbeSpec>& spec,
                                      const std::vector<milliseconds>& pauses) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<ProbeResult> results;
  {
    ProbeEngine engine(&loop);
    for (std::size_t i = 0; i < pauses.size(); ++i) {
      if (i > 0) std::this_thread::sleep_for(pauses[i]);
      const std::size_t before = results.size();
      engine.start(spec, [&results](ProbeResult r) { results.push_back(std::move(r)); });
      while (results.size() == before && uv_run(&loop, UV_RUN_ONCE) != 0) {
      }
      if (results.size() != before + 1) break;
    }
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0) results.clear();  // a handle left behind: fail the caller
  return results;
}

std::string describe(const ProbeResult& r) {
  std::string out = std::string(to_string(r.cls)) + "/" + std::string(to_string(r.phase)) +
                    " reused=" + (r.reused ? "1" : "0") + " " + r.message;
  if (r.kept) {
    out += " kept: idle " + std::to_string(r.kept->idle_ms) + " ms, " +
           std::string(to_string(r.kept->outcome));
  }
  return out;
}

}  // namespace

TEST_CASE("reuse_connection: later probes run over the first probe's connection") {
  LoopbackServer server(Behavior::http_ok);
  const auto r = probe_series(reuse_spec(server.url()),
                              {milliseconds(0), milliseconds(300), milliseconds(100)});
  REQUIRE(r.size() == 3);
  for (const ProbeResult& p : r)
    INFO(describe(p));
  CHECK(r[0].ok());
  CHECK_FALSE(r[0].reused);
  CHECK_FALSE(r[0].kept);
  CHECK(r[0].timings.connect_ms);
  for (std::size_t i : {1u, 2u}) {
    INFO("probe " << i << ": " << describe(r[i]));
    CHECK(r[i].ok());
    CHECK(r[i].reused);
    REQUIRE(r[i].kept);
    CHECK(r[i].kept->outcome == IdleOutcome::survived);
    REQUIRE(r[i].idle_ms);
    // The handshake belongs to the first probe: only the exchange has a time.
    CHECK_FALSE(r[i].timings.connect_ms);
    CHECK(r[i].timings.first_byte_ms);
    CHECK(r[i].remote_addr == server.authority());
  }
  CHECK(*r[1].idle_ms >= 250);
  CHECK(*r[1].idle_ms < 5000);
  CHECK(*r[2].idle_ms >= 50);
  CHECK(server.connections() == 1);
  CHECK(server.requests() == 3);
}

TEST_CASE("reuse_connection: https keeps the TLS session and still reports the certificate") {
  LoopbackServerOptions o;
  o.behavior = Behavior::tls_http_ok;
  o.tls = shared_test_pki().good.material();
  LoopbackServer server(o);
  auto spec = reuse_spec(server.url("https", "/"));
  spec->ca_file = shared_test_pki().ca_path;
  const auto r = probe_series(spec, {milliseconds(0), milliseconds(200)});
  REQUIRE(r.size() == 2);
  INFO(describe(r[0]) << "\n" << describe(r[1]));
  CHECK(r[0].ok());
  CHECK(r[0].timings.tls_ms);
  CHECK(r[1].ok());
  CHECK(r[1].reused);
  CHECK_FALSE(r[1].timings.tls_ms);
  REQUIRE(r[1].tls);
  CHECK(r[1].tls->not_after);
  CHECK(server.tls_handshakes() == 1);
  CHECK(server.requests() == 2);
}

TEST_CASE("reuse_connection: a connection the server closed while idle is closed_by_server") {
  LoopbackServerOptions o;
  o.behavior = Behavior::http_ok;
  o.keep_alive_idle_timeout = milliseconds(200);
  LoopbackServer server(o);
  const auto r = probe_series(reuse_spec(server.url()), {milliseconds(0), milliseconds(700)});
  REQUIRE(r.size() == 2);
  INFO(describe(r[1]));
  CHECK(r[1].ok());  // over a fresh connection
  CHECK_FALSE(r[1].reused);
  REQUIRE(r[1].kept);
  CHECK(r[1].kept->outcome == IdleOutcome::closed_by_server);
  CHECK(r[1].kept->idle_ms >= 600);
  CHECK(r[1].timings.connect_ms);
  CHECK(server.connections() == 2);
}

TEST_CASE("reuse_connection: an RST while idle is reset_while_idle") {
  LoopbackServerOptions o;
  o.behavior = Behavior::http_ok;
  o.keep_alive_idle_timeout = milliseconds(200);
  o.keep_alive_idle_reset = true;
  LoopbackServer server(o);
  const auto r = probe_series(reuse_spec(server.url()), {milliseconds(0), milliseconds(700)});
  REQUIRE(r.size() == 2);
  INFO(describe(r[1]));
  CHECK(r[1].ok());
  CHECK_FALSE(r[1].reused);
  REQUIRE(r[1].kept);
  CHECK(r[1].kept->outcome == IdleOutcome::reset_while_idle);
  CHECK(server.connections() == 2);
}

TEST_CASE(
    "reuse_connection: an RST answering the request over it is reset, libcurl's retry is seen") {
  LoopbackServer server(Behavior::rst_second_request);
  const auto r = probe_series(reuse_spec(server.url()),
                              {milliseconds(0), milliseconds(100), milliseconds(100)});
  REQUIRE(r.size() == 3);
  for (std::size_t i : {1u, 2u}) {
    INFO("probe " << i << ": " << describe(r[i]));
    // libcurl retried on a fresh connection, whose first request the server answers.
    CHECK(r[i].ok());
    CHECK_FALSE(r[i].reused);
    REQUIRE(r[i].kept);
    CHECK(r[i].kept->outcome == IdleOutcome::reset);
  }
  CHECK(server.connections() == 3);
}

TEST_CASE(
    "reuse_connection: a request over it that gets no answer is a timeout, over the kept one") {
  LoopbackServer server(Behavior::silent_second_request);
  const auto r = probe_series(reuse_spec(server.url(), milliseconds(500)),
                              {milliseconds(0), milliseconds(50)});
  REQUIRE(r.size() == 2);
  INFO(describe(r[1]));
  CHECK(r[1].cls == FailureClass::timeout);
  CHECK(r[1].phase == Phase::response);
  CHECK(r[1].reused);
  REQUIRE(r[1].kept);
  CHECK(r[1].kept->outcome == IdleOutcome::timeout);
  CHECK(server.connections() == 1);
}

TEST_CASE("reuse_connection: a second probe of the same target at once runs on its own") {
  LoopbackServer server(Behavior::http_ok);
  auto spec = reuse_spec(server.url());
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<ProbeResult> results;
  {
    ProbeEngine engine(&loop);
    auto record = [&results](ProbeResult r) { results.push_back(std::move(r)); };
    engine.start(spec, record);
    engine.start(spec, record);  // the first one holds the kept connection
    while (results.size() < 2 && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    engine.start(spec, record);
    while (results.size() < 3 && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  REQUIRE(results.size() == 3);
  CHECK(results[0].ok());
  CHECK(results[1].ok());
  CHECK_FALSE(results[0].kept);
  CHECK_FALSE(results[1].kept);
  INFO(describe(results[2]));
  CHECK(results[2].reused);  // over the connection the first probe kept
  CHECK(server.connections() == 2);
}

TEST_CASE("reuse_connection off: every probe opens its own connection and keeps none") {
  LoopbackServer server(Behavior::http_ok);
  auto spec = reuse_spec(server.url());
  spec->reuse_connection = false;
  const auto r = probe_series(spec, {milliseconds(0), milliseconds(50), milliseconds(50)});
  REQUIRE(r.size() == 3);
  for (const ProbeResult& p : r) {
    CHECK(p.ok());
    CHECK_FALSE(p.reused);
    CHECK_FALSE(p.kept);
    CHECK_FALSE(p.idle_ms);
  }
  CHECK(server.connections() == 3);
}

TEST_CASE("reuse_connection: a conntrack middlebox that forgot the idle connection resets it") {
  const NetnsOptions options = conntrack_middlebox(2);
  NetnsResult result = run_in_netns(
      [] {
        LoopbackServer server(Behavior::http_ok);  // keeps connections however long they idle
        // Idle 0.5 s survives; idle 3.5 s outlives conntrack's 2 s memory of the connection.
        const auto r = probe_series(reuse_spec(server.url()),
                                    {milliseconds(0), milliseconds(500), milliseconds(3500)});
        const bool ok = r.size() == 3 && r[1].kept && r[1].kept->outcome == IdleOutcome::survived &&
                        r[1].reused && r[2].kept && r[2].kept->outcome == IdleOutcome::reset &&
                        r[2].kept->idle_ms >= 3400 && !r[2].reused && r[2].ok() &&
                        server.connections() == 2;
        if (!ok) {
          std::printf("unexpected results (%zu), server saw %d connections\n", r.size(),
                      server.connections());
          for (const ProbeResult& p : r)
            std::printf("  %s\n", describe(p).c_str());
        }
        return ok ? 0 : 1;
      },
      options);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}
