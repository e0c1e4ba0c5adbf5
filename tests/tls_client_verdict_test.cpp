// Which tls:// attempts wait for the server's verdict on the client certificate, and for how
// long (checks/tls_client_verdict.hpp). The wait itself runs against real servers in
// tests/connection_options_test.cpp.
#include "checks/tls_client_verdict.hpp"

#include <doctest/doctest.h>
#include <openssl/ssl.h>

using namespace faultline;
using std::chrono::milliseconds;

namespace {

ProbeSpec spec_for(const std::string& url) {
  ProbeSpec spec;
  auto parsed = parse_target_url(url);
  REQUIRE_MESSAGE(parsed, url);
  spec.url = *parsed;
  return spec;
}

TlsFacts requested_13() {
  TlsFacts tls;
  tls.handshake_done = true;
  tls.protocol_version = TLS1_3_VERSION;
  tls.client_cert_requested = true;
  return tls;
}

TlsFacts handshake_of(milliseconds took) {
  TlsFacts tls = requested_13();
  tls.started_at = std::chrono::steady_clock::now();
  tls.done_at = *tls.started_at + took;
  return tls;
}

}  // namespace

TEST_CASE("client verdict: only tls:// over TLS 1.3 with a certificate requested waits") {
  const ProbeSpec tls = spec_for("tls://127.0.0.1:443");
  CHECK(awaits_client_verdict(tls, requested_13()));

  TlsFacts v12 = requested_13();
  v12.protocol_version = TLS1_2_VERSION;
  CHECK_FALSE(awaits_client_verdict(tls, v12));
  TlsFacts unasked = requested_13();
  unasked.client_cert_requested = false;
  CHECK_FALSE(awaits_client_verdict(tls, unasked));
  TlsFacts unfinished = requested_13();
  unfinished.handshake_done = false;
  CHECK_FALSE(awaits_client_verdict(tls, unfinished));
  // https:// reads the verdict with its response; tcp:// has no TLS.
  CHECK_FALSE(awaits_client_verdict(spec_for("https://127.0.0.1/"), requested_13()));
  CHECK_FALSE(awaits_client_verdict(spec_for("tcp://127.0.0.1:443"), requested_13()));
}

TEST_CASE(
    "client verdict: the window is three handshakes, within 250 ms and 2 s and the deadline") {
  const milliseconds plenty{60'000};
  CHECK(client_verdict_window(handshake_of(milliseconds(100)), plenty) == milliseconds(300));
  CHECK(client_verdict_window(handshake_of(milliseconds(1)), plenty) == milliseconds(250));
  CHECK(client_verdict_window(requested_13(), plenty) == milliseconds(250));  // no timing
  CHECK(client_verdict_window(handshake_of(milliseconds(5000)), plenty) == milliseconds(2000));
  CHECK(client_verdict_window(handshake_of(milliseconds(100)), milliseconds(120)) ==
        milliseconds(120));
  CHECK(client_verdict_window(handshake_of(milliseconds(100)), milliseconds(0)) == milliseconds(0));
}

TEST_CASE("client verdict: a session ended without an alert names the certificate it was about") {
  TlsHandshakeFailure f;
  f.facts = requested_13();
  f.address = "127.0.0.1:8443";
  f.socket.end = SocketEnd::peer_closed;
  Verdict closed = classify_session_end_after_handshake(f);
  CHECK(closed.cls == FailureClass::tls);
  CHECK(closed.phase == Phase::tls);
  CHECK(closed.detail == Detail::closed);
  CHECK(closed.message.find("the probe sent none (set client_cert and client_key)") !=
        std::string::npos);

  f.facts.client_cert_sent = true;
  f.socket.end = SocketEnd::open;
  f.library_error = "SSL_read: unexpected eof";
  Verdict other = classify_session_end_after_handshake(f);
  CHECK(other.detail == Detail::handshake);
  CHECK(other.message.find("most likely rejected the probe's") != std::string::npos);
  CHECK(other.message.find("unexpected eof") != std::string::npos);
}
