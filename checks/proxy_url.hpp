// What a target's `proxy:` names: the kind of proxy, where it listens, and the credentials it
// may want. The credentials are secrets: only `text` (without them) is ever shown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "checks/expected.hpp"

namespace faultline {

enum class ProxyScheme : std::uint8_t {
  http,     // an HTTP proxy, reached in plain text; every target is tunnelled with CONNECT
  https,    // the same, reached over TLS
  socks5,   // SOCKS5; this host resolves the target's name and hands the proxy an address
  socks5h,  // SOCKS5; the proxy resolves the target's name
};

// "http", "https", "socks5", "socks5h".
std::string_view to_string(ProxyScheme s);

struct ProxyUrl {
  ProxyScheme scheme = ProxyScheme::http;
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 0;
  bool host_is_ip = false;
  // Decoded from the URL's userinfo; empty when it has none. Secrets: never log, store, export
  // or print them.
  std::string username;
  std::string password;
  // "http://proxy.example:3128": the URL without its credentials, the only form shown anywhere.
  std::string text;

  // Whether the proxy, not this host, resolves the target's name (every scheme but socks5).
  bool resolves_target_name() const { return scheme != ProxyScheme::socks5; }
  // An HTTP proxy, plain or TLS: targets go through a CONNECT tunnel.
  bool is_http() const { return scheme == ProxyScheme::http || scheme == ProxyScheme::https; }
  // "host:port", with brackets around an IPv6 literal.
  std::string authority() const;

  bool operator==(const ProxyUrl&) const = default;
};

// Parses `http://`, `https://`, `socks5://` and `socks5h://` proxy URLs with an explicit port
// and optional credentials (`http://user:secret@proxy:3128`, percent-encoded as in any URL).
// Rejects other schemes, a missing port, a path, a query or a fragment. Error messages show the
// URL with its credentials replaced (redact_proxy_url), never the credentials themselves.
Expected<ProxyUrl> parse_proxy_url(std::string_view text);

// `text` with anything between "://" and the last '@' of the authority replaced by "***", so a
// proxy URL can be shown even when it does not parse: "http://***@proxy:3128".
std::string redact_proxy_url(std::string_view text);

}  // namespace faultline
