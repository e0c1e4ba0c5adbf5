// What a target's `url` names: a scheme we probe, a host, a port and (for HTTP) a path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "checks/expected.hpp"

namespace faultline {

enum class Scheme : std::uint8_t { http, https, tcp, tls };

// "http", "https", "tcp", "tls": also the `kind` column in storage.
std::string_view to_string(Scheme s);

struct TargetUrl {
  Scheme scheme = Scheme::http;
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string path;  // path plus "?query" for http(s); empty for tcp/tls
  bool host_is_ip = false;
  std::string text;  // the normalised URL, as printed and stored

  bool uses_tls() const { return scheme == Scheme::https || scheme == Scheme::tls; }
  bool is_http() const { return scheme == Scheme::http || scheme == Scheme::https; }
  // "host:port", with brackets around an IPv6 literal.
  std::string authority() const;

  bool operator==(const TargetUrl&) const = default;
};

// `host` as it is written before ":port" in a URL or a socket address: an IPv6 literal in
// brackets ("[::1]"), anything else (a host name, an IPv4 address) unchanged. `host` is
// unbracketed, as TargetUrl::host and numeric addresses are.
std::string bracket_host(std::string_view host);

// Parses `http://`, `https://`, `tcp://host:port` and `tls://host:port` (RFC 3986 syntax via
// libcurl's URL API). Rejects userinfo, fragments, other schemes, a missing port for tcp/tls, a
// path on tcp/tls and non-ASCII host names; the error says which and why.
Expected<TargetUrl> parse_target_url(std::string_view text);

}  // namespace faultline
