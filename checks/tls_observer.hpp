// TLS layer: watches the handshake libcurl runs through OpenSSL and records what happened in
// it (certificate, verification error, alerts each way), so a failure can be classified from
// facts rather than from curl's error text.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "checks/probe_result.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace faultline {

struct TlsFacts {
  // When libcurl began the handshake (it builds the TLS context once TCP is connected) and
  // when OpenSSL finished it.
  std::optional<std::chrono::steady_clock::time_point> started_at, done_at;
  bool handshake_done = false;
  int verify_error = 0;         // the first X509_V_ERR_* of chain verification; 0 when none
  int verify_error_depth = -1;  // 0 = the server's own certificate
  // The last alert the peer sent, other than close_notify: its description, and whether it was
  // fatal (a fatal one is never replaced by a later warning). Recorded whenever OpenSSL reads
  // it, during the handshake or after (libcurl reads once more before closing a connection, so
  // an alert that arrived just before the peer's RST is still read). -1 when none.
  int alert_received = -1;
  bool alert_received_fatal = false;
  int alert_sent = -1;  // TLS alert description we sent; -1 when none
  // The server asked for a client certificate (CertificateRequest), and the probe sent one.
  bool client_cert_requested = false;
  bool client_cert_sent = false;
  // The protocol version the handshake settled on (TLS1_3_VERSION, ...); 0 until it is done.
  int protocol_version = 0;
  // The server sent a NewSessionTicket. A TLS 1.3 server sends it after it has accepted the
  // client's side of the handshake, certificate included: one that rejects it sends an alert.
  bool session_ticket_received = false;
  std::optional<TlsInfo> cert;  // the server's leaf certificate, and the protocol version
};

// Hooks OpenSSL's info and verify callbacks on `ctx` (a context libcurl created for one
// connection) so they fill `facts`. Verification outcomes are not changed: the verify callback
// passes OpenSSL's decision through. `facts` must outlive the connection.
void observe_tls(SSL_CTX* ctx, TlsFacts* facts);

}  // namespace faultline
