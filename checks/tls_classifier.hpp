// TLS layer: decides which tls/* detail a failed handshake gets. A reset or EOF in the middle
// of a handshake is a TLS problem (tls/reset, tls/closed), never a plain TCP reset.
#pragma once

#include <string>

#include "checks/socket_state.hpp"
#include "checks/tls_observer.hpp"
#include "checks/verdict.hpp"

namespace faultline {

struct TlsHandshakeFailure {
  TlsFacts facts;
  SocketSnapshot socket;           // the connection's state when it was given up
  bool timed_out = false;          // the probe's deadline ended the handshake
  bool hostname_rejected = false;  // the chain verified but the name check failed
  bool verify_enabled = true;
  std::string host;           // the name we asked for (SNI / certificate check)
  std::string address;        // "127.0.0.1:443"
  long long elapsed_ms = 0;   // time spent in the handshake
  long long now_unix = 0;     // for "expired 3 days ago"
  std::string library_error;  // libcurl/OpenSSL's own words, used in the message only
  std::string min_version;    // the probe's tls_min_version ("1.3"); empty when it has none
};

// Order of evidence: a certificate verdict (expired, not yet valid, untrusted, name) wins,
// then the deadline, then an alert from the server (classify_tls_alert), then what the socket saw
// (RST -> reset, FIN with no byte received -> closed), and anything else is a handshake/protocol
// failure (version or cipher mismatch, non-TLS bytes on the port). A protocol_version alert, sent
// or received, under a tls_min_version says that the server does not speak that version or newer.
Verdict classify_tls_failure(const TlsHandshakeFailure& f);

// The session ended by the alert in f.facts.alert_received, during the handshake or after it
// (with TLS 1.3 a server judges the client's certificate only after the client has finished
// its side, so its verdict arrives with the first read, often followed by its RST): tls/<...>
// in phase tls, whatever the socket did next. The server's complaint about a client
// certificate (certificate_required, bad_certificate, unknown_ca, certificate_unknown,
// certificate_expired, certificate_revoked, unsupported_certificate; handshake_failure after
// asking for a certificate the probe did not have; access_denied after asking for one) is
// tls/client_certificate; any other alert is tls/handshake. The message names the alert.
Verdict classify_tls_alert(const TlsHandshakeFailure& f);

// A certificate verification error (X509_V_ERR_*) as a tls detail: expired, not_yet_valid,
// hostname_mismatch, or untrusted for every chain problem.
Detail tls_detail_for_verify_error(int x509_error);

}  // namespace faultline
