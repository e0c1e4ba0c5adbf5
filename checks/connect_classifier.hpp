// TCP connect layer: turns the errno of a failed connect into refused / unreachable / timeout,
// or local when the monitor's own host is at fault.
#pragma once

#include <string_view>

#include "checks/verdict.hpp"

namespace faultline {

// Classifies a connect to `address` ("192.0.2.1:443") that failed with `err`.
//   ECONNREFUSED (RST to our SYN, or a firewall's `reject with tcp reset`) -> refused
//   EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN (ICMP unreachable, including
//     administratively prohibited) -> unreachable
//   ETIMEDOUT -> timeout
//   EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL (ephemeral ports exhausted), EADDRINUSE,
//     EPERM (this host's own firewall), EAFNOSUPPORT -> local
//   EINVAL (a `blackhole` route of this host), EACCES (a `prohibit` route, or a security
//     policy) -> local, the message naming the route and `ip route get ADDRESS`
// Anything else is reported as unreachable with its errno, so it is never silently lost.
Verdict classify_connect_errno(int err, std::string_view address);

// No answer to our SYN before the deadline: a silent drop.
Verdict connect_timeout(std::string_view address, long long waited_ms);

// True for errnos that describe this host rather than the target (see above).
bool is_local_errno(int err);

}  // namespace faultline
