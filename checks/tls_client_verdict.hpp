// TLS layer, tls:// targets: the server's verdict on the client's certificate. A tls:// probe
// stops once the handshake is done, but with TLS 1.3 the client is done first: the server
// judges the client's certificate (or its absence) after that and answers with an alert
// (certificate_required, bad_certificate, unknown_ca, ...), often with an RST right behind
// it, or with session tickets once it accepted. When the server asked for a certificate, the
// probe reads from the connection for a short window to hear which.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>

#include "checks/probe_spec.hpp"
#include "checks/tls_classifier.hpp"
#include "checks/tls_observer.hpp"
#include "checks/uv_timer.hpp"
#include "checks/verdict.hpp"

namespace faultline {

// Whether a tls:// attempt whose handshake produced `tls` must wait for the server's verdict:
// TLS 1.3, the handshake done, and the server asked for a client certificate (with or
// without one sent). False for every other kind of target and handshake.
bool awaits_client_verdict(const ProbeSpec& spec, const TlsFacts& tls);

// How long to wait for the verdict: from the handshake's own duration in `tls`, within a floor
// and a cap, and never past `remaining` (what is left of the probe's deadline).
std::chrono::milliseconds client_verdict_window(const TlsFacts& tls,
                                                std::chrono::milliseconds remaining);

// Lets a tls:// transfer's connection outlive the transfer's end, so that a ClientVerdictWait
// can read from it: libcurl 7.88 closes a connection that forbids reuse as soon as the
// transfer is done. Call on a CONNECT_ONLY handle that is otherwise set to forbid reuse.
void keep_connection_for_client_verdict(CURL* easy);

// Reads from the connection of `easy` (a CONNECT_ONLY transfer that libcurl reported done and
// that is still in its multi handle) until the server's verdict arrives. What OpenSSL reads
// lands in the TlsFacts the transfer's observer fills (alerts, session tickets).
class ClientVerdictWait {
 public:
  // Called once, from the loop, never from within the constructor: CURLE_OK when the server
  // accepted (application data, a session ticket, or nothing within the window);
  // CURLE_GOT_NOTHING when it closed the session (close_notify); else the error of the read
  // (CURLE_RECV_ERROR for an alert or a reset). The caller then removes `easy` from its multi
  // handle (which closes the connection) and classifies the transfer with that code.
  using Done = std::function<void(CURLcode)>;

  // `tls` is the transfer's TlsFacts; it must outlive the wait.
  ClientVerdictWait(uv_loop_t* loop, CURL* easy, const TlsFacts& tls,
                    std::chrono::milliseconds window, Done done);
  // Stops watching; no Done call follows. Destroy it before the connection is closed.
  ~ClientVerdictWait();
  ClientVerdictWait(const ClientVerdictWait&) = delete;
  ClientVerdictWait& operator=(const ClientVerdictWait&) = delete;

 private:
  // Reads what has arrived; the verdict once there is one, CURLE_AGAIN while there is none.
  CURLcode read_verdict();
  void on_readable(int status);
  void conclude(CURLcode code);
  void unwatch();

  CURL* easy_;
  const TlsFacts& tls_;
  Done done_;
  uv_poll_t* poll_ = nullptr;
  UvTimer timer_;
};

// A tls:// session the server ended right after the handshake without an alert (an alert is
// classify_tls_alert's): tls/reset after an RST, tls/closed after a close, tls/handshake
// otherwise. The message says the server had asked for a client certificate, and whether the
// probe sent one, since that is what a server judges at that moment.
Verdict classify_session_end_after_handshake(const TlsHandshakeFailure& f);

}  // namespace faultline
