// The failure taxonomy: a fixed contract. The strings returned by to_string() are the values
// stored in SQLite, exported as Prometheus label values and printed in JSON; never rename one.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace faultline {

// What happened to a probe.
enum class FailureClass : std::uint8_t {
  ok,
  dns,
  refused,
  unreachable,
  timeout,
  reset,
  closed,
  tls,
  http,
  local,
  // An application protocol other than HTTP answered wrongly (tcp:// send/expect, and later
  // mail, gRPC): the connection and any TLS worked.
  protocol,
};

// The layer that was in progress when the probe ended. `none` for ok results.
enum class Phase : std::uint8_t {
  none,
  dns,
  connect,
  tls,
  request,
  response,
  body,
  // Reaching or talking to the target's proxy (ProbeSpec::proxy): its name, its TCP connection,
  // its TLS, its answer to CONNECT or SOCKS. Never the target's failure.
  proxy,
};

// The finer cause inside a class. `http_status` means "the status code, as text" and is
// rendered from ProbeResult::http_status; every other value renders as its own name.
enum class Detail : std::uint8_t {
  none,
  // dns
  nxdomain,
  no_address,
  temporary,
  refused,          // dns:// only: REFUSED, or ICMP port unreachable from the server
  answer_mismatch,  // dns:// only: the answer lacks a record `expect` requires
  // dns and tls
  timeout,
  // tls
  expired,
  not_yet_valid,
  hostname_mismatch,
  untrusted,
  handshake,
  reset,
  closed,
  // http
  http_status,
  malformed,
  // http, phase body: expect_body, reject_body or expect_json did not hold
  body_mismatch,
  // tls: the server demanded a client certificate the probe did not send, or rejected the one
  // it sent (its alert says which).
  client_certificate,
  // protocol
  unexpected_reply,  // a greeting or answer the protocol does not allow
  no_starttls,       // the server does not offer STARTTLS
  not_serving,       // gRPC health: NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN
  grpc_status,       // a non-zero grpc-status
  expect_mismatch,   // the reply never matched the target's `expect` regex
};

inline constexpr std::array kAllClasses = {
    FailureClass::ok,      FailureClass::dns,   FailureClass::refused,  FailureClass::unreachable,
    FailureClass::timeout, FailureClass::reset, FailureClass::closed,   FailureClass::tls,
    FailureClass::http,    FailureClass::local, FailureClass::protocol,
};

inline constexpr std::array kAllDetails = {
    Detail::none,
    Detail::nxdomain,
    Detail::no_address,
    Detail::temporary,
    Detail::refused,
    Detail::answer_mismatch,
    Detail::timeout,
    Detail::expired,
    Detail::not_yet_valid,
    Detail::hostname_mismatch,
    Detail::untrusted,
    Detail::handshake,
    Detail::reset,
    Detail::closed,
    Detail::http_status,
    Detail::malformed,
    Detail::unexpected_reply,
    Detail::no_starttls,
    Detail::not_serving,
    Detail::grpc_status,
    Detail::expect_mismatch,
};

inline constexpr std::array kAllPhases = {
    Phase::none,    Phase::dns,      Phase::connect, Phase::tls,
    Phase::request, Phase::response, Phase::body,    Phase::proxy,
};

// Returns the contract string ("refused", "connect", "hostname_mismatch"; "" for Phase::none
// and Detail::none; "http_status" for Detail::http_status, which callers render as the code).
std::string_view to_string(FailureClass c);
std::string_view to_string(Phase p);
std::string_view to_string(Detail d);

// Inverse of to_string; nullopt for unknown words.
std::optional<FailureClass> failure_class_from_string(std::string_view s);
std::optional<Phase> phase_from_string(std::string_view s);
std::optional<Detail> detail_from_string(std::string_view s);

}  // namespace faultline
