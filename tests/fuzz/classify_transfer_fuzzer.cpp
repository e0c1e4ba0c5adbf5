// classify_transfer over arbitrary combinations of the facts one attempt can record: every
// verdict is a valid taxonomy triple (class, phase and detail from the closed vocabulary, the
// detail one its class allows), a failure always names its phase and says something, an
// http/<code> failure carries the code it renders as, tls/client_certificate comes from an
// alert, and once a TLS connection is up a fatal alert is tls at any phase and a tls:// target
// fails only as tls (check_tls_target_fails_as_tls). The facts stay within what libcurl and the
// kernel can report (times non-negative, certificate dates within years 0..9999, the TLS facts
// as consistent as OpenSSL reports them); inside that, anything goes, including combinations no
// real transfer produces.
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "checks/transfer_classifier.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace faultline;

namespace {

// Years 0000..9999 in unix seconds: what an X.509 date can hold.
constexpr std::int64_t kEarliestCert = -62'167'219'200;
constexpr std::int64_t kLatestCert = 253'402'300'799;

template <class E>
E pick_enum(FuzzedDataProvider& in, E last) {
  return static_cast<E>(in.ConsumeIntegralInRange<int>(0, static_cast<int>(last)));
}

curl_off_t micros(FuzzedDataProvider& in) {
  return in.ConsumeIntegralInRange<curl_off_t>(0, curl_off_t{1} << 40);
}

std::optional<double> millis(FuzzedDataProvider& in) {
  if (!in.ConsumeBool()) return std::nullopt;
  return in.ConsumeFloatingPointInRange<double>(0.0, 1e9);
}

int some_errno(FuzzedDataProvider& in) {
  // Mostly the errnos the classifiers know, sometimes anything.
  static constexpr int kKnown[] = {
      0,      ECONNREFUSED, ECONNRESET, EPIPE,         ETIMEDOUT, EHOSTUNREACH, ENETUNREACH,
      EMFILE, ENFILE,       ENOBUFS,    EADDRNOTAVAIL, EACCES,    EAGAIN,       EINTR};
  if (in.ConsumeBool()) return in.PickValueInArray(kKnown);
  return in.ConsumeIntegralInRange<int>(0, 200);
}

// What the observer records of the client certificate and of the session after the
// handshake, consistent as OpenSSL reports them: only an alert received can be fatal, and the
// probe sends its certificate only when the server asked for one.
void add_tls_session_facts(FuzzedDataProvider& in, TlsFacts& tls) {
  static constexpr int kVersions[] = {0, TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION,
                                      TLS1_3_VERSION};
  tls.alert_received_fatal = tls.alert_received >= 0 && in.ConsumeBool();
  tls.client_cert_requested = in.ConsumeBool();
  tls.client_cert_sent = tls.client_cert_requested && in.ConsumeBool();
  tls.protocol_version =
      in.ConsumeBool() ? in.PickValueInArray(kVersions) : in.ConsumeIntegralInRange<int>(0, 0xffff);
  tls.session_ticket_received = in.ConsumeBool();
}

TransferFacts make_facts(FuzzedDataProvider& in) {
  TransferFacts f;
  f.code = static_cast<CURLcode>(in.ConsumeIntegralInRange<int>(0, CURL_LAST));
  f.os_errno = some_errno(in);
  f.socket_errno = in.ConsumeBool() ? some_errno(in) : 0;
  f.socket_opened = in.ConsumeBool();
  if (in.ConsumeBool()) {
    SocketSnapshot s;
    s.end = pick_enum(in, SocketEnd::local_closed);
    s.bytes_received = in.ConsumeIntegralInRange<std::uint64_t>(0, 1u << 20);
    s.bytes_acked = in.ConsumeIntegralInRange<std::uint64_t>(0, 1u << 20);
    s.unacked = in.ConsumeIntegral<std::uint32_t>();
    f.socket = s;
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (in.ConsumeBool()) f.tls.started_at = t0;
  if (in.ConsumeBool())
    f.tls.done_at = t0 + std::chrono::milliseconds(in.ConsumeIntegral<std::uint16_t>());
  f.tls.handshake_done = in.ConsumeBool();
  f.tls.verify_error = in.ConsumeBool() ? in.ConsumeIntegralInRange<int>(-2, 100) : 0;
  f.tls.verify_error_depth = in.ConsumeIntegralInRange<int>(-1, 10);
  f.tls.alert_received = in.ConsumeBool() ? in.ConsumeIntegralInRange<int>(0, 255) : -1;
  f.tls.alert_sent = in.ConsumeBool() ? in.ConsumeIntegralInRange<int>(0, 255) : -1;
  if (in.ConsumeBool()) {
    TlsInfo cert;
    cert.version = in.ConsumeRandomLengthString(16);
    cert.subject = in.ConsumeRandomLengthString(64);
    cert.issuer = in.ConsumeRandomLengthString(64);
    if (in.ConsumeBool()) cert.not_after = in.ConsumeIntegralInRange(kEarliestCert, kLatestCert);
    if (in.ConsumeBool()) cert.not_before = in.ConsumeIntegralInRange(kEarliestCert, kLatestCert);
    f.tls.cert = cert;
  }
  f.headers_done = in.ConsumeBool();
  f.body_limit_hit = in.ConsumeBool();
  f.body_bytes = in.ConsumeIntegralInRange<std::size_t>(0, 1u << 24);
  f.http_status = in.ConsumeBool() ? in.ConsumeIntegralInRange<long>(100, 599)
                                   : in.ConsumeIntegralInRange<long>(0, 999);
  f.request_size = in.ConsumeIntegralInRange<long>(0, 1 << 20);
  f.connect_us = micros(in);
  f.appconnect_us = in.ConsumeBool() ? 0 : micros(in);
  f.pretransfer_us = micros(in);
  f.starttransfer_us = micros(in);
  f.total_us = micros(in);
  f.tcp_connected = in.ConsumeBool();
  f.connect_ms = millis(in);
  f.tls_ms = millis(in);
  f.error_text = in.ConsumeRandomLengthString(256);
  f.reused = in.ConsumeBool();
  add_tls_session_facts(in, f.tls);
  return f;
}

// The TLS options of a spec that the classifiers read: a client certificate (whose loss is
// this host's fault), a server name and a minimum version (both named in messages).
void add_tls_options(FuzzedDataProvider& in, ProbeSpec& spec) {
  if (in.ConsumeBool()) {
    spec.client_cert = "/etc/faultline/client.pem";
    spec.client_key = "/etc/faultline/client.key";
  }
  if (in.ConsumeBool()) spec.server_name = in.ConsumeRandomLengthString(64);
  spec.tls_min_version = pick_enum(in, TlsMinVersion::tls1_3);
  if (in.ConsumeBool()) spec.ca_file = "/etc/faultline/ca.pem";
}

ProbeSpec make_spec(FuzzedDataProvider& in) {
  static constexpr const char* kUrls[] = {"http://127.0.0.1:8080/", "https://localhost:8443/x",
                                          "tcp://[::1]:22", "tls://example.test:993"};
  static constexpr const char* kExpect[] = {"200", "200-399", "100-599", "204,301-302"};
  ProbeSpec spec;
  spec.url = *parse_target_url(in.PickValueInArray(kUrls));
  spec.expect_status = *parse_status_list(in.PickValueInArray(kExpect));
  spec.tls_verify = in.ConsumeBool();
  return spec;
}

bool detail_fits(FailureClass c, Detail d) {
  switch (c) {
    case FailureClass::dns:
      return d == Detail::nxdomain || d == Detail::no_address || d == Detail::temporary ||
             d == Detail::timeout || d == Detail::refused || d == Detail::answer_mismatch;
    case FailureClass::tls:
      return d == Detail::expired || d == Detail::not_yet_valid || d == Detail::hostname_mismatch ||
             d == Detail::untrusted || d == Detail::handshake || d == Detail::reset ||
             d == Detail::closed || d == Detail::timeout || d == Detail::client_certificate;
    case FailureClass::http:
      return d == Detail::http_status || d == Detail::malformed || d == Detail::body_mismatch;
    case FailureClass::protocol:
      return d == Detail::unexpected_reply || d == Detail::no_starttls ||
             d == Detail::not_serving || d == Detail::grpc_status || d == Detail::expect_mismatch;
    default:
      return d == Detail::none;
  }
}

// Once a TLS connection is up, what ends it is a TLS matter: a fatal alert from the server
// (with TLS 1.3 it comes after the handshake, often with an RST behind it) is tls at any phase,
// and a tls:// target, which exchanges nothing but the handshake (and the wait for the
// server's verdict on the client certificate), fails only as tls. This host's own certificate
// or trust store is the exception: local.
void check_tls_target_fails_as_tls(const ProbeSpec& spec, const TransferFacts& f, const Verdict& v,
                                   const std::string& triple) {
  const SocketEnd end = f.socket ? f.socket->end : SocketEnd::unknown;
  const bool connected =
      f.tcp_connected && end != SocketEnd::connecting && !(!f.socket_opened && f.socket_errno != 0);
  const bool ours = (f.code == CURLE_SSL_CERTPROBLEM && !spec.client_cert.empty()) ||
                    f.code == CURLE_SSL_CACERT_BADFILE;
  const bool finished = f.code == CURLE_OK || (f.code == CURLE_WRITE_ERROR && f.body_limit_hit);
  if (!spec.url.uses_tls() || !connected || ours || finished) return;
  if (f.tls.alert_received_fatal) {
    FUZZ_CHECK(v.cls == FailureClass::tls, "a fatal alert read as %s", triple.c_str());
  }
  if (!spec.url.is_http()) {
    FUZZ_CHECK(v.cls == FailureClass::tls, "a tls:// failure as %s", triple.c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  ProbeSpec spec = make_spec(in);
  const TransferFacts facts = make_facts(in);
  add_tls_options(in, spec);
  const std::int64_t now = in.ConsumeIntegralInRange<std::int64_t>(0, std::int64_t{1} << 36);
  const Verdict v = classify_transfer(facts, spec, "127.0.0.1:8080", now);

  const auto& classes = kAllClasses;
  const auto& phases = kAllPhases;
  FUZZ_CHECK(std::find(classes.begin(), classes.end(), v.cls) != classes.end(), "class %d",
             static_cast<int>(v.cls));
  FUZZ_CHECK(std::find(phases.begin(), phases.end(), v.phase) != phases.end(), "phase %d",
             static_cast<int>(v.phase));
  // The last detail of the taxonomy (checks/taxonomy.hpp).
  FUZZ_CHECK(static_cast<int>(v.detail) <= static_cast<int>(Detail::client_certificate),
             "detail %d", static_cast<int>(v.detail));
  const std::string triple = std::string(to_string(v.cls)) + "/" + std::string(to_string(v.phase)) +
                             "/" + std::string(to_string(v.detail));
  FUZZ_CHECK(detail_fits(v.cls, v.detail), "detail does not fit its class: %s", triple.c_str());
  FUZZ_CHECK(v.sys_errno >= 0, "%s with errno %d", triple.c_str(), v.sys_errno);
  if (v.cls == FailureClass::ok) {
    FUZZ_CHECK(v.phase == Phase::none, "ok with a phase: %s", triple.c_str());
    return 0;
  }
  FUZZ_CHECK(v.phase != Phase::none, "a failure without a phase: %s", triple.c_str());
  FUZZ_CHECK(!v.message.empty(), "a failure without a message: %s", triple.c_str());
  if (v.cls == FailureClass::tls) FUZZ_CHECK(v.phase == Phase::tls, "%s", triple.c_str());
  // The server's complaint about the client certificate is only ever read from its alert.
  if (v.detail == Detail::client_certificate) {
    FUZZ_CHECK(facts.tls.alert_received >= 0, "%s without an alert", triple.c_str());
  }
  check_tls_target_fails_as_tls(spec, facts, v, triple);
  if (v.detail == Detail::http_status) {
    FUZZ_CHECK(v.http_status >= 100 && v.http_status <= 999, "%s with status %d", triple.c_str(),
               v.http_status);
  }
  return 0;
}
