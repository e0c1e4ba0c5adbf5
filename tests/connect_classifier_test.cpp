// checks/connect_classifier on the facts alone: the errno a failed connect() left, or the
// deadline passing with no answer to the SYN. The loopback tests (probe_engine_test) show the
// kernel really produces these errnos; this pins what each one becomes.
#include "checks/connect_classifier.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "checks/probe_result.hpp"
#include "tests/verdict_text.hpp"

using namespace faultline;
using faultline::testing::triple;

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
  for (const int err :
       {EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL, EADDRINUSE, EPERM, EACCES, EAFNOSUPPORT}) {
    CAPTURE(err);
    CHECK(is_local_errno(err));
    const Verdict v = classify_connect_errno(err, kAddress);
    CHECK(triple(v) == "local/connect/");
    CHECK(v.sys_errno == err);
    CHECK(mentions(v, "this host could not open a connection to 192.0.2.1:443"));
    CHECK(mentions(v, errno_name(err)));
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
