// The probe engine against real loopback servers that refuse, reset, hang, talk garbage and
// present bad certificates: one test per row of the taxonomy, each asserting class, phase and
// detail.
#include "checks/probe_engine.hpp"

#include <doctest/doctest.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "checks/probe_once.hpp"
#include "tests/probe_checks.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/full_backlog_listener.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

std::shared_ptr<ProbeSpec> spec_for(const std::string& url,
                                    milliseconds timeout = milliseconds(2000)) {
  return probe_spec_for(url, timeout);
}

LoopbackServerOptions tls_server(const TestCert& cert, Behavior behavior = Behavior::tls_http_ok) {
  LoopbackServerOptions o;
  o.behavior = behavior;
  o.tls = cert.material();
  return o;
}

// https://127.0.0.1:PORT/ trusting the test CA: the good certificate names that address. (Not
// "localhost": a fresh Debian root may have no /etc/hosts. Names reaching TLS are tested in
// dns_probe_test.cpp, against a resolver of the test's own.)
std::shared_ptr<ProbeSpec> https_spec(const LoopbackServer& server,
                                      const std::string& host = "127.0.0.1") {
  auto spec = spec_for("https://" + host + ":" + std::to_string(server.port()) + "/");
  spec->ca_file = shared_test_pki().ca_path;
  return spec;
}

}  // namespace

TEST_CASE("probe: http 200 is ok, with every layer timed") {
  LoopbackServer server(Behavior::http_ok);
  ProbeResult r = probe(spec_for(server.url("http", "/healthz")));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.http_status == 200);
  CHECK(r.remote_addr == server.authority());
  CHECK(r.timings.dns_ms == 0.0);
  REQUIRE(r.timings.connect_ms);
  REQUIRE(r.timings.first_byte_ms);
  REQUIRE(r.timings.total_ms);
  CHECK_FALSE(r.timings.tls_ms);
  CHECK(*r.timings.total_ms >= *r.timings.connect_ms);
  CHECK(server.last_request().starts_with("GET /healthz HTTP/1.1"));
  CHECK(server.last_request().find("User-Agent: faultline/") != std::string::npos);
}

TEST_CASE("probe: closed port is refused/connect with ECONNREFUSED") {
  ProbeResult r = probe(spec_for("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
  check_class(r, FailureClass::refused, Phase::connect);
  CHECK(errno_name(r.sys_errno) == "ECONNREFUSED");
  CHECK(r.timings.connect_ms.has_value());
}

TEST_CASE("probe: a full accept queue drops SYNs: timeout/connect") {
  FullBacklogListener listener;
  ProbeResult r = probe(
      spec_for("http://127.0.0.1:" + std::to_string(listener.port()) + "/", milliseconds(800)));
  check_class(r, FailureClass::timeout, Phase::connect);
  CHECK(*r.timings.total_ms >= 700);
}

TEST_CASE("probe: RST right after the request is reset/response") {
  LoopbackServer server(Behavior::rst_after_request);
  ProbeResult r = probe(spec_for(server.url()));
  check_class(r, FailureClass::reset, Phase::response);
  CHECK(errno_name(r.sys_errno) == "ECONNRESET");
}

TEST_CASE("probe: headers then RST mid-body is reset/body") {
  LoopbackServer server(Behavior::rst_mid_body);
  ProbeResult r = probe(spec_for(server.url()));
  check_class(r, FailureClass::reset, Phase::body);
  CHECK(r.http_status == 200);
}

TEST_CASE("probe: an orderly close without any reply is closed/response") {
  LoopbackServer server(Behavior::close_without_reply);
  check_class(probe(spec_for(server.url())), FailureClass::closed, Phase::response);
}

TEST_CASE("probe: an orderly close mid-body is closed/body") {
  LoopbackServer server(Behavior::close_mid_body);
  check_class(probe(spec_for(server.url())), FailureClass::closed, Phase::body);
}

TEST_CASE("probe: accept and never answer is timeout/response") {
  LoopbackServer server(Behavior::accept_never_answer);
  ProbeResult r = probe(spec_for(server.url(), milliseconds(600)));
  check_class(r, FailureClass::timeout, Phase::response);
  CHECK(*r.timings.total_ms >= 500);
  CHECK(*r.timings.total_ms < 5000);
}

TEST_CASE("probe: a body slower than the deadline is timeout/body") {
  LoopbackServerOptions o;
  o.behavior = Behavior::slow_body;
  o.slow_body_interval = milliseconds(200);
  LoopbackServer server(o);
  check_class(probe(spec_for(server.url(), milliseconds(700))), FailureClass::timeout, Phase::body);
}

TEST_CASE("probe: status 503 with expect_status 200 is http/503") {
  LoopbackServer server(Behavior::http_status);
  auto spec = spec_for(server.url());
  spec->expect_status = *parse_status_list("200");
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::http, Phase::response, "503");
  CHECK(r.http_status == 503);
}

TEST_CASE("probe: non-HTTP bytes are http/malformed") {
  LoopbackServer server(Behavior::garbage);
  check_class(probe(spec_for(server.url())), FailureClass::http, Phase::response, "malformed");
}

TEST_CASE("probe: an endless body is cut at the cap and still ok") {
  LoopbackServer server(Behavior::endless_body);
  ProbeResult r = probe(spec_for(server.url()));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.http_status == 200);
}

