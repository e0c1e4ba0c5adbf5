// Resolve layer: turns a getaddrinfo outcome into the dns/* taxonomy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "checks/ip_family.hpp"
#include "checks/verdict.hpp"

namespace faultline {

// Classifies a failed lookup of `host`. `uv_status` is libuv's translation of the getaddrinfo
// error (UV_EAI_NONAME, UV_EAI_NODATA, UV_EAI_AGAIN, ...). glibc answers NXDOMAIN with
// EAI_NONAME, a name without A/AAAA records with EAI_NODATA, and SERVFAIL or an unreachable
// resolver with EAI_AGAIN. Out of memory or of descriptors (EMFILE, ENFILE, ENOBUFS: the hosts
// file or a resolver socket could not be opened) is the monitor's own failure (class local).
Verdict classify_dns_error(int uv_status, std::string_view host);

// The deadline passed while the lookup was still running.
Verdict dns_timeout(std::string_view host, long long timeout_ms);

// The lookup succeeded but gave no address faultline can connect to.
Verdict dns_no_usable_address(std::string_view host);

// The lookup succeeded, but `ip_family` excluded every address it gave (`excluded`, numeric):
// dns/no_address, the message naming the family filter and what it removed.
Verdict dns_no_address_in_family(std::string_view host, IpFamily ip_family,
                                 const std::vector<std::string>& excluded);

// A lookup that failed while this process had no descriptor left. glibc reports a hosts file
// or resolver socket it could not open as a missing name (EAI_NONAME) or a resolver failure,
// not as EMFILE, so the caller checks for the shortage itself; the failure is then `local`.
Verdict dns_without_descriptors(int uv_status, std::string_view host);

}  // namespace faultline
