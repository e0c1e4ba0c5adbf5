#include "checks/path_trace_target.hpp"

#include <charconv>

#include "checks/icmp_socket.hpp"

namespace faultline {

std::optional<TraceTarget> split_socket_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc() || end != last || port <= 0 || port > 65535) return std::nullopt;
  return TraceTarget{host, port};
}

bool failure_warrants_trace(const ProbeResult& result) {
  return (result.cls == FailureClass::timeout && result.phase == Phase::connect) ||
         result.cls == FailureClass::unreachable;
}

std::optional<TraceTarget> trace_target(const ProbeSpec& spec, const ProbeResult& result) {
  const Scheme scheme = spec.url.scheme;
  if (scheme == Scheme::icmp || scheme == Scheme::dns || result.proxy) return std::nullopt;
  std::optional<TraceTarget> target;
  if (!result.remote_addr.empty()) {
    target = split_socket_address(result.remote_addr);
  } else if (!result.resolved.empty()) {
    target = TraceTarget{result.resolved.front(), spec.url.port};
  }
  IcmpAddress numeric;
  if (!target || target->port == 0 || !icmp_address_from_text(target->address, numeric)) {
    return std::nullopt;
  }
  return target;
}

}  // namespace faultline
