// What a target's `url` names: a scheme we probe, a host, a port and what the scheme's path
// holds (an HTTP path, a DNS question). The schemes are one table (kSchemes): a new kind of
// target is a row there, its path rule in parse_target_url, and its prober in
// checks/probe_kinds.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "checks/dns_record_type.hpp"
#include "checks/expected.hpp"

namespace faultline {

enum class Scheme : std::uint8_t {
  http,
  https,
  tcp,
  tls,
  dns,
  icmp,
  smtp,
  smtps,
  imap,
  imaps,
  pop3,
  pop3s,
  grpc,
  grpcs,
};

// Where a scheme's port comes from.
enum class PortRule : std::uint8_t {
  defaulted,  // the row's default_port unless the URL gives one
  required,   // the URL must give one
  none,       // the URL may not give one (icmp://)
};

// What a scheme's URL may hold after the authority.
enum class PathRule : std::uint8_t {
  http,          // any path and query; "/" when empty
  none,          // nothing
  dns_question,  // "/NAME" and an optional "?type=TYPE" (TargetUrl::dns_name, dns_type)
  grpc_service,  // an optional "/SERVICE" (TargetUrl::path)
};

struct SchemeRow {
  Scheme scheme;
  std::string_view name;  // the URL's scheme word; to_string(Scheme); the `kind` in storage
  PortRule port;
  std::uint16_t default_port;  // with PortRule::defaulted
  bool implicit_tls;           // TLS from the first byte
  PathRule path;
  std::string_view form;  // how messages show the URL: "tcp://host:port"
  // Whether targets may use the scheme. A row whose kind of probe is not built yet stays false,
  // and its URLs are refused like those of any unknown scheme; the helper who builds the kind
  // sets it to true and registers the prober (checks/probe_kinds.cpp).
  bool accepted;
};

inline constexpr std::array kSchemes = {
    SchemeRow{Scheme::http, "http", PortRule::defaulted, 80, false, PathRule::http, "http://",
              true},
    SchemeRow{Scheme::https, "https", PortRule::defaulted, 443, true, PathRule::http, "https://",
              true},
    SchemeRow{Scheme::tcp, "tcp", PortRule::required, 0, false, PathRule::none, "tcp://host:port",
              true},
    SchemeRow{Scheme::tls, "tls", PortRule::required, 0, true, PathRule::none, "tls://host:port",
              true},
    SchemeRow{Scheme::dns, "dns", PortRule::defaulted, 53, false, PathRule::dns_question,
              "dns://SERVER/NAME", true},
    SchemeRow{Scheme::icmp, "icmp", PortRule::none, 0, false, PathRule::none, "icmp://host", true},
    SchemeRow{Scheme::smtp, "smtp", PortRule::defaulted, 25, false, PathRule::none, "smtp://host",
              true},
    SchemeRow{Scheme::smtps, "smtps", PortRule::defaulted, 465, true, PathRule::none,
              "smtps://host", true},
    SchemeRow{Scheme::imap, "imap", PortRule::defaulted, 143, false, PathRule::none, "imap://host",
              true},
    SchemeRow{Scheme::imaps, "imaps", PortRule::defaulted, 993, true, PathRule::none,
              "imaps://host", true},
    SchemeRow{Scheme::pop3, "pop3", PortRule::defaulted, 110, false, PathRule::none, "pop3://host",
              true},
    SchemeRow{Scheme::pop3s, "pop3s", PortRule::defaulted, 995, true, PathRule::none,
              "pop3s://host", true},
    SchemeRow{Scheme::grpc, "grpc", PortRule::required, 0, false, PathRule::grpc_service,
              "grpc://host:port", true},
    SchemeRow{Scheme::grpcs, "grpcs", PortRule::required, 0, true, PathRule::grpc_service,
              "grpcs://host:port", true},
};

// The row of `s` in kSchemes.
const SchemeRow& scheme_row(Scheme s);

// "http", "https", "tcp", "tls", "dns", ...: also the `kind` column in storage.
std::string_view to_string(Scheme s);

struct TargetUrl {
  Scheme scheme = Scheme::http;
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 0;
  // http(s): the path plus "?query"; grpc(s): "/SERVICE" or empty; empty for the others.
  std::string path;
  bool host_is_ip = false;
  std::string text;  // the normalised URL, as printed and stored
  // dns:// only: the question, from the path and ?type= (the host is the server asked).
  std::string dns_name;  // normalise_dns_name() form: lower case, no trailing dot
  DnsType dns_type = DnsType::a;

  bool uses_tls() const { return scheme_row(scheme).implicit_tls; }
  bool is_http() const { return scheme == Scheme::http || scheme == Scheme::https; }
  // grpc:// and grpcs://: an HTTP/2 request too, but the gRPC health check's own.
  bool is_grpc() const { return scheme == Scheme::grpc || scheme == Scheme::grpcs; }
  // "host:port", with brackets around an IPv6 literal.
  std::string authority() const;

  bool operator==(const TargetUrl&) const = default;
};

// `host` as it is written before ":port" in a URL or a socket address: an IPv6 literal in
// brackets ("[::1]"), anything else (a host name, an IPv4 address) unchanged. `host` is
// unbracketed, as TargetUrl::host and numeric addresses are.
std::string bracket_host(std::string_view host);

// Which rows of kSchemes parse_target_url takes.
enum class SchemeUse : std::uint8_t {
  accepted,  // the rows targets may use: what config and `faultline check` parse
  any,       // every row, for the tests of rows whose kind is not built yet
};

// Parses a target URL of a scheme of kSchemes (RFC 3986 syntax via libcurl's URL API), by the
// scheme's row: its port rule, and its path rule — http(s) any path; dns
// `dns://SERVER[:PORT]/NAME[?type=A|AAAA|CNAME|MX|TXT|NS|SOA]` (default A, port 53); grpc(s) an
// optional `/SERVICE`; the others nothing. Rejects userinfo, fragments, schemes not in `use`,
// a missing or forbidden port, a path or query the scheme does not take and non-ASCII host
// names; the error says which and why.
Expected<TargetUrl> parse_target_url(std::string_view text, SchemeUse use = SchemeUse::accepted);

}  // namespace faultline
