// The result of one probe: a value every consumer (storage, metrics, `faultline check`) reads.
// Nothing downstream parses `message`; everything it needs is a field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/icmp_stats.hpp"
#include "checks/idle_bracket.hpp"
#include "checks/taxonomy.hpp"

namespace faultline {

// Per-layer durations in milliseconds; each layer's own time, not cumulative. A layer that was
// not reached (or does not apply, like TLS on http://) is nullopt.
struct Timings {
  std::optional<double> dns_ms;         // resolving the name (0 for IP literals)
  std::optional<double> connect_ms;     // TCP handshake
  std::optional<double> tls_ms;         // TLS handshake
  std::optional<double> first_byte_ms;  // request sent until the first response byte
  std::optional<double> total_ms;       // the whole probe, including tries of other addresses
};

// The server's certificate, recorded whether or not the probe succeeded.
struct TlsInfo {
  std::string version;  // "TLSv1.3"
  std::string subject;
  std::string issuer;
  std::optional<std::int64_t> not_after;   // unix seconds
  std::optional<std::int64_t> not_before;  // unix seconds
};

// For reuse_connection targets: the connection the previous probe left open, as this probe
// found it when it came to send its request.
struct KeptConnectionUse {
  std::int64_t idle_ms = 0;  // how long it had sat idle
  // survived: the exchange ran over it; reset_while_idle / closed_by_server: the peer had
  // ended it while it sat idle; reset: RST in answer to the request, closed_by_server too for a
  // FIN in answer to it (libcurl then retried on a fresh connection, which the rest of the
  // result describes); timeout: the request over it got no answer; error: unknown.
  IdleOutcome outcome = IdleOutcome::error;
};

// One redirect a probe followed (ProbeSpec::follow_redirects): the request that was answered
// with a redirect, in the order made.
struct RedirectHop {
  std::string url;                 // the URL requested
  int status = 0;                  // the redirect status it was answered with (301, 302, ...)
  std::optional<double> total_ms;  // the hop, resolve to last byte

  bool operator==(const RedirectHop&) const = default;
};

// How a probe with a proxy (ProbeSpec::proxy) went through it. Timings::connect_ms then covers
// reaching the target through the proxy: the TCP connection to the proxy and its CONNECT or
// SOCKS exchange.
struct ProxyUse {
  std::string url;                    // without credentials: "http://proxy.example:3128"
  std::vector<std::string> resolved;  // the proxy's addresses, when its URL names a host
  std::string address;     // "192.0.2.8:3128": the proxy address connected to; empty before
  int connect_status = 0;  // an HTTP proxy's answer to CONNECT; 0 when none was read
  bool tunnel_up = false;  // the proxy had connected the probe to the target
  // Whether the proxy resolved the target's name (http, https and socks5h proxies): `resolved`
  // of the result is then empty, and its remote_addr the target's name and port.
  bool resolves_target = false;

  bool operator==(const ProxyUse&) const = default;
};

// dns:// probes: the server asked and what it answered, whether or not the probe succeeded.
struct DnsAnswer {
  std::string question;  // "MX example.com"
  std::string server;    // "192.0.2.53:53", the address asked (also ProbeResult::remote_addr)
  std::string rcode;     // "NOERROR", "NXDOMAIN", "SERVFAIL", ...; empty without an answer
  std::vector<std::string> records;   // of the asked type, in dns_record_type.hpp's form
  std::optional<std::uint32_t> ttl;   // the smallest TTL of the answer section's records
  bool over_tcp = false;              // truncated over UDP, answered over TCP
  std::optional<double> response_ms;  // query sent to answer in (also Timings::dns_ms)
};

// tcp:// and tls:// probes with send/expect: the conversation after connecting.
struct Exchange {
  std::size_t sent = 0;      // bytes of `send` written
  std::size_t received = 0;  // bytes read
  std::string reply;         // the first bytes read, at most kReplyExcerptBytes, raw
};

inline constexpr std::size_t kReplyExcerptBytes = 256;

// grpc:// and grpcs:// probes: the health check asked and what it answered, whether or not the
// probe succeeded. Empty strings where the reply did not get that far.
struct GrpcHealth {
  std::string service;         // the service asked about; "" for the server as a whole
  std::string serving_status;  // "SERVING", "NOT_SERVING", ...: the response's status
  std::optional<int> status;   // grpc-status, from the trailers (or a trailers-only reply)
  std::string message;         // grpc-message, percent-decoded, raw
};

struct ProbeResult {
  FailureClass cls = FailureClass::ok;
  Phase phase = Phase::none;
  Detail detail = Detail::none;
  int sys_errno = 0;    // the errno that decided the result, 0 if none
  std::string message;  // one line for humans
  Timings timings;
  int http_status = 0;      // 0 when no status line was received
  std::string remote_addr;  // "192.0.2.1:443" / "[2001:db8::1]:443"; empty before connecting
  std::vector<std::string> resolved;  // every address the name resolved to, in order tried
  std::optional<TlsInfo> tls;
  bool reused = false;                    // the probe ran over a kept-alive connection
  std::optional<std::int64_t> idle_ms;    // how long the kept connection had been idle
  std::optional<KeptConnectionUse> kept;  // reuse_connection targets, when one was kept
  std::optional<DnsAnswer> dns;           // dns:// targets
  std::optional<Exchange> exchange;       // tcp:// and tls:// targets with send or expect
  std::optional<IcmpStats> icmp;          // icmp:// targets
  std::optional<GrpcHealth> grpc;         // grpc:// and grpcs:// targets that got a reply
  std::int64_t started_at_ms = 0;         // unix milliseconds
  // Redirects followed before the last request, which the fields above describe (its layers,
  // address, status); a failure happened on hop redirects.size() + 1.
  std::vector<RedirectHop> redirects;
  std::string final_url;  // the last request's URL when redirects were followed, else ""
  // A successful probe that took longer than its degraded_after (timings.total_ms up to the
  // last byte): still ok and up, but slow. Always false for failures.
  bool slow = false;
  std::optional<ProxyUse> proxy;  // probes with a proxy only

  bool ok() const { return cls == FailureClass::ok; }
};

// The `detail` contract string: the status code ("503") for Detail::http_status, otherwise
// to_string(detail).
std::string detail_text(const ProbeResult& r);

// "ECONNRESET" for ECONNRESET; "" for 0; "E<number>" for values the C library cannot name.
std::string errno_name(int err);

}  // namespace faultline
