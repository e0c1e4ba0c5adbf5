// The verdicts of icmp:// probes: the ping socket that could not be opened (class local, with
// what net.ipv4.ping_group_range needs), a request the kernel would not send, an ICMP error
// about a request (class unreachable, naming the code and the router), and the count of
// replies against min_replies (ok, or timeout). Every failure is phase `connect`, the layer of
// reaching the host.
#pragma once

#include <string>
#include <string_view>

#include "checks/icmp_options.hpp"
#include "checks/icmp_socket.hpp"
#include "checks/icmp_stats.hpp"
#include "checks/verdict.hpp"

namespace faultline {

// The words of an ICMP error: "host unreachable" (ICMP 3/1), "administratively prohibited"
// (3/13), "no route" (ICMPv6 1/0), "time exceeded" (11 / ICMPv6 3), "type T code C" otherwise.
std::string icmp_error_text(int family, int type, int code);

// socket() of the ping socket failed with `err`. EACCES / EPERM: this process's groups are
// outside net.ipv4.ping_group_range; the message says how to allow them. Anything else
// (EMFILE, ENFILE, ENOBUFS, EAFNOSUPPORT) is this host's trouble too. Always class local.
Verdict icmp_socket_failure(int err, int family);

// sendto() of an echo request to `address` failed with `err`: EHOSTUNREACH / ENETUNREACH
// (this host's routing table has no usable route: unreachable), EPERM (this host's own
// firewall dropped it: local), descriptor or buffer shortages (local), else unreachable.
Verdict icmp_send_failure(int err, std::string_view address);

// An ICMP error came back about a request to `address`: class unreachable, the message naming
// the error and the router that sent it.
Verdict icmp_error_verdict(const IcmpErrorReport& report, std::string_view address);

// The probe's end: ok with at least `options.min_replies` replies; otherwise unreachable if an
// ICMP error came back (`first_error`, when stats.errors > 0), else timeout after `waited_ms`.
Verdict icmp_outcome(const IcmpStats& stats, const IcmpOptions& options,
                     const IcmpErrorReport* first_error, long long waited_ms);

}  // namespace faultline
