// Hostile servers: a header flood, an endless body, slowloris, TLS garbage after the handshake, a
// redirect loop and a server that accepts thousands of connections and never reads. Each probe
// must end by its deadline with the class the taxonomy gives it, and a daemon probing all of
// them for a minute must keep its memory bounded.
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <thread>

#include "checks/probe_engine.hpp"
#include "checks/probe_once.hpp"
#include "tests/daemon_process.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/never_reading_server.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

// libcurl's own timeout plus the engine's grace, plus room for a loaded CI machine.
constexpr milliseconds kDeadlineSlack{1500};

std::shared_ptr<ProbeSpec> spec_for(const std::string& url, milliseconds timeout) {
  auto spec = std::make_shared<ProbeSpec>();
  auto parsed = parse_target_url(url);
  REQUIRE_MESSAGE(parsed, url);
  spec->url = *parsed;
  spec->timeout = timeout;
  spec->ca_file = shared_test_pki().ca_path;
  return spec;
}

std::string triple(const ProbeResult& r) {
  return std::string(to_string(r.cls)) + "/" + std::string(to_string(r.phase)) + "/" +
         detail_text(r);
}

// Runs one probe and checks that it ended no later than its deadline allows.
ProbeResult probe_within_deadline(const std::shared_ptr<ProbeSpec>& spec) {
  const auto start = std::chrono::steady_clock::now();
  ProbeResult r = probe_once(spec);
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(triple(r) << ": " << r.message);
  CHECK(took < spec->timeout + kDeadlineSlack);
  return r;
}

LoopbackServerOptions tls_options(Behavior behavior) {
  LoopbackServerOptions o;
  o.behavior = behavior;
  o.tls = shared_test_pki().good.material();
  return o;
}

