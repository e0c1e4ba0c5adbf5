// The icmp:// verdicts that the namespaces of icmp_probe_test.cpp cannot produce on demand:
// descriptor shortages, the words of ICMP codes, a send the kernel refuses.
#include "checks/icmp_classifier.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <string>

using namespace faultline;

TEST_CASE("icmp classifier: the words of ICMP and ICMPv6 errors") {
  CHECK(icmp_error_text(AF_INET, 3, 1) == "host unreachable (ICMP 3/1)");
  CHECK(icmp_error_text(AF_INET, 3, 13) == "administratively prohibited (ICMP 3/13)");
  CHECK(icmp_error_text(AF_INET, 11, 0) == "time exceeded (ICMP 11/0)");
  CHECK(icmp_error_text(AF_INET6, 1, 0) == "no route (ICMPv6 1/0)");
  CHECK(icmp_error_text(AF_INET6, 1, 1) == "administratively prohibited (ICMPv6 1/1)");
  CHECK(icmp_error_text(AF_INET6, 3, 0) == "time exceeded (ICMPv6 3/0)");
  CHECK(icmp_error_text(AF_INET, 12, 0) == "type ICMP 12/0");
}

TEST_CASE("icmp classifier: socket and send failures of this host are local") {
  for (int err : {EMFILE, ENFILE, ENOBUFS}) {
    CAPTURE(err);
    const Verdict v = icmp_socket_failure(err, AF_INET);
    CHECK(v.cls == FailureClass::local);
    CHECK(v.phase == Phase::connect);
    CHECK(v.sys_errno == err);
    CHECK(v.message.starts_with("this host could not open an ICMP socket: "));
  }
  const Verdict forbidden = icmp_socket_failure(EACCES, AF_INET6);
  CHECK(forbidden.cls == FailureClass::local);
  CHECK(forbidden.message.find("unprivileged ICMPv6 sockets") != std::string::npos);
  CHECK(forbidden.message.find("61184-65519") != std::string::npos);

  const Verdict firewall = icmp_send_failure(EPERM, "192.0.2.1");
  CHECK(firewall.cls == FailureClass::local);
  CHECK(firewall.message.find("own firewall") != std::string::npos);
  CHECK(icmp_send_failure(ENETUNREACH, "192.0.2.1").cls == FailureClass::unreachable);
  CHECK(icmp_send_failure(ENOBUFS, "192.0.2.1").cls == FailureClass::local);
}

TEST_CASE("icmp classifier: an error report without a router still says so") {
  IcmpErrorReport report;
  report.type = 3;
  report.code = 0;
  report.sys_errno = ENETUNREACH;
  const Verdict v = icmp_error_verdict(report, "192.0.2.1");
  CHECK(v.cls == FailureClass::unreachable);
  CHECK(v.sys_errno == ENETUNREACH);
  CHECK(v.message ==
        "echo request to 192.0.2.1 answered network unreachable (ICMP 3/0) by an unknown router");
}
