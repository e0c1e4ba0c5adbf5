#include "checks/tls_classifier.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>

#include "checks/utc_time.hpp"

namespace faultline {
namespace {

std::string days_phrase(long long seconds) {
  const long long days = std::llabs(seconds) / 86'400;
  if (days == 0) return "less than a day";
  return std::to_string(days) + (days == 1 ? " day" : " days");
}

std::string subject_of(const TlsFacts& facts) {
  return facts.cert && !facts.cert->subject.empty() ? facts.cert->subject : "unknown subject";
}

std::string verify_message(const TlsHandshakeFailure& f, Detail detail) {
  const TlsFacts& facts = f.facts;
  const std::string which =
      facts.verify_error_depth > 0
          ? "a certificate in the chain (depth " + std::to_string(facts.verify_error_depth) + ")"
          : "the certificate of " + f.host + " (" + subject_of(facts) + ")";
  if (detail == Detail::expired && facts.verify_error_depth <= 0 && facts.cert &&
      facts.cert->not_after) {
    return "TLS: " + which + " expired " + days_phrase(f.now_unix - *facts.cert->not_after) +
           " ago, on " + utc_text(*facts.cert->not_after, "%Y-%m-%d %H:%M UTC");
  }
  if (detail == Detail::not_yet_valid && facts.verify_error_depth <= 0 && facts.cert &&
      facts.cert->not_before) {
    return "TLS: " + which + " is not valid until " +
           utc_text(*facts.cert->not_before, "%Y-%m-%d %H:%M UTC") + " (in " +
           days_phrase(*facts.cert->not_before - f.now_unix) +
           "); check the server's and this host's clocks";
  }
  return "TLS: " + which + " was rejected: " + X509_verify_cert_error_string(facts.verify_error);
}

std::string alert_name(int description) {
  return SSL_alert_desc_string_long(description);
}

// Alerts that can only be about a certificate; a server has seen no certificate but ours.
bool names_a_certificate(int alert) {
  switch (alert) {
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

bool about_client_certificate(const TlsFacts& facts) {
  const int alert = facts.alert_received;
  if (names_a_certificate(alert)) return true;
  // TLS 1.2 servers (OpenSSL's among them) answer a missing certificate with handshake_failure,
  // and some refuse a valid one they do not like with access_denied.
  if (alert == SSL_AD_HANDSHAKE_FAILURE) {
    return facts.client_cert_requested && !facts.client_cert_sent;
  }
  return alert == SSL_AD_ACCESS_DENIED && facts.client_cert_requested;
}

std::string client_certificate_message(const TlsHandshakeFailure& f) {
  const TlsFacts& facts = f.facts;
  const std::string alert = " (its alert: '" + alert_name(facts.alert_received) + "')";
  if (!facts.client_cert_sent) {
    return "TLS: " + f.address + " demands a client certificate and the probe sent none" + alert +
           "; set client_cert and client_key";
  }
  return "TLS: " + f.address + " rejected the probe's client certificate" + alert;
}

// A protocol_version alert under a tls_min_version, sent or received.
std::string min_version_message(const TlsHandshakeFailure& f) {
  return "TLS: " + f.address + " does not speak TLS " + f.min_version +
         " or newer, the minimum tls_min_version sets (alert 'protocol version')";
}

}  // namespace

Verdict classify_tls_alert(const TlsHandshakeFailure& f) {
  Verdict v;
  v.cls = FailureClass::tls;
  v.phase = Phase::tls;
  const TlsFacts& facts = f.facts;
  if (about_client_certificate(facts)) {
    v.detail = Detail::client_certificate;
    v.message = client_certificate_message(f);
    return v;
  }
  v.detail = Detail::handshake;
  if (facts.alert_received == SSL_AD_PROTOCOL_VERSION && !f.min_version.empty()) {
    v.message = min_version_message(f);
  } else if (facts.handshake_done) {
    v.message = "TLS: " + f.address + " ended the session with alert '" +
                alert_name(facts.alert_received) + "' after the handshake";
  } else {
    v.message = "TLS: the server refused the handshake with alert '" +
                alert_name(facts.alert_received) + "'";
  }
  return v;
}

Detail tls_detail_for_verify_error(int x509_error) {
  switch (x509_error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CRL_HAS_EXPIRED:
      return Detail::expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CRL_NOT_YET_VALID:
      return Detail::not_yet_valid;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH:
      return Detail::hostname_mismatch;
    default:
      return Detail::untrusted;
  }
}

Verdict classify_tls_failure(const TlsHandshakeFailure& f) {
  Verdict v;
  v.cls = FailureClass::tls;
  v.phase = Phase::tls;
  const std::string during = " during the TLS handshake with " + f.address;

  if (f.verify_enabled && f.facts.verify_error != 0) {
    v.detail = tls_detail_for_verify_error(f.facts.verify_error);
    v.message = verify_message(f, v.detail);
    return v;
  }
  if (f.hostname_rejected) {
    v.detail = Detail::hostname_mismatch;
    v.message = "TLS: the certificate (" + subject_of(f.facts) + ") is not valid for the name '" +
                f.host + "'";
    return v;
  }
  if (f.timed_out) {
    v.detail = Detail::timeout;
    v.message = "TLS: no handshake answer from " + f.address + " within " +
                std::to_string(f.elapsed_ms) +
                " ms (the server accepted TCP but said nothing: wrong port, or a stalled "
                "TLS terminator)";
    return v;
  }
  if (f.facts.alert_received >= 0) return classify_tls_alert(f);
  if (f.facts.alert_sent == SSL_AD_PROTOCOL_VERSION && !f.min_version.empty()) {
    v.detail = Detail::handshake;
    v.message = min_version_message(f);
    return v;
  }
  if (f.socket.end == SocketEnd::peer_reset) {
    v.detail = Detail::reset;
    v.sys_errno = ECONNRESET;
    v.message = "TLS: connection reset" + during +
                " (a TLS problem, not TCP: the server or a middlebox rejected the ClientHello)";
    return v;
  }
  // tcpi_bytes_received counts the FIN itself, so a silent close reads as 1.
  if (f.socket.end == SocketEnd::peer_closed && f.socket.bytes_received <= 1) {
    v.detail = Detail::closed;
    v.message = "TLS: the server closed the connection" + during + " without a word";
    return v;
  }
  v.detail = Detail::handshake;
  v.message = "TLS handshake with " + f.address + " failed";
  if (f.facts.alert_sent >= 0) {
    v.message +=
        std::string(" (we sent alert '") + SSL_alert_desc_string_long(f.facts.alert_sent) + "')";
  }
  if (!f.library_error.empty()) v.message += ": " + f.library_error;
  return v;
}

}  // namespace faultline
