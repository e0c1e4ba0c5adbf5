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
};

inline constexpr std::array kAllClasses = {
    FailureClass::ok,      FailureClass::dns,   FailureClass::refused, FailureClass::unreachable,
    FailureClass::timeout, FailureClass::reset, FailureClass::closed,  FailureClass::tls,
    FailureClass::http,    FailureClass::local,
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

}  // namespace faultline
