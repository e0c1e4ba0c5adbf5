// checks/tls_classifier on the facts alone: what the TLS observer recorded about a failed
// handshake (verification error, alerts each way), the deadline, and the socket's end as
// TCP_INFO saw it. probe_engine_test shows real servers produce these facts; this pins the order
// of evidence and the words of each verdict.
#include "checks/tls_classifier.hpp"

#include <doctest/doctest.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cerrno>
#include <string>

#include "tests/verdict_text.hpp"

using namespace faultline;
using faultline::testing::triple;

namespace {

constexpr long long kNow = 1714564800;  // 2024-05-01 12:00 UTC
constexpr long long kDay = 86'400;

// A handshake that failed with no evidence at all yet: the connection still open.
TlsHandshakeFailure handshake_failure() {
  TlsHandshakeFailure f;
  f.host = "api.example.com";
  f.address = "192.0.2.1:443";
  f.now_unix = kNow;
  f.elapsed_ms = 1200;
  f.socket.end = SocketEnd::open;
  TlsInfo cert;
  cert.subject = "CN=api.example.com";
  cert.not_before = kNow - 90 * kDay;
  cert.not_after = kNow + 30 * kDay;
  f.facts.cert = cert;
  return f;
}

bool mentions(const Verdict& v, const std::string& words) {
  return v.message.find(words) != std::string::npos;
}

}  // namespace

TEST_CASE("tls classifier: each certificate verification error has its detail") {
  CHECK(tls_detail_for_verify_error(X509_V_ERR_CERT_HAS_EXPIRED) == Detail::expired);
  CHECK(tls_detail_for_verify_error(X509_V_ERR_CRL_HAS_EXPIRED) == Detail::expired);
  CHECK(tls_detail_for_verify_error(X509_V_ERR_CERT_NOT_YET_VALID) == Detail::not_yet_valid);
  CHECK(tls_detail_for_verify_error(X509_V_ERR_CRL_NOT_YET_VALID) == Detail::not_yet_valid);
  CHECK(tls_detail_for_verify_error(X509_V_ERR_HOSTNAME_MISMATCH) == Detail::hostname_mismatch);
  CHECK(tls_detail_for_verify_error(X509_V_ERR_IP_ADDRESS_MISMATCH) == Detail::hostname_mismatch);
  CHECK(tls_detail_for_verify_error(X509_V_ERR_EMAIL_MISMATCH) == Detail::hostname_mismatch);
  // Every chain problem is one answer for the operator: this host does not trust the chain.
  for (const int err :
       {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_CERT_REVOKED,
        X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_INVALID_CA}) {
    CAPTURE(err);
    CHECK(tls_detail_for_verify_error(err) == Detail::untrusted);
  }
}

TEST_CASE("tls classifier: an expired server certificate says when it expired") {
  TlsHandshakeFailure f = handshake_failure();
  f.facts.verify_error = X509_V_ERR_CERT_HAS_EXPIRED;
  f.facts.verify_error_depth = 0;
  f.facts.cert->not_after = kNow - 3 * kDay - 3600;

  SUBCASE("days ago") {
    const Verdict v = classify_tls_failure(f);
    CHECK(triple(v) == "tls/tls/expired");
    CHECK(v.message ==
          "TLS: the certificate of api.example.com (CN=api.example.com) expired 3 days ago, on "
          "2024-04-28 11:00 UTC");
  }
  SUBCASE("one day ago") {
    f.facts.cert->not_after = kNow - kDay;
    CHECK(mentions(classify_tls_failure(f), "expired 1 day ago"));
  }
  SUBCASE("within the day") {
    f.facts.cert->not_after = kNow - 60;
    CHECK(mentions(classify_tls_failure(f), "expired less than a day ago"));
  }
  SUBCASE("a certificate up the chain: its depth, not the leaf's dates") {
    f.facts.verify_error_depth = 1;
    const Verdict v = classify_tls_failure(f);
    CHECK(triple(v) == "tls/tls/expired");
    CHECK(mentions(v, "TLS: a certificate in the chain (depth 1) was rejected: "));
    CHECK(mentions(v, X509_verify_cert_error_string(X509_V_ERR_CERT_HAS_EXPIRED)));
  }
}

TEST_CASE("tls classifier: a certificate not yet valid points at the clocks") {
  TlsHandshakeFailure f = handshake_failure();
  f.facts.verify_error = X509_V_ERR_CERT_NOT_YET_VALID;
  f.facts.verify_error_depth = 0;
  f.facts.cert->not_before = kNow + 2 * kDay + 60;
  const Verdict v = classify_tls_failure(f);
  CHECK(triple(v) == "tls/tls/not_yet_valid");
  CHECK(mentions(v, "is not valid until 2024-05-03 12:01 UTC (in 2 days)"));
  CHECK(mentions(v, "clocks"));
}

TEST_CASE("tls classifier: an untrusted chain and a wrong name are reported as verified") {
  TlsHandshakeFailure f = handshake_failure();
  f.facts.verify_error_depth = 0;
  SUBCASE("self-signed") {
    f.facts.verify_error = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
    const Verdict v = classify_tls_failure(f);
    CHECK(triple(v) == "tls/tls/untrusted");
    CHECK(mentions(v, "the certificate of api.example.com (CN=api.example.com) was rejected: "));
    CHECK(mentions(v, X509_verify_cert_error_string(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)));
  }
  SUBCASE("the name, from chain verification") {
    f.facts.verify_error = X509_V_ERR_HOSTNAME_MISMATCH;
    CHECK(triple(classify_tls_failure(f)) == "tls/tls/hostname_mismatch");
  }
  SUBCASE("the name, from libcurl's own check after a chain that verified") {
    f.hostname_rejected = true;
    const Verdict v = classify_tls_failure(f);
    CHECK(triple(v) == "tls/tls/hostname_mismatch");
    CHECK(v.message ==
          "TLS: the certificate (CN=api.example.com) is not valid for the name 'api.example.com'");
  }
  SUBCASE("no certificate recorded") {
    f.facts.cert.reset();
    f.facts.verify_error = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
    CHECK(mentions(classify_tls_failure(f), "(unknown subject)"));
  }
}

