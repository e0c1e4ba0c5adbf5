// checks/connect_classifier, first on the facts alone: the errno a failed connect() left, or the
// deadline passing with no answer to the SYN (the loopback tests in probe_engine_test show the
// kernel really produces these errnos; this pins what each one becomes). Then this host's routing
// table refusing a connect: a `blackhole` route (EINVAL) and a `prohibit` route (EACCES) fail the
// connect at once, before any packet leaves, and are this host's fault (`local`), with a message
// that names the route; an `unreachable` route stays `unreachable`. Each route case probes a real
// address in a network namespace of its own, whose routing table the test sets up.
#include "checks/connect_classifier.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "checks/advice.hpp"
#include "checks/probe_once.hpp"
#include "checks/probe_result.hpp"
#include "checks/target_url.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/verdict_text.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr const char* kAddress = "192.0.2.1:443";

bool mentions(const Verdict& v, const std::string& words) {
  return v.message.find(words) != std::string::npos;
}

}  // namespace

TEST_CASE("connect classifier: an RST answering our SYN is refused") {
  const Verdict v = classify_connect_errno(ECONNREFUSED, kAddress);
  CHECK(triple(v) == "refused/connect/");
  CHECK(v.sys_errno == ECONNREFUSED);
  CHECK(mentions(v, kAddress));
  CHECK(mentions(v, "nothing accepts connections"));
}

TEST_CASE("connect classifier: ICMP unreachable and a network that is down are unreachable") {
  for (const int err : {EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN}) {
    CAPTURE(err);
    const Verdict v = classify_connect_errno(err, kAddress);
    CHECK(triple(v) == "unreachable/connect/");
    CHECK(v.sys_errno == err);
    CHECK(mentions(v, "no route to 192.0.2.1:443"));
    CHECK(mentions(v, errno_name(err)));
  }
}

TEST_CASE("connect classifier: the kernel giving up on the handshake is a timeout") {
  const Verdict v = classify_connect_errno(ETIMEDOUT, kAddress);
  CHECK(triple(v) == "timeout/connect/");
  CHECK(v.sys_errno == ETIMEDOUT);
  CHECK(mentions(v, "timed out"));
}

TEST_CASE("connect classifier: a silent drop until the deadline is a timeout, with the wait") {
  const Verdict v = connect_timeout(kAddress, 1500);
  CHECK(triple(v) == "timeout/connect/");
  CHECK(v.sys_errno == 0);  // no errno: nothing came back at all
  CHECK(mentions(v, kAddress));
  CHECK(mentions(v, "1500 ms"));
  CHECK(mentions(v, "silently dropped"));
}

TEST_CASE("connect classifier: this host's own shortages and firewall are local") {
  for (const int err : {EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL, EADDRINUSE, EPERM, EACCES,
                        EAFNOSUPPORT, EINVAL}) {
    CAPTURE(err);
    CHECK(is_local_errno(err));
    const Verdict v = classify_connect_errno(err, kAddress);
    CHECK(triple(v) == "local/connect/");
    CHECK(v.sys_errno == err);
    CHECK(mentions(v, errno_name(err)));
    // EACCES and EINVAL name the route that answers them (the cases at the end of this file).
    if (err != EACCES && err != EINVAL)
      CHECK(mentions(v, "this host could not open a connection to 192.0.2.1:443"));
  }
}

TEST_CASE("connect classifier: errnos about the target are never local") {
  for (const int err :
       {ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN, ETIMEDOUT, ECONNRESET, 0}) {
    CAPTURE(err);
    CHECK_FALSE(is_local_errno(err));
  }
}

TEST_CASE("connect classifier: an errno nobody expected stays visible as unreachable") {
  const Verdict v = classify_connect_errno(EPROTO, kAddress);
  CHECK(triple(v) == "unreachable/connect/");
  CHECK(v.sys_errno == EPROTO);
  CHECK(mentions(v, "connecting to 192.0.2.1:443 failed"));
  CHECK(mentions(v, errno_name(EPROTO)));
}

