#include "checks/icmp_classifier.hpp"

#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "checks/probe_result.hpp"

namespace faultline {
namespace {

std::string why(int err) {
  return std::string(std::strerror(err)) + " (" + errno_name(err) + ")";
}

// ICMP destination unreachable codes (RFC 792, RFC 1812).
std::string_view unreachable_v4(int code) {
  switch (code) {
    case ICMP_NET_UNREACH:
      return "network unreachable";
    case ICMP_HOST_UNREACH:
      return "host unreachable";
    case ICMP_PROT_UNREACH:
      return "protocol unreachable";
    case ICMP_PORT_UNREACH:
      return "port unreachable";
    case ICMP_FRAG_NEEDED:
      return "fragmentation needed";
    case ICMP_SR_FAILED:
      return "source route failed";
    case ICMP_NET_UNKNOWN:
      return "network unknown";
    case ICMP_HOST_UNKNOWN:
      return "host unknown";
    case ICMP_NET_ANO:
      return "network administratively prohibited";
    case ICMP_HOST_ANO:
      return "host administratively prohibited";
    case ICMP_PKT_FILTERED:
      return "administratively prohibited";
    default:
      return {};
  }
}

// ICMPv6 destination unreachable codes (RFC 4443).
std::string_view unreachable_v6(int code) {
  switch (code) {
    case ICMP6_DST_UNREACH_NOROUTE:
      return "no route";
    case ICMP6_DST_UNREACH_ADMIN:
      return "administratively prohibited";
    case ICMP6_DST_UNREACH_BEYONDSCOPE:
      return "beyond scope";
    case ICMP6_DST_UNREACH_ADDR:
      return "address unreachable";
    case ICMP6_DST_UNREACH_NOPORT:
      return "port unreachable";
    case 5:
      return "source address failed policy";
    case 6:
      return "reject route";
    default:
      return {};
  }
}

}  // namespace

std::string icmp_error_text(int family, int type, int code) {
  std::string_view words;
  const bool v6 = family == AF_INET6;
  if (!v6 && type == ICMP_DEST_UNREACH) words = unreachable_v4(code);
  if (v6 && type == ICMP6_DST_UNREACH) words = unreachable_v6(code);
  if ((!v6 && type == ICMP_TIME_EXCEEDED) || (v6 && type == ICMP6_TIME_EXCEEDED))
    words = "time exceeded";
  const std::string numbers =
      std::string(v6 ? "ICMPv6 " : "ICMP ") + std::to_string(type) + "/" + std::to_string(code);
  if (words.empty()) return "type " + numbers;
  return std::string(words) + " (" + numbers + ")";
}

Verdict icmp_socket_failure(int err, int family) {
  Verdict v;
  v.cls = FailureClass::local;
  v.phase = Phase::connect;
  v.sys_errno = err;
  const std::string kind = family == AF_INET6 ? "ICMPv6" : "ICMP";
  if (err == EACCES || err == EPERM) {
    v.message = "this host does not let faultline (group " + std::to_string(getegid()) +
                ") open unprivileged " + kind +
                " sockets: its groups are outside net.ipv4.ping_group_range. Allow them with "
                "`sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` (and the same line in "
                "/etc/sysctl.d/ to keep it); the packaged service's DynamicUser group is one "
                "of 61184-65519: " +
                why(err);
  } else if (err == EAFNOSUPPORT) {
    v.message = "this host cannot open " + kind + " sockets (no " +
                (family == AF_INET6 ? "IPv6" : "IPv4") + " here?): " + why(err);
  } else {
    v.message = "this host could not open an " + kind + " socket: " + why(err);
  }
  return v;
}

Verdict icmp_send_failure(int err, std::string_view address) {
  Verdict v;
  v.phase = Phase::connect;
  v.sys_errno = err;
  const std::string addr(address);
  if (err == EHOSTUNREACH || err == ENETUNREACH) {
    v.cls = FailureClass::unreachable;
    v.message = "no route to " + addr + " in this host's routing table (see `ip route get " + addr +
                "`): " + why(err);
  } else if (err == EPERM) {
    v.cls = FailureClass::local;
    v.message = "this host's own firewall dropped the echo request to " + addr + ": " + why(err);
  } else if (err == EINVAL || err == EACCES) {
    v.cls = FailureClass::local;
    v.message = "this host's routing table has a blackhole or prohibit route for " + addr +
                " (see `ip route get " + addr + "`): " + why(err);
  } else if (err == ENOBUFS || err == ENOMEM || err == EMFILE || err == ENFILE) {
    v.cls = FailureClass::local;
    v.message = "this host could not send an echo request to " + addr + ": " + why(err);
  } else {
    v.cls = FailureClass::unreachable;
    v.message = "sending an echo request to " + addr + " failed: " + why(err);
  }
  return v;
}

Verdict icmp_error_verdict(const IcmpErrorReport& report, std::string_view address) {
  Verdict v;
  v.cls = FailureClass::unreachable;
  v.phase = Phase::connect;
  v.sys_errno = report.sys_errno;
  const std::string from = report.offender.empty() ? "an unknown router" : report.offender;
  v.message = "echo request to " + std::string(address) + " answered " +
              icmp_error_text(report.family, report.type, report.code) + " by " + from;
  return v;
}

Verdict icmp_outcome(const IcmpStats& stats, const IcmpOptions& options,
                     const IcmpErrorReport* first_error, long long waited_ms) {
  if (stats.received >= options.min_replies) {
    Verdict ok;
    ok.message = std::to_string(stats.received) + " of " + std::to_string(stats.sent) +
                 " echo requests to " + stats.address + " answered";
    return ok;
  }
  if (stats.errors > 0 && first_error != nullptr) {
    Verdict v = icmp_error_verdict(*first_error, stats.address);
    v.message += " (" + std::to_string(stats.received) + " of " + std::to_string(stats.sent) +
                 " requests answered)";
    return v;
  }
  Verdict v;
  v.cls = FailureClass::timeout;
  v.phase = Phase::connect;
  if (stats.received == 0) {
    v.message = "no echo reply from " + stats.address + " to " + std::to_string(stats.sent) +
                " requests within " + std::to_string(waited_ms) +
                " ms (dropped on the way, or the host does not answer ping)";
  } else {
    v.message = "only " + std::to_string(stats.received) + " of " + std::to_string(stats.sent) +
                " echo requests to " + stats.address + " answered within " +
                std::to_string(waited_ms) + " ms; min_replies is " +
                std::to_string(options.min_replies);
  }
  return v;
}

}  // namespace faultline
