#include "checks/transfer_classifier.hpp"

#include "checks/connect_classifier.hpp"
#include "checks/grpc_health.hpp"
#include "checks/http_classifier.hpp"
#include "checks/mail_classifier.hpp"
#include "checks/mail_protocol.hpp"
#include "checks/printable.hpp"
#include "checks/proxy_classifier.hpp"
#include "checks/tls_classifier.hpp"
#include "checks/tls_client_verdict.hpp"

namespace faultline {
namespace {

long long ms(curl_off_t us) {
  return static_cast<long long>(us / 1000);
}

TlsHandshakeFailure tls_failure(const TransferFacts& f, const SocketSnapshot& socket,
                                const ProbeSpec& spec, const std::string& remote,
                                std::int64_t now_unix) {
  TlsHandshakeFailure t;
  t.facts = f.tls;
  t.socket = socket;
  t.timed_out = f.code == CURLE_OPERATION_TIMEDOUT;
  t.hostname_rejected = f.code == CURLE_PEER_FAILED_VERIFICATION && f.tls.verify_error == 0;
  t.verify_enabled = spec.tls_verify;
  t.host = spec.server_name.empty() ? spec.url.host : spec.server_name;
  t.address = remote;
  t.elapsed_ms = static_cast<long long>(f.tls_ms.value_or(0));
  t.now_unix = now_unix;
  t.library_error = f.error_text;
  t.min_version = std::string(to_string(spec.tls_min_version));
  return t;
}

// smtp(s), imap(s), pop3(s) once TCP is up: the TLS handshake (from the first byte, or after
// STARTTLS once libcurl began it) is the TLS classifier's; everything else the mail one's.
Verdict mail_transfer(const TransferFacts& f, const SocketSnapshot& socket, const ProbeSpec& spec,
                      const std::string& remote, std::int64_t now_unix) {
  const bool tls_begun = spec.url.uses_tls() || f.tls.started_at.has_value();
  if (spec.negotiates_tls() && tls_begun && f.appconnect_us == 0) {
    return classify_tls_failure(tls_failure(f, socket, spec, remote, now_unix));
  }
  if (spec.negotiates_tls() && f.code != CURLE_OK && f.tls.alert_received_fatal) {
    return classify_tls_alert(tls_failure(f, socket, spec, remote, now_unix));
  }
  MailExchangeEnd e;
  e.scheme = spec.url.scheme;
  e.starttls = spec.negotiates_tls() && !spec.url.uses_tls();
  e.curl_code = f.code;
  e.os_errno = static_cast<int>(f.os_errno);
  e.socket = socket;
  e.lines = f.mail_lines;
  e.first_line = f.mail_first_line;
  e.last_line = f.mail_last_line;
  e.greeting_rejected = f.mail_greeting_rejected;
  if (f.tls.cert) e.tls_version = f.tls.cert->version;
  e.address = remote;
  e.elapsed_ms = ms(f.total_us);
  e.library_error = f.error_text;
  return classify_mail_exchange(e);
}

// A fatal alert from the server decides a failed TLS exchange, whatever the socket did next:
// with TLS 1.3 the server's verdict on the client certificate comes after the handshake, and
// the RST that follows it would otherwise read as a reset (or the alert as a bad reply).
bool ended_by_alert(const TransferFacts& f, const TargetUrl& url) {
  const bool finished = f.code == CURLE_OK || (f.code == CURLE_WRITE_ERROR && f.body_limit_hit);
  return url.uses_tls() && !finished && f.tls.alert_received_fatal;
}

Verdict proxy_failure(const TransferFacts& f, const ProbeSpec& spec, std::int64_t now_unix) {
  const ProxyUrl& proxy = *spec.proxy;
  ProxyFailure p;
  p.scheme = proxy.scheme;
  p.proxy = proxy.text;
  p.address = f.proxy_address;
  p.host = proxy.host;
  p.target = spec.url.authority();
  p.has_credentials = !proxy.username.empty() || !proxy.password.empty();
  p.curl_code = f.code;
  p.os_errno = static_cast<int>(f.os_errno);
  p.socket_errno = f.socket_errno;
  p.socket_opened = f.socket_opened;
  p.socket = f.socket.value_or(SocketSnapshot{});
  p.tls = f.proxy_tls;
  p.connect_code = f.proxy_connect_code;
  p.proxy_error = f.proxy_error;
  p.verify_enabled = spec.tls_verify;
  p.elapsed_ms = ms(f.total_us);
  p.now_unix = now_unix;
  p.library_error = f.error_text;
  return classify_proxy_failure(p);
}

// How the HTTP exchange of an attempt ended, for classify_http_exchange.
HttpExchangeEnd exchange_end(const TransferFacts& f, const SocketSnapshot& socket,
                             const ProbeSpec& spec, const std::string& remote) {
  HttpExchangeEnd e;
  e.curl_code = f.code;
  e.os_errno = static_cast<int>(f.os_errno);
  e.socket = socket;
  e.request_sent = f.request_size > 0;
  e.headers_done = f.headers_done;
  e.body_limit_hit = f.body_limit_hit;
  e.tls_records_rejected = spec.url.uses_tls() && f.tls.handshake_done && f.tls.alert_sent >= 0;
  e.http_status = static_cast<int>(f.http_status);
  e.expect = spec.expect_status;
  e.address = remote;
  const curl_off_t request_start = f.pretransfer_us > 0 ? f.pretransfer_us : f.connect_us;
  e.elapsed_ms = ms(f.total_us - request_start);
  e.library_error = f.error_text;
  return e;
}

// grpc:// and grpcs://: an HTTP/2 exchange that did not end with status 200 is classified as an
// https:// one (reset, timeout, closed, http/<status>); the health check's own verdict reads a
// complete one. A body cut at the limit goes to the verdict too: no health response is that long.
Verdict classify_grpc_exchange(const TransferFacts& f, const SocketSnapshot& socket,
                               const ProbeSpec& spec, const std::string& remote) {
  HttpExchangeEnd e = exchange_end(f, socket, spec, remote);
  e.expect = StatusSet({{200, 200}});
  const bool finished = f.code == CURLE_OK || (f.code == CURLE_WRITE_ERROR && f.body_limit_hit);
  if (!finished || f.http_status != 200) return classify_http_exchange(e);
  const std::string service = spec.url.path.empty() ? std::string() : spec.url.path.substr(1);
  return classify_grpc_health(f.grpc, f.body, service, remote);
}

}  // namespace

Verdict classify_transfer(const TransferFacts& f, const ProbeSpec& spec, const std::string& remote,
                          std::int64_t now_unix) {
  if (f.code == CURLE_SSL_CERTPROBLEM && !spec.client_cert.empty()) {
    // Our own client certificate or key (changed or removed since the config was loaded):
    // libcurl loads them before it connects.
    Verdict v;
    v.cls = FailureClass::local;
    v.phase = Phase::tls;
    v.message = "this host cannot use its client certificate " + quote(spec.client_cert) +
                " (key " + quote(spec.client_key) + ") for " + remote + ": " + f.error_text;
    return v;
  }
  // Until the proxy has connected the probe to the target, whatever fails is the proxy's.
  if (spec.proxy && !f.tunnel_up) return proxy_failure(f, spec, now_unix);
  if (!f.socket_opened && f.socket_errno != 0) {
    return classify_connect_errno(f.socket_errno, remote);
  }
  const SocketSnapshot socket = f.socket.value_or(SocketSnapshot{});
  const bool connected = f.tcp_connected && socket.end != SocketEnd::connecting;
  if (!connected) {
    if (f.code == CURLE_OPERATION_TIMEDOUT) return connect_timeout(remote, ms(f.total_us));
    if (f.os_errno == 0 && socket.end == SocketEnd::connecting) {
      return connect_timeout(remote, ms(f.total_us));
    }
    if (f.os_errno != 0) return classify_connect_errno(static_cast<int>(f.os_errno), remote);
    Verdict v = classify_connect_errno(0, remote);
    v.message = "connecting to " + remote + " failed: " + f.error_text;
    return v;
  }

  const TargetUrl& url = spec.url;
  if (spec.negotiates_tls() && f.code == CURLE_SSL_CACERT_BADFILE) {
    // Our own trust store could not be loaded (deleted, unreadable, not PEM): this host's fault,
    // whatever the server would have presented.
    Verdict v;
    v.cls = FailureClass::local;
    v.phase = Phase::tls;
    v.message = "this host cannot use its CA file " +
                (spec.ca_file.empty() ? std::string("(the system bundle)") : spec.ca_file) +
                " to verify " + remote + ": " + f.error_text;
    return v;
  }
  if (is_mail(url.scheme)) return mail_transfer(f, socket, spec, remote, now_unix);
  // A reused connection finished its handshake in an earlier probe.
  if (url.uses_tls() && f.appconnect_us == 0 && !f.reused) {
    return classify_tls_failure(tls_failure(f, socket, spec, remote, now_unix));
  }
  if (ended_by_alert(f, url)) {
    return classify_tls_alert(tls_failure(f, socket, spec, remote, now_unix));
  }

  if (url.is_grpc()) return classify_grpc_exchange(f, socket, spec, remote);

  // tls:// ends with an error after its handshake only when the wait for the server's verdict
  // on the client certificate heard the session end without an alert (tls_client_verdict.hpp).
  if (!url.is_http() && url.uses_tls() && f.code != CURLE_OK) {
    return classify_session_end_after_handshake(tls_failure(f, socket, spec, remote, now_unix));
  }

  if (!url.is_http() && f.code == CURLE_OK) {
    Verdict ok;
    ok.message = url.uses_tls() ? "TLS handshake with " + remote + " completed"
                                : "TCP connection to " + remote + " accepted";
    return ok;
  }

  return classify_http_exchange(exchange_end(f, socket, spec, remote));
}

}  // namespace faultline