namespace {

struct RouteCase {
  std::string route;     // the `ip route add` (or `ip -6 route add`) arguments
  std::string url;       // the target, inside the route's prefix
  FailureClass cls;      // what the probe must say
  std::string errno_id;  // and with which errno
  std::string words;     // a piece of the message that names the route ("" for none)
};

// Probes `c.url` once in a namespace whose routing table has `c.route`; the child exits 0 when
// the result is what `c` says, and prints what it got either way.
NetnsResult probe_behind_route(const RouteCase& c, const std::string& ip_command) {
  NetnsOptions options;
  options.setup_commands = {ip_command + " route add " + c.route};
  return run_in_netns(
      [&] {
        auto spec = std::make_shared<ProbeSpec>();
        auto url = parse_target_url(c.url);
        if (!url) {
          std::printf("bad url %s\n", c.url.c_str());
          return 1;
        }
        spec->url = *url;
        spec->timeout = std::chrono::milliseconds(3000);
        const ProbeResult r = probe_once(spec);
        std::printf("%s/%s %s: %s\nadvice: %s\n", std::string(to_string(r.cls)).c_str(),
                    std::string(to_string(r.phase)).c_str(), errno_name(r.sys_errno).c_str(),
                    r.message.c_str(), std::string(advice_for(r)).c_str());
        const bool ok =
            r.cls == c.cls && r.phase == Phase::connect && errno_name(r.sys_errno) == c.errno_id &&
            r.message.find(c.words) != std::string::npos &&
            (r.cls != FailureClass::local ||
             advice_for(r).find("blackhole or prohibit route") != std::string_view::npos) &&
            // At once: nothing waited for an answer that a dropped SYN would need.
            r.timings.total_ms && *r.timings.total_ms < 1000;
        return ok ? 0 : 1;
      },
      options);
}

void check_route(const RouteCase& c, const std::string& ip_command = "ip") {
  INFO(c.route << " -> " << c.url);
  const NetnsResult result = probe_behind_route(c, ip_command);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}

}  // namespace

TEST_CASE("connect: a blackhole route of this host is local, and the message names it") {
  check_route({"blackhole 192.0.2.0/24", "tcp://192.0.2.1:80", FailureClass::local, "EINVAL",
               "blackhole route for 192.0.2.1 (see `ip route get 192.0.2.1`)"});
  check_route({"blackhole 2001:db8::/32", "http://[2001:db8::1]:80/", FailureClass::local, "EINVAL",
               "blackhole route for 2001:db8::1"},
              "ip -6");
}

TEST_CASE("connect: a prohibit route of this host is local, and the message names it") {
  check_route({"prohibit 192.0.2.0/24", "tcp://192.0.2.1:80", FailureClass::local, "EACCES",
               "prohibit route for 192.0.2.1"});
}

TEST_CASE("connect: an unreachable route stays unreachable (a router's ICMP looks the same)") {
  check_route({"unreachable 192.0.2.0/24", "tcp://192.0.2.1:80", FailureClass::unreachable,
               "EHOSTUNREACH", "no route to 192.0.2.1:80"});
}

TEST_CASE("connect: EINVAL and EACCES name the route, a link-local address its missing zone") {
  const Verdict blackhole = classify_connect_errno(EINVAL, "[2001:db8::5]:443");
  CHECK(blackhole.cls == FailureClass::local);
  CHECK(
      blackhole.message.find("blackhole route for 2001:db8::5 (see `ip route get 2001:db8::5`)") !=
      std::string::npos);
  const Verdict link_local = classify_connect_errno(EINVAL, "[fe80::1]:80");
  CHECK(link_local.cls == FailureClass::local);
  CHECK(link_local.message.find("without knowing its interface") != std::string::npos);
  const Verdict prohibit = classify_connect_errno(EACCES, "10.1.2.3:5432");
  CHECK(prohibit.cls == FailureClass::local);
  CHECK(prohibit.message.find("prohibit route for 10.1.2.3") != std::string::npos);
  // An errno nobody expects is still never lost, and never blamed on this host.
  CHECK(classify_connect_errno(EPROTO, "10.1.2.3:5432").cls == FailureClass::unreachable);
}