TEST_CASE("probe: method, headers and expect_status reach the server") {
  LoopbackServer server(Behavior::http_ok);
  auto spec = spec_for(server.url("http", "/x?y=1"));
  spec->method = "HEAD";
  spec->headers = {{"Authorization", "Bearer secret"}, {"User-Agent", "custom"}};
  spec->expect_status = *parse_status_list("200");
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::ok, Phase::none);
  const std::string request = server.last_request();
  CHECK(request.starts_with("HEAD /x?y=1 HTTP/1.1"));
  CHECK(request.find("Authorization: Bearer secret") != std::string::npos);
  CHECK(request.find("User-Agent: custom") != std::string::npos);
  CHECK(request.find("faultline/") == std::string::npos);
}

TEST_CASE("probe: https with a trusted certificate is ok and reports the certificate") {
  const TestPki& pki = shared_test_pki();
  LoopbackServer server(tls_server(pki.good));
  ProbeResult r = probe(https_spec(server));
  check_class(r, FailureClass::ok, Phase::none);
  REQUIRE(r.tls);
  CHECK(r.tls->not_after == pki.good.not_after);
  CHECK(r.tls->subject.find("CN=localhost") != std::string::npos);
  CHECK_FALSE(r.tls->issuer.empty());
  CHECK(r.tls->version.starts_with("TLSv1."));
  CHECK(r.timings.tls_ms.has_value());
  CHECK(r.http_status == 200);
}

TEST_CASE("probe: expired certificate is tls/expired") {
  const TestPki& pki = shared_test_pki();
  LoopbackServer server(tls_server(pki.expired));
  ProbeResult r = probe(https_spec(server));
  check_class(r, FailureClass::tls, Phase::tls, "expired");
  REQUIRE(r.tls);
  CHECK(r.tls->not_after == pki.expired.not_after);  // the certificate is reported on failure too
  CHECK(r.message.find("expired") != std::string::npos);
}

TEST_CASE("probe: not-yet-valid certificate is tls/not_yet_valid") {
  LoopbackServer server(tls_server(shared_test_pki().not_yet_valid));
  check_class(probe(https_spec(server)), FailureClass::tls, Phase::tls, "not_yet_valid");
}

TEST_CASE("probe: a certificate for another name is tls/hostname_mismatch") {
  LoopbackServer server(tls_server(shared_test_pki().wrong_name));
  check_class(probe(https_spec(server)), FailureClass::tls, Phase::tls, "hostname_mismatch");
}

