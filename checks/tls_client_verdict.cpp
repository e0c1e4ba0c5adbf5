#include "checks/tls_client_verdict.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <string>

namespace faultline {
namespace {

using std::chrono::milliseconds;

// The verdict leaves the server one round trip after the client's Finished plus the time the
// server spends checking the certificate chain; the handshake itself took one round trip plus
// the server's signature. Three handshakes' time leaves room for a check that costs more than
// a signature. The floor covers a loaded host's scheduling delays when a round trip takes
// microseconds (loopback, a sidecar); the cap bounds what a server that accepts in silence (no
// session tickets, nothing to say) adds to each probe. A server that sends tickets (OpenSSL,
// Go, BoringSSL do by default) ends the wait as soon as they arrive.
constexpr milliseconds kVerdictFloor{250};
constexpr milliseconds kVerdictCap{2000};
constexpr int kHandshakesPerWindow = 3;

std::string certificate_clause(const TlsFacts& facts) {
  return facts.client_cert_sent
             ? "; it had asked for a client certificate: it most likely rejected the probe's"
             : "; it had asked for a client certificate and the probe sent none (set client_cert "
               "and client_key)";
}

}  // namespace

bool awaits_client_verdict(const ProbeSpec& spec, const TlsFacts& tls) {
  return spec.url.uses_tls() && !spec.url.is_http() && !spec.url.is_grpc() && tls.handshake_done &&
         tls.protocol_version == TLS1_3_VERSION && tls.client_cert_requested;
}

milliseconds client_verdict_window(const TlsFacts& tls, milliseconds remaining) {
  milliseconds handshake{0};
  if (tls.started_at && tls.done_at) {
    handshake = std::chrono::duration_cast<milliseconds>(*tls.done_at - *tls.started_at);
  }
  const milliseconds window =
      std::clamp(handshake * kHandshakesPerWindow, kVerdictFloor, kVerdictCap);
  return std::max(milliseconds{0}, std::min(window, remaining));
}

void keep_connection_for_client_verdict(CURL* easy) {
  // Nothing else can reuse the connection: libcurl never hands a CONNECT_ONLY connection to
  // another transfer, and it closes the connection when the handle leaves its multi handle.
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 0L);
}

ClientVerdictWait::ClientVerdictWait(uv_loop_t* loop, CURL* easy, const TlsFacts& tls,
                                     milliseconds window, Done done)
    : easy_(easy), tls_(tls), done_(std::move(done)), timer_(loop) {
  // Read at once: the verdict may be here already, and the first read attaches the connection
  // to the handle again, which keeps libcurl from closing it as an idle one meanwhile.
  const CURLcode now = read_verdict();
  curl_socket_t fd = CURL_SOCKET_BAD;
  curl_easy_getinfo(easy_, CURLINFO_ACTIVESOCKET, &fd);
  if (now != CURLE_AGAIN || fd == CURL_SOCKET_BAD) {
    timer_.start(0, [this, now] { conclude(now == CURLE_AGAIN ? CURLE_OK : now); });
    return;
  }
  poll_ = new uv_poll_t;
  if (uv_poll_init_socket(loop, poll_, fd) != 0) {
    delete poll_;
    poll_ = nullptr;
    timer_.start(0, [this] { conclude(CURLE_OK); });
    return;
  }
  poll_->data = this;
  uv_poll_start(poll_, UV_READABLE | UV_DISCONNECT, [](uv_poll_t* p, int status, int) {
    static_cast<ClientVerdictWait*>(p->data)->on_readable(status);
  });
  // Silence for the whole window: the server let the session stand.
  timer_.start(static_cast<std::uint64_t>(window.count()), [this] { conclude(CURLE_OK); });
}

ClientVerdictWait::~ClientVerdictWait() {
  unwatch();
}

CURLcode ClientVerdictWait::read_verdict() {
  std::array<char, 4096> buf;
  std::size_t n = 0;
  const CURLcode rc = curl_easy_recv(easy_, buf.data(), buf.size(), &n);
  if (rc == CURLE_AGAIN) return tls_.session_ticket_received ? CURLE_OK : CURLE_AGAIN;
  // The connection is gone already (libcurl found none to read from): nothing more to learn.
  if (rc == CURLE_UNSUPPORTED_PROTOCOL) return CURLE_OK;
  if (rc != CURLE_OK) return rc;
  // Application data: the server is serving this client. Nothing at all: close_notify.
  return n > 0 ? CURLE_OK : CURLE_GOT_NOTHING;
}

void ClientVerdictWait::on_readable(int status) {
  const CURLcode code = read_verdict();
  if (code != CURLE_AGAIN) {
    conclude(code);
  } else if (status < 0) {
    // The poll itself failed (libuv reports that once): read failures from here on.
    conclude(CURLE_RECV_ERROR);
  }
}

void ClientVerdictWait::conclude(CURLcode code) {
  unwatch();
  timer_.stop();
  // Moved out first: the callback may destroy this wait.
  Done done = std::move(done_);
  if (done) done(code);
}

void ClientVerdictWait::unwatch() {
  if (poll_ == nullptr) return;
  uv_poll_stop(poll_);
  // uv_close takes the descriptor out of the loop's epoll set at once, before libcurl closes it.
  uv_close(reinterpret_cast<uv_handle_t*>(poll_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
}

Verdict classify_session_end_after_handshake(const TlsHandshakeFailure& f) {
  Verdict v;
  v.cls = FailureClass::tls;
  v.phase = Phase::tls;
  const std::string clause = certificate_clause(f.facts);
  if (f.socket.end == SocketEnd::peer_reset) {
    v.detail = Detail::reset;
    v.sys_errno = ECONNRESET;
    v.message = "TLS: " + f.address + " reset the connection right after the handshake" + clause;
  } else if (f.socket.end == SocketEnd::peer_closed) {
    v.detail = Detail::closed;
    v.message = "TLS: " + f.address + " closed the connection right after the handshake" + clause;
  } else {
    v.detail = Detail::handshake;
    v.message = "TLS: the session with " + f.address + " ended right after the handshake" + clause;
    if (!f.library_error.empty()) v.message += ": " + f.library_error;
  }
  return v;
}

}  // namespace faultline