// Raises this process's soft descriptor limit to `wanted` (or the hard limit); returns the
// soft limit now in force.
rlim_t raise_fd_limit_to(rlim_t wanted) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < wanted) {
    rl.rlim_cur = std::min(wanted, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

}  // namespace

TEST_CASE("hostile: megabytes of header lines end as http/malformed before the deadline") {
  LoopbackServer server(Behavior::header_flood);
  ProbeResult r = probe_within_deadline(spec_for(server.url(), milliseconds(5000)));
  INFO(triple(r) << ": " << r.message);
  CHECK(r.cls == FailureClass::http);
  CHECK(r.phase == Phase::response);
  CHECK(detail_text(r) == "malformed");
  CHECK(*r.timings.total_ms < 4000);  // given up on the size, not on the deadline
}

TEST_CASE("hostile: one header line of megabytes is http/malformed, not local") {
  LoopbackServer server(Behavior::huge_header_line);
  ProbeResult r = probe_within_deadline(spec_for(server.url(), milliseconds(5000)));
  INFO(triple(r) << ": " << r.message);
  CHECK(r.cls == FailureClass::http);
  CHECK(r.phase == Phase::response);
  CHECK(detail_text(r) == "malformed");
  CHECK(*r.timings.total_ms < 4000);
}

TEST_CASE("hostile: an endless body is cut at the body cap long before the deadline") {
  LoopbackServer server(Behavior::endless_body);
  auto spec = spec_for(server.url(), milliseconds(5000));
  ProbeResult r = probe_within_deadline(spec);
  INFO(triple(r) << ": " << r.message);
  CHECK(r.ok());
  CHECK(*r.timings.total_ms < 2000);

  LoopbackServer tls(tls_options(Behavior::tls_http_ok));
  // The same cap applies through TLS (a body of exactly the cap is fine, one byte more stops).
  auto big = spec_for(tls.url("https", "/"), milliseconds(5000));
  big->body_limit = 2;
  CHECK(probe_within_deadline(big).ok());
}

TEST_CASE("hostile: slowloris, a response head one byte every 2 s, is timeout/response") {
  LoopbackServerOptions o;
  o.behavior = Behavior::slow_head;
  o.slow_body_interval = milliseconds(2000);
  LoopbackServer server(o);
  ProbeResult r = probe_within_deadline(spec_for(server.url(), milliseconds(3000)));
  INFO(triple(r) << ": " << r.message);
  CHECK(r.cls == FailureClass::timeout);
  CHECK(r.phase == Phase::response);
  CHECK(*r.timings.total_ms >= 2900);
}

TEST_CASE("hostile: slowloris body, a byte every 2 s, is timeout/body") {
  LoopbackServerOptions o;
  o.behavior = Behavior::slow_body;
  o.slow_body_interval = milliseconds(2000);
  LoopbackServer server(o);
  ProbeResult r = probe_within_deadline(spec_for(server.url(), milliseconds(3000)));
  INFO(triple(r) << ": " << r.message);
  CHECK(r.cls == FailureClass::timeout);
  CHECK(r.phase == Phase::body);
}

TEST_CASE("hostile: non-HTTP bytes inside TLS after the handshake are http/malformed") {
  LoopbackServer server(tls_options(Behavior::tls_garbage));
  ProbeResult r = probe_within_deadline(spec_for(server.url("https", "/"), milliseconds(3000)));
  INFO(triple(r) << ": " << r.message);
  CHECK(r.cls == FailureClass::http);
  CHECK(r.phase == Phase::response);
  CHECK(detail_text(r) == "malformed");
  REQUIRE(r.tls);  // the handshake itself succeeded
}

TEST_CASE("hostile: raw garbage where TLS records belong, after the handshake, is http/malformed") {
  LoopbackServerOptions o = tls_options(Behavior::tls_raw_garbage);
  o.garbage = std::string(4096, '\x17') + "garbage";
  LoopbackServer server(o);
  ProbeResult r = probe_within_deadline(spec_for(server.url("https", "/"), milliseconds(3000)));
  INFO(triple(r) << ": " << r.message);
  CHECK(r.cls == FailureClass::http);
  CHECK(r.phase == Phase::response);
  CHECK(detail_text(r) == "malformed");
}

// nginx's `return 444` over TLS. libcurl answers the server's FIN with its own close_notify, which
// the closed socket answers with an RST, back on loopback before the socket is even closed.
TEST_CASE("hostile: a TLS server closing without a reply is closed/response, not reset") {
  LoopbackServer server(tls_options(Behavior::tls_close_without_reply));
  for (int i = 0; i < 5; ++i) {
    ProbeResult r = probe_within_deadline(spec_for(server.url("https", "/"), milliseconds(3000)));
    INFO(triple(r) << ": " << r.message);
    CHECK(triple(r) == "closed/response/");
  }
}

TEST_CASE("hostile: a redirect to itself is an answer: never followed, one request") {
  LoopbackServerOptions o;
  o.behavior = Behavior::http_status;
  o.status = 301;
  o.extra_headers = "Location: /\r\n";
  LoopbackServer server(o);
  ProbeResult r = probe_within_deadline(spec_for(server.url(), milliseconds(3000)));
  CHECK(r.ok());  // the default expect_status is 200-399
  CHECK(r.http_status == 301);
  auto strict = spec_for(server.url(), milliseconds(3000));
  strict->expect_status = *parse_status_list("200");
  ProbeResult s = probe_within_deadline(strict);
  CHECK(triple(s) == "http/response/301");
  CHECK(server.requests() == 2);
}

TEST_CASE(
    "hostile: 2,000 probes against a server that accepts and never reads end by the deadline") {
  constexpr int kProbes = 2000;
  // Each probe holds a client socket here and the server holds the other end, in this process.
  if (raise_fd_limit_to(2 * kProbes + 256) < 2 * kProbes + 256) {
    skip_test("RLIMIT_NOFILE is too low for " + std::to_string(kProbes) + " connections");
    return;
  }
  NeverReadingServer server;
  const milliseconds timeout(3000);
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<ProbeResult> results;
  const auto start = std::chrono::steady_clock::now();
  {
    ProbeEngine engine(&loop);
    for (int i = 0; i < kProbes; ++i)
      engine.start(spec_for(server.url(), timeout),
                   [&results](ProbeResult r) { results.push_back(std::move(r)); });
    while (results.size() < kProbes && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < timeout + milliseconds(5000));
  REQUIRE(results.size() == kProbes);
  std::map<std::string, int> seen;
  for (const ProbeResult& r : results)
    ++seen[triple(r)];
  for (const auto& [t, n] : seen)
    MESSAGE(n << " x " << t);
  // The request fits in the socket buffers, so it is sent; the answer never comes. Probes whose
  // SYN found the accept queue full time out connecting instead.
  for (const auto& [t, n] : seen)
    CHECK_MESSAGE((t == "timeout/response/" || t == "timeout/connect/"), t);
  CHECK(seen["timeout/response/"] > kProbes / 2);
  CHECK(server.connections() > kProbes / 2);
}

// The phase is `response` here although part of the request never left: libcurl counts the
// request as sent (CURLINFO_REQUEST_SIZE) once its first write succeeded.
TEST_CASE("hostile: a request too big for a server that never reads ends as timeout") {
  NeverReadingServer server;
  auto spec = spec_for(server.url(), milliseconds(2000));
  spec->method = "POST";
  // 900 KiB of header: under libcurl's 1 MiB request limit, far over the server's minimal
  // receive window.
  spec->headers.push_back({"X-Big", std::string(std::size_t{900} << 10, 'b')});
  ProbeResult r = probe_within_deadline(spec);
  INFO(triple(r) << ": " << r.message);
  CHECK(r.cls == FailureClass::timeout);
  CHECK((r.phase == Phase::request || r.phase == Phase::response));
}
