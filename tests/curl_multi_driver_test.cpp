// The curl multi driver when it cannot create its epoll set (EMFILE, ENOMEM): probes must fail
// at once as `local` with the errno, never hang, and the engine must recover once the shortage
// ends. The failure is injected through replace_epoll_create(); the probes are real, against a
// closed loopback port.
#include "checks/curl_multi_driver.hpp"

#include <doctest/doctest.h>
#include <sys/epoll.h>
#include <uv.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "checks/probe_engine.hpp"
#include "checks/uv_timer.hpp"
#include "tests/support/closed_port.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

int g_epoll_failures = 0;  // how many more creations fail
int g_epoll_errno = EMFILE;

int failing_epoll_create(int flags) {
  if (g_epoll_failures > 0) {
    --g_epoll_failures;
    errno = g_epoll_errno;
    return -1;
  }
  return epoll_create1(flags);
}

// Replaces epoll_create1 for the test's lifetime.
struct FailingEpoll {
  FailingEpoll(int failures, int err) {
    g_epoll_failures = failures;
    g_epoll_errno = err;
    previous = replace_epoll_create(&failing_epoll_create);
  }
  ~FailingEpoll() { replace_epoll_create(previous); }
  EpollCreateFn previous;
};

struct EngineHarness {
  uv_loop_t loop{};
  std::unique_ptr<ProbeEngine> engine;
  EngineHarness() {
    uv_loop_init(&loop);
    engine = std::make_unique<ProbeEngine>(&loop);
  }
  ~EngineHarness() {
    engine.reset();
    int rc = uv_loop_close(&loop);
    for (int i = 0; i < 100 && rc == UV_EBUSY; ++i) {
      uv_run(&loop, UV_RUN_NOWAIT);
      rc = uv_loop_close(&loop);
    }
    CHECK(rc == 0);
  }
  // Runs one probe on the engine; nullopt if it has not ended after 10 s (a hang).
  std::optional<ProbeResult> probe(const std::string& url, bool reuse_connection = false) {
    auto spec = std::make_shared<ProbeSpec>();
    spec->url = *parse_target_url(url);
    spec->timeout = milliseconds(2000);
    spec->reuse_connection = reuse_connection;
    std::optional<ProbeResult> result;
    bool expired = false;
    UvTimer guard(&loop);
    guard.start(10'000, [&] { expired = true; });
    engine->start(spec, [&](ProbeResult r) { result = std::move(r); });
    while (!result && !expired)
      uv_run(&loop, UV_RUN_ONCE);
    return result;
  }
};

}  // namespace

TEST_CASE("curl multi driver: without an epoll set add() refuses with the errno, then heals") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    FailingEpoll failing(2, ENOMEM);
    CurlMultiDriver driver(&loop);  // the first failure
    CHECK(driver.epoll_errno() == ENOMEM);
    CURL* easy = curl_easy_init();
    REQUIRE(easy != nullptr);
    CHECK_FALSE(driver.add(easy, nullptr));  // the second
    CHECK(driver.epoll_errno() == ENOMEM);
    // The shortage is over: the next add creates the set and starts the transfer.
    curl_easy_setopt(easy, CURLOPT_URL, "http://127.0.0.1:1/");
    CHECK(driver.add(easy, nullptr));
    CHECK(driver.epoll_errno() == 0);
    driver.remove(easy);
    curl_easy_cleanup(easy);
  }
  int rc = uv_loop_close(&loop);
  for (int i = 0; i < 100 && rc == UV_EBUSY; ++i) {
    uv_run(&loop, UV_RUN_NOWAIT);
    rc = uv_loop_close(&loop);
  }
  CHECK(rc == 0);
}

TEST_CASE("probe engine: a failed epoll_create1 fails the probe as local with the errno") {
  EngineHarness h;
  const std::string url = "tcp://127.0.0.1:" + std::to_string(closed_port()) + "/";
  {
    // The engine's first driver: its construction and the probe's add() both fail.
    FailingEpoll failing(2, EMFILE);
    std::optional<ProbeResult> r = h.probe(url);
    REQUIRE_MESSAGE(r.has_value(), "the probe hung");
    INFO(r->message);
    CHECK(r->cls == FailureClass::local);
    CHECK(r->phase == Phase::connect);
    CHECK(r->sys_errno == EMFILE);
    CHECK(r->message.find("epoll_create1") != std::string::npos);
    CHECK(r->message.find("EMFILE") != std::string::npos);
  }
  // The same engine, its driver created without a set, probes again once descriptors are back.
  std::optional<ProbeResult> r = h.probe(url);
  REQUIRE(r.has_value());
  INFO(r->message);
  CHECK(r->cls == FailureClass::refused);
}

TEST_CASE("probe engine: a failed epoll_create1 for a kept connection fails as local too") {
  EngineHarness h;
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  {
    // The kept connection's driver is the first to need a set; fail every attempt.
    FailingEpoll failing(1000, ENFILE);
    std::optional<ProbeResult> r = h.probe(url, /*reuse_connection=*/true);
    REQUIRE_MESSAGE(r.has_value(), "the probe hung");
    INFO(r->message);
    CHECK(r->cls == FailureClass::local);
    CHECK(r->sys_errno == ENFILE);
  }
  std::optional<ProbeResult> r = h.probe(url, /*reuse_connection=*/true);
  REQUIRE(r.has_value());
  INFO(r->message);
  CHECK(r->cls == FailureClass::refused);
}