TEST_CASE("probe: a self-signed certificate is tls/untrusted") {
  LoopbackServer server(tls_server(shared_test_pki().self_signed));
  check_class(probe(https_spec(server)), FailureClass::tls, Phase::tls, "untrusted");
}

TEST_CASE("probe: tls_verify false accepts a bad certificate but still reports it") {
  const TestPki& pki = shared_test_pki();
  LoopbackServer server(tls_server(pki.expired));
  auto spec = https_spec(server);
  spec->tls_verify = false;
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::ok, Phase::none);
  REQUIRE(r.tls);
  CHECK(r.tls->not_after == pki.expired.not_after);
}

TEST_CASE("probe: plain HTTP on a port probed with https:// is tls/handshake") {
  LoopbackServer server(Behavior::http_answers_client_hello);
  ProbeResult r = probe(spec_for(server.url("https")));
  check_class(r, FailureClass::tls, Phase::tls, "handshake");
}

TEST_CASE("probe: RST after the ClientHello is tls/reset, not a plain reset") {
  LoopbackServer server(Behavior::rst_after_client_hello);
  ProbeResult r = probe(spec_for(server.url("https")));
  check_class(r, FailureClass::tls, Phase::tls, "reset");
  CHECK(errno_name(r.sys_errno) == "ECONNRESET");
}

TEST_CASE("probe: silence after the ClientHello is tls/timeout") {
  LoopbackServer server(Behavior::silent_after_client_hello);
  check_class(probe(spec_for(server.url("https"), milliseconds(600))), FailureClass::tls,
              Phase::tls, "timeout");
}

TEST_CASE("probe: EOF during the handshake is tls/closed") {
  LoopbackServer server(Behavior::close_after_client_hello);
  check_class(probe(spec_for(server.url("https"))), FailureClass::tls, Phase::tls, "closed");
}

TEST_CASE("probe: tcp:// connects only") {
  LoopbackServer server(Behavior::tcp_accept_hold);
  ProbeResult r = probe(spec_for(server.url("tcp", "")));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.timings.connect_ms.has_value());
  CHECK_FALSE(r.timings.first_byte_ms.has_value());
  CHECK(server.requests() == 0);
  check_class(probe(spec_for("tcp://127.0.0.1:" + std::to_string(closed_port()))),
              FailureClass::refused, Phase::connect);
}

TEST_CASE("probe: tls:// completes a verified handshake") {
  const TestPki& pki = shared_test_pki();
  LoopbackServer good(tls_server(pki.good, Behavior::tls_accept_only));
  auto spec = spec_for("tls://127.0.0.1:" + std::to_string(good.port()));
  spec->ca_file = pki.ca_path;
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::ok, Phase::none);
  REQUIRE(r.tls);
  CHECK(r.tls->not_after == pki.good.not_after);

  LoopbackServer expired(tls_server(pki.expired, Behavior::tls_accept_only));
  auto bad = spec_for("tls://127.0.0.1:" + std::to_string(expired.port()));
  bad->ca_file = pki.ca_path;
  check_class(probe(bad), FailureClass::tls, Phase::tls, "expired");
}

TEST_CASE("probe: IPv6 loopback") {
  LoopbackServerOptions o;
  o.bind_address = "::1";
  LoopbackServer server(o);
  ProbeResult r = probe(spec_for(server.url()));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.remote_addr == "[::1]:" + std::to_string(server.port()));
  check_class(probe(spec_for("http://[::1]:" + std::to_string(closed_port("::1")) + "/")),
              FailureClass::refused, Phase::connect);
}

