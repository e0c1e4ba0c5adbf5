// One attempt of a probe against one resolved address, run by libcurl: TCP connect, TLS
// handshake and HTTP exchange (or connect only, for tcp:// and tls:// targets). It records the
// facts every classifier needs; it decides nothing.
#pragma once

#include <curl/curl.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "checks/curl_handle_pool.hpp"
#include "checks/curl_request_options.hpp"
#include "checks/grpc_health.hpp"
#include "checks/kept_connection.hpp"
#include "checks/probe_spec.hpp"
#include "checks/socket_state.hpp"
#include "checks/tls_observer.hpp"

namespace faultline {

// Everything observed during one attempt.
struct TransferFacts {
  CURLcode code = CURLE_OK;
  long os_errno = 0;     // CURLINFO_OS_ERRNO; never stale (see CurlHandlePool)
  int socket_errno = 0;  // errno of a failed socket() call (EMFILE, ENFILE, ...)
  bool socket_opened = false;
  std::optional<SocketSnapshot> socket;  // TCP_INFO taken just before the socket closed
  TlsFacts tls;
  bool headers_done = false;
  bool body_limit_hit = false;
  std::size_t body_bytes = 0;
  long http_status = 0;
  long request_size = 0;
  // Microseconds from the start of the attempt (libcurl's cumulative timers); 0 = not reached.
  // libcurl 7.88 reports CONNECT only once every layer of the connection is up, TLS included,
  // so the TCP and TLS layers are timed with our own clock below.
  curl_off_t connect_us = 0, appconnect_us = 0, pretransfer_us = 0, starttransfer_us = 0,
             total_us = 0;
  bool tcp_connected = false;
  // The exchange ran over a connection kept from an earlier probe (reuse_connection): no TCP or
  // TLS handshake happened in this attempt, so neither layer has a time.
  bool reused = false;
  std::optional<double> connect_ms;  // socket() to TCP connected
  std::optional<double> tls_ms;      // TLS started to TLS done, or to the failure
  std::string error_text;            // libcurl's error buffer
  // The body's first spec.body_limit bytes, kept only when the spec checks it (checks_body()).
  std::string body;
  // Where a redirect response points (CURLINFO_REDIRECT_URL: Location made absolute), or "".
  std::string redirect_url;
  // grpc:// and grpcs://: grpc-status, grpc-message and the content type, from the response's
  // headers and trailers (libcurl hands trailers to the header callback after the body). The
  // body is kept in `body` for them whatever the spec checks.
  GrpcReply grpc;

  // Through a proxy (ProbeSpec::proxy) the TCP connection is the proxy's; tcp_connected and
  // connect_ms above then mean the target reached through it, the proxy's exchange included.
  std::string proxy_address;    // the proxy's address connected to: "192.0.2.8:3128"
  TlsFacts proxy_tls;           // an https:// proxy's own TLS session
  long proxy_connect_code = 0;  // CURLINFO_HTTP_CONNECTCODE: an HTTP proxy's answer to CONNECT
  long proxy_error = 0;         // CURLINFO_PROXY_ERROR (a CURLproxycode): why SOCKS failed
  bool tunnel_up = false;       // the proxy had connected the probe to the target

  // Mail targets: the server's reply lines as libcurl read them (without line endings, at most
  // kMailLineBytes each), in clear and after STARTTLS alike.
  std::size_t mail_lines = 0;
  std::string mail_first_line;  // the greeting's first line
  std::string mail_last_line;   // the latest line: what the server said last
  // The first line was no greeting of the protocol (greeting_line_allowed): the transfer was
  // stopped there (CURLE_WRITE_ERROR) instead of waiting for a greeting that will not come.
  bool mail_greeting_rejected = false;
};

// How much of each mail reply line TransferFacts keeps: enough for any message to quote.
inline constexpr std::size_t kMailLineBytes = 200;

// Holds a libcurl easy handle (from a CurlHandlePool, or a KeptConnection's) configured for one
// attempt. Not movable: libcurl keeps pointers to it for its callbacks.
class CurlTransfer {
 public:
  // `address` is the numeric IP to connect to; the URL keeps the target's host name, so the
  // Host header, SNI and certificate check use the name. Through a proxy that resolves the
  // target's name `address` is empty, and `proxy_address` is the proxy's numeric address (empty
  // when its URL holds one). `budget` bounds the whole attempt.
  // The handle comes from `pool` and goes back to it; the pool must outlive the transfer.
  // With `kept`, the handle is the kept connection's instead, the connection may be reused and
  // stays open after the transfer; `expect_reuse` says the kept connection was alive when the
  // probe picked it up, so a transfer that opened no socket ran over it. The caller runs the
  // transfer on kept->driver().
  CurlTransfer(CurlHandlePool& pool, const ProbeSpec& spec, const std::string& address,
               std::chrono::milliseconds budget, KeptConnection* kept = nullptr,
               bool expect_reuse = false, const std::string& proxy_address = {});
  ~CurlTransfer();
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  CURL* easy() const { return easy_; }

  // Records the end of the transfer (result code and libcurl's timers). Call once, after
  // libcurl reported the transfer done and before release().
  void finish(CURLcode code);
  // Returns the handle to the pool, closing the connection if libcurl still holds it, so the
  // socket facts are final.
  void release();

  const TransferFacts& facts() const { return facts_; }
  // Moves the kept body (TransferFacts::body) out; after finish().
  std::string take_body() { return std::move(facts_.body); }

  // libcurl is closing `fd`, one of this transfer's sockets (KeptConnection forwards its hook).
  void socket_closing(curl_socket_t fd);

 private:
  static curl_socket_t open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
  static int close_socket(void* self, curl_socket_t fd);
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self);
  static std::size_t on_mail_line(char* data, std::size_t size, std::size_t n, void* self);
  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* self);
  static CURLcode on_ssl_ctx(CURL* easy, void* ssl_ctx, void* self);

  CurlHandlePool& pool_;
  KeptConnection* kept_;
  bool expect_reuse_;
  const ProbeSpec& spec_;
  CURL* easy_ = nullptr;
  CurlOptionLists option_lists_;  // what easy_'s options point into while the transfer runs
  curl_socket_t fd_ = CURL_SOCKET_BAD;
  int open_sockets_ = 0;  // opened through open_socket and not yet closed through close_socket
  std::chrono::steady_clock::time_point started_;
  std::optional<std::chrono::steady_clock::time_point> socket_opened_at_;
  TransferFacts facts_;
  std::array<char, CURL_ERROR_SIZE> error_{};
};

}  // namespace faultline
