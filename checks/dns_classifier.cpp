#include "checks/dns_classifier.hpp"

#include <uv.h>

#include <string>

#include "checks/printable.hpp"

namespace faultline {

Verdict classify_dns_error(int uv_status, std::string_view host) {
  Verdict v;
  v.cls = FailureClass::dns;
  v.phase = Phase::dns;
  const std::string name(host);
  switch (uv_status) {
    case UV_EAI_NONAME:
      v.detail = Detail::nxdomain;
      v.message = "DNS: the name '" + name + "' does not exist (NXDOMAIN)";
      break;
    case UV_EAI_NODATA:
    case UV_EAI_ADDRFAMILY:
      v.detail = Detail::no_address;
      v.message = "DNS: '" + name + "' exists but has no A or AAAA record";
      break;
    case UV_EAI_AGAIN:
    case UV_EAI_FAIL:
      v.detail = Detail::temporary;
      v.message =
          "DNS: lookup of '" + name +
          "' failed temporarily (SERVFAIL or resolver unreachable): " + uv_strerror(uv_status);
      break;
    case UV_EAI_MEMORY:
    case UV_ENOMEM:
      v.cls = FailureClass::local;
      v.message = "out of memory resolving '" + name + "'";
      break;
    // glibc's EAI_SYSTEM, which libuv turns into the errno: this host could not open the hosts
    // file or a socket to the resolver.
    case UV_EMFILE:
    case UV_ENFILE:
    case UV_ENOBUFS:
      v.cls = FailureClass::local;
      v.message = "this host could not resolve '" + name + "': " + uv_strerror(uv_status);
      break;
    default:
      v.detail = Detail::temporary;
      v.message = "DNS: lookup of '" + name + "' failed: " + uv_strerror(uv_status);
      break;
  }
  return v;
}

Verdict dns_without_descriptors(int uv_status, std::string_view host) {
  Verdict v;
  v.cls = FailureClass::local;
  v.phase = Phase::dns;
  v.sys_errno = EMFILE;
  v.message = "this host is out of file descriptors: the lookup of '" + std::string(host) +
              "' could not read the hosts file or reach the resolver (" + uv_strerror(uv_status) +
              ")";
  return v;
}

Verdict dns_timeout(std::string_view host, long long timeout_ms) {
  Verdict v;
  v.cls = FailureClass::dns;
  v.phase = Phase::dns;
  v.detail = Detail::timeout;
  v.message = "DNS: no answer for '" + std::string(host) + "' within the " +
              std::to_string(timeout_ms) + " ms deadline";
  return v;
}

Verdict dns_no_usable_address(std::string_view host) {
  Verdict v;
  v.cls = FailureClass::dns;
  v.phase = Phase::dns;
  v.detail = Detail::no_address;
  v.message = "DNS: '" + std::string(host) + "' resolved to no usable IPv4 or IPv6 address";
  return v;
}

Verdict dns_no_address_in_family(std::string_view host, IpFamily ip_family,
                                 const std::vector<std::string>& excluded) {
  Verdict v = dns_no_usable_address(host);
  std::string list;
  for (const std::string& address : excluded)
    list += (list.empty() ? "" : ", ") + address;
  const bool want_v4 = ip_family == IpFamily::ipv4;
  v.message = "DNS: " + quote(host) + " has only " + (want_v4 ? "IPv6" : "IPv4") + " addresses (" +
              list + "), and ip_family: " + std::string(to_string(ip_family)) + " removed them";
  return v;
}

}  // namespace faultline