TEST_CASE("tls classifier: a verification error counts only when verification is on") {
  TlsHandshakeFailure f = handshake_failure();
  f.verify_enabled = false;
  f.facts.verify_error = X509_V_ERR_CERT_HAS_EXPIRED;
  f.facts.verify_error_depth = 0;
  f.socket.end = SocketEnd::peer_reset;
  CHECK(triple(classify_tls_failure(f)) == "tls/tls/reset");
}

TEST_CASE("tls classifier: the deadline during the handshake is tls/timeout") {
  TlsHandshakeFailure f = handshake_failure();
  f.timed_out = true;
  const Verdict v = classify_tls_failure(f);
  CHECK(triple(v) == "tls/tls/timeout");
  CHECK(mentions(v, "no handshake answer from 192.0.2.1:443 within 1200 ms"));
}

TEST_CASE("tls classifier: an alert from the server is a refused handshake, named") {
  TlsHandshakeFailure f = handshake_failure();
  f.facts.alert_received = SSL_AD_PROTOCOL_VERSION;
  const Verdict v = classify_tls_failure(f);
  CHECK(triple(v) == "tls/tls/handshake");
  CHECK(v.message == std::string("TLS: the server refused the handshake with alert '") +
                         SSL_alert_desc_string_long(SSL_AD_PROTOCOL_VERSION) + "'");
}

TEST_CASE("tls classifier: a reset during the handshake is tls/reset, never a plain reset") {
  TlsHandshakeFailure f = handshake_failure();
  f.socket.end = SocketEnd::peer_reset;
  const Verdict v = classify_tls_failure(f);
  CHECK(triple(v) == "tls/tls/reset");
  CHECK(v.cls != FailureClass::reset);
  CHECK(v.sys_errno == ECONNRESET);
  CHECK(mentions(v, "connection reset during the TLS handshake with 192.0.2.1:443"));
}

TEST_CASE("tls classifier: a close before any byte is tls/closed, after bytes, a bad handshake") {
  TlsHandshakeFailure f = handshake_failure();
  f.socket.end = SocketEnd::peer_closed;
  SUBCASE("the FIN alone (TCP_INFO counts it as one byte)") {
    f.socket.bytes_received = 1;
    const Verdict v = classify_tls_failure(f);
    CHECK(triple(v) == "tls/tls/closed");
    CHECK(mentions(v, "closed the connection during the TLS handshake with 192.0.2.1:443"));
  }
  SUBCASE("nothing at all") {
    f.socket.bytes_received = 0;
    CHECK(triple(classify_tls_failure(f)) == "tls/tls/closed");
  }
  SUBCASE("an answer that was not TLS, then the close") {
    f.socket.bytes_received = 120;
    CHECK(triple(classify_tls_failure(f)) == "tls/tls/handshake");
  }
}

TEST_CASE("tls classifier: anything else is a failed handshake, with our alert and the library") {
  TlsHandshakeFailure f = handshake_failure();
  SUBCASE("bare") {
    const Verdict v = classify_tls_failure(f);
    CHECK(triple(v) == "tls/tls/handshake");
    CHECK(v.message == "TLS handshake with 192.0.2.1:443 failed");
  }
  SUBCASE("we sent an alert and OpenSSL said why") {
    f.facts.alert_sent = SSL_AD_DECODE_ERROR;
    f.library_error = "wrong version number";
    const Verdict v = classify_tls_failure(f);
    CHECK(triple(v) == "tls/tls/handshake");
    CHECK(v.message == std::string("TLS handshake with 192.0.2.1:443 failed (we sent alert '") +
                           SSL_alert_desc_string_long(SSL_AD_DECODE_ERROR) +
                           "'): wrong version number");
  }
}

TEST_CASE("tls classifier: the order of evidence") {
  // Every fact at once; each step removes the strongest and the next one decides.
  TlsHandshakeFailure f = handshake_failure();
  f.facts.verify_error = X509_V_ERR_CERT_HAS_EXPIRED;
  f.facts.verify_error_depth = 0;
  f.hostname_rejected = true;
  f.timed_out = true;
  f.facts.alert_received = SSL_AD_HANDSHAKE_FAILURE;
  f.socket.end = SocketEnd::peer_reset;
  CHECK(triple(classify_tls_failure(f)) == "tls/tls/expired");
  f.facts.verify_error = 0;
  CHECK(triple(classify_tls_failure(f)) == "tls/tls/hostname_mismatch");
  f.hostname_rejected = false;
  CHECK(triple(classify_tls_failure(f)) == "tls/tls/timeout");
  f.timed_out = false;
  CHECK(triple(classify_tls_failure(f)) == "tls/tls/handshake");
  f.facts.alert_received = -1;
  CHECK(triple(classify_tls_failure(f)) == "tls/tls/reset");
  f.socket.end = SocketEnd::peer_closed;
  CHECK(triple(classify_tls_failure(f)) == "tls/tls/closed");
}
