// LoopbackServer: a real TCP server on loopback that misbehaves in one chosen way per
// connection, one behaviour per row of the probe engine's test table.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tests/support/tls_material.hpp"

namespace faultline::testing {

// What the server does with every connection it accepts. "Read the request" means: read up to
// the blank line that ends the request head (and any Content-Length body after it).
enum class Behavior {
  http_ok,                    // 200 with a small body and Content-Length; keep-alive honoured
  http_status,                // like http_ok with LoopbackServerOptions::status
  rst_after_request,          // read the request, then RST (SO_LINGER {1, 0}), nothing sent
  rst_mid_body,               // read, send a head with Content-Length: 100000 and 4 KiB, RST
  close_without_reply,        // read the request, then FIN, nothing sent
  close_mid_body,             // read, send a head with Content-Length: 100000 and 4 KiB, FIN
  accept_never_answer,        // accept, read and discard whatever comes, never reply
  slow_body,                  // read, send a head, then one body byte per slow_body_interval
  garbage,                    // read, send LoopbackServerOptions::garbage, then FIN
  endless_body,               // read, send a head without length, then body until the peer stops
  rst_after_client_hello,     // read the first TLS record (the ClientHello), then RST
  silent_after_client_hello,  // read the ClientHello, never answer
  close_after_client_hello,   // read the ClientHello, then FIN: EOF during the handshake
  http_answers_client_hello,  // read the ClientHello, answer "HTTP/1.1 400" and FIN, as a
                              // plain HTTP server (nginx) does on its port probed with https
  tls_http_ok,                // TLS handshake with LoopbackServerOptions::tls, then http_ok
  tls_accept_only,            // TLS handshake, then hold until the peer closes
  tcp_accept_hold,            // accept and hold until the peer closes (tcp:// probes)
  rst_second_request,         // answer the first request like http_ok (keep-alive), then RST
                              // when a second one arrives on the connection, however soon
  silent_second_request,      // answer the first request like http_ok (keep-alive), then read
                              // the second and never answer it: a request into a black hole
  // Hostile servers (tests/hostile_servers_test.cpp):
  header_flood,             // read, send a status line, then header lines of 1 KiB each without
                            // end, up to LoopbackServerOptions::flood_bytes
  huge_header_line,         // read, send a status line, then one header line of flood_bytes that
                            // never ends
  slow_head,                // slowloris: read, then the response head one byte per
                            // slow_body_interval
  tls_garbage,              // TLS handshake, read the request, answer `garbage` inside TLS, then
                            // hold until the peer closes
  tls_close_without_reply,  // TLS handshake, read the request, close_notify and FIN
  tls_raw_garbage,          // TLS handshake, read the request, then `garbage` as raw bytes on the
                            // TCP stream where TLS records belong; hold until the peer closes
  // Line protocols (tcp:// and tls:// send/expect):
  line_reply,      // read whatever arrives first (or nothing, with greet_first), send `reply`,
                   // then `after_reply`
  tls_line_reply,  // TLS handshake, then line_reply inside TLS
  // TLS handshake, then RST without a word (nor an alert).
  tls_reset_after_handshake,
};

// What line_reply does once its reply is sent.
enum class AfterReply {
  hold,   // keep the connection until the peer closes it
  close,  // FIN (TLS: close_notify, then FIN)
  reset,  // RST
};

// How http_ok and http_status answer one path instead (LoopbackServerOptions::routes).
struct RouteResponse {
  int status = 200;
  std::string extra_headers{};  // as LoopbackServerOptions::extra_headers
  std::string body = "ok\n";
};

// Every knob of a LoopbackServer; only `behavior` matters to most tests.
struct LoopbackServerOptions {
  Behavior behavior = Behavior::http_ok;
  // Status code for http_status.
  int status = 503;
  // Numeric address to listen on: "127.0.0.1" or "::1".
  std::string bind_address = "127.0.0.1";
  // Certificate chain and key; required by tls_http_ok and tls_accept_only.
  std::optional<TlsMaterial> tls{};
  // Mutual TLS: demand a client certificate and verify it against this CA (PEM); a client
  // without one, or with one the CA did not sign, fails the handshake with the server's alert.
  std::optional<std::string> client_ca_path{};
  // The protocol versions the TLS behaviours accept (TLS1_2_VERSION, TLS1_3_VERSION); 0 leaves
  // OpenSSL's default.
  int tls_min_version = 0;
  int tls_max_version = 0;
  // TLS 1.3: send OpenSSL's session tickets once the handshake is done (its default); false
  // sends none, as a server that accepts a client in silence.
  bool tls_session_tickets = true;
  // slow_body: the pause between two body bytes.
  std::chrono::milliseconds slow_body_interval{200};
  // http_ok, http_status, tls_http_ok: close (FIN) a keep-alive connection that has been idle
  // this long after a response. None: keep it until the client closes it.
  std::optional<std::chrono::milliseconds> keep_alive_idle_timeout{};
  // With keep_alive_idle_timeout: end the idle connection with an RST instead of a FIN.
  bool keep_alive_idle_reset = false;
  // The body of http_ok, http_status and tls_http_ok responses.
  std::string body = "ok\n";
  // What `garbage` sends instead of an HTTP response.
  std::string garbage = "SSH-2.0-OpenSSH_9.2\r\n";
  // Lines added to the head of http_ok and http_status responses, each ending in "\r\n"
  // (e.g. "Location: /\r\n").
  std::string extra_headers{};
  // header_flood, huge_header_line: how many header bytes to send at most.
  std::size_t flood_bytes = std::size_t{8} << 20;
  // http_ok, http_status, tls_http_ok: how long to wait after reading a request before
  // answering it (a slow server; the wait ends early when the server is destroyed).
  std::chrono::milliseconds response_delay{0};
  // http_ok, http_status, tls_http_ok: requests for exactly these targets ("/b?x=1") get this
  // answer instead (a redirect chain on one server, several JSON documents).
  std::map<std::string, RouteResponse> routes{};
  // line_reply, tls_line_reply: what to answer (may be empty), whether to send it at once as a
  // greeting instead of after the client's first bytes, and what to do next.
  std::string reply = "+PONG\r\n";
  bool greet_first = false;
  AfterReply after_reply = AfterReply::hold;
};

// Listens as soon as the constructor returns, so a client may connect right away; serves each
// connection on its own thread. The destructor stops every thread promptly (they all wait on a
// shared eventfd as well as on their socket), even with clients mid-connection, closes every
// socket and joins. Construction throws (std::system_error, std::invalid_argument,
// std::runtime_error for unusable TLS material): a test cannot go on without its server.
class LoopbackServer {
 public:
  explicit LoopbackServer(Behavior behavior);
  explicit LoopbackServer(LoopbackServerOptions options);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // The port the kernel picked.
  std::uint16_t port() const;

  // "127.0.0.1:PORT" or "[::1]:PORT".
  std::string authority() const;

  // scheme + "://" + authority() + path, e.g. url("https", "/healthz").
  std::string url(std::string_view scheme = "http", std::string_view path = "/") const;

  // Connections accepted so far. Thread-safe, like every counter below.
  int connections() const;

  // Waits until connections() >= n, at most `timeout`; returns whether it got there. A client's
  // connect() returns before the server thread has accepted, so tests wait with this.
  bool wait_for_connections(int n, std::chrono::milliseconds timeout) const;

  // Complete request heads read so far (every behaviour that reads requests counts them).
  int requests() const;

  // The last request head read (request line and headers, up to the blank line), or "".
  std::string last_request() const;

  // The body of the last request read (the Content-Length bytes after its head), or "".
  std::string last_request_body() const;

  // TLS handshakes that completed, and that the client aborted or that failed.
  int tls_handshakes() const;
  int tls_handshake_failures() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace faultline::testing