TEST_CASE("probe: 200 concurrent probes on one loop all finish with the right class") {
  const TestPki& pki = shared_test_pki();
  LoopbackServer ok(Behavior::http_ok);
  LoopbackServer status(Behavior::http_status);
  LoopbackServer reset(Behavior::rst_after_request);
  LoopbackServer silent(Behavior::accept_never_answer);
  LoopbackServer expired(tls_server(pki.expired));
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  struct Row {
    std::string url;
    FailureClass cls;
  };
  const std::vector<Row> rows = {
      {ok.url(), FailureClass::ok},       {status.url(), FailureClass::http},
      {reset.url(), FailureClass::reset}, {silent.url(), FailureClass::timeout},
      {refused, FailureClass::refused},   {expired.url("https", "/"), FailureClass::tls},
  };
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::map<int, ProbeResult> results;
  {
    ProbeEngine engine(&loop);
    for (int i = 0; i < 200; ++i) {
      auto spec = spec_for(rows[static_cast<std::size_t>(i) % rows.size()].url, milliseconds(3000));
      spec->ca_file = pki.ca_path;
      engine.start(spec, [&results, i](ProbeResult r) { results[i] = std::move(r); });
    }
    CHECK(engine.in_flight() == 200);
    while (results.size() < 200 && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    CHECK(engine.in_flight() == 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  REQUIRE(results.size() == 200);
  for (const auto& [i, r] : results) {
    const Row& row = rows[static_cast<std::size_t>(i) % rows.size()];
    INFO(row.url << " -> " << to_string(r.cls) << ": " << r.message);
    CHECK(r.cls == row.cls);
  }
}

// Regression for pooled easy handles: libcurl 7.88 keeps CURLINFO_OS_ERRNO across transfers
// on one handle, and a probe whose server closes without a reply sets no errno of its own, so a
// handle reused after a refused (or reset) probe would turn that closed/response into
// refused (or reset). Probes run one at a time, so each takes the handle the one before gave back.
TEST_CASE("probe: a refused or reset probe's errno does not leak into the next probe") {
  LoopbackServer ok(Behavior::http_ok);
  LoopbackServer closer(Behavior::close_without_reply);
  LoopbackServer resetter(Behavior::rst_after_request);
  LoopbackServer silent(Behavior::accept_never_answer);
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<ProbeResult> results;
  {
    ProbeEngine engine(&loop);
    auto run = [&](const std::string& url) {
      const std::size_t before = results.size();
      engine.start(spec_for(url, milliseconds(600)),
                   [&results](ProbeResult r) { results.push_back(std::move(r)); });
      while (results.size() == before && uv_run(&loop, UV_RUN_ONCE) != 0) {
      }
      REQUIRE(results.size() == before + 1);
    };
    for (const std::string& url : {ok.url(), refused, closer.url(), resetter.url(), closer.url(),
                                   refused, silent.url(), ok.url()})
      run(url);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  check_class(results[0], FailureClass::ok, Phase::none);
  check_class(results[1], FailureClass::refused, Phase::connect);
  check_class(results[2], FailureClass::closed, Phase::response);
  CHECK(results[2].sys_errno == 0);
  check_class(results[3], FailureClass::reset, Phase::response);
  check_class(results[4], FailureClass::closed, Phase::response);
  CHECK(results[4].sys_errno == 0);
  check_class(results[5], FailureClass::refused, Phase::connect);
  check_class(results[6], FailureClass::timeout, Phase::response);
  CHECK(results[6].sys_errno == 0);
  check_class(results[7], FailureClass::ok, Phase::none);
  CHECK(results[7].sys_errno == 0);
}

TEST_CASE("probe: a cancelled probe never calls back and leaves nothing behind") {
  LoopbackServer silent(Behavior::accept_never_answer);
  uv_loop_t loop;
  uv_loop_init(&loop);
  bool called = false;
  {
    ProbeEngine engine(&loop);
    ProbeId id = engine.start(spec_for(silent.url()), [&](ProbeResult) { called = true; });
    for (int i = 0; i < 400 && silent.connections() == 0; ++i) {
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(5000);
    }
    REQUIRE(silent.connections() == 1);
    engine.cancel(id);
    CHECK(engine.in_flight() == 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK_FALSE(called);
}
