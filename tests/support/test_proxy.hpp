// TestProxy: a real proxy on loopback, HTTP CONNECT (plain or over TLS) or SOCKS5, that tunnels
// to whatever it is asked for, or fails the way proxies fail: it demands credentials, answers
// CONNECT with an error status, never answers, resets. What probes through a proxy must tell
// apart (the proxy's failure or the target's) is decided by what real proxies put on the wire,
// so this speaks the protocols byte for byte: RFC 9110 CONNECT, RFC 1928 and RFC 1929 SOCKS5.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/tls_material.hpp"

namespace faultline::testing {

enum class ProxyKind {
  http_connect,  // an HTTP proxy: CONNECT host:port, "200 Connection established", then bytes
  socks5,        // SOCKS5 with the CONNECT command (IPv4, IPv6 or a name for it to resolve)
};

enum class ProxyFault {
  none,           // tunnel to the target; a target it cannot reach gets 502 / a SOCKS error
  answer_status,  // http_connect: answer CONNECT with TestProxyOptions::status, whatever asked
  silent,         // accept, read what comes, never answer
  reset_at_once,  // read the first bytes, then RST
  not_a_proxy,    // answer the first bytes with an HTTP 400 page and FIN, as a web server does
};

struct TestProxyOptions {
  ProxyKind kind = ProxyKind::http_connect;
  ProxyFault fault = ProxyFault::none;
  int status = 502;  // for ProxyFault::answer_status
  // Credentials the proxy demands (Proxy-Authorization: Basic / SOCKS5 user-password); none:
  // it lets anyone through.
  std::optional<std::string> username{}, password{};
  // http_connect only: speak TLS to clients first (an https:// proxy).
  std::optional<TlsMaterial> tls{};
  std::string bind_address = "127.0.0.1";
  // How long the proxy waits for the target's TCP handshake before it gives up (502 / TTL
  // expired).
  std::chrono::milliseconds upstream_timeout{2000};
};

// Listens as soon as the constructor returns; serves each client on its own thread. The
// destructor stops every thread promptly, closes every socket and joins. Construction throws
// when it cannot listen.
class TestProxy {
 public:
  explicit TestProxy(TestProxyOptions options);
  ~TestProxy();
  TestProxy(const TestProxy&) = delete;
  TestProxy& operator=(const TestProxy&) = delete;

  std::uint16_t port() const;
  // scheme + "://" + [user:password@] + authority, e.g. url("socks5h").
  std::string url(const std::string& scheme, const std::string& userinfo = "") const;

  // Clients accepted so far, and tunnels the proxy opened to a target. Thread-safe.
  int connections() const;
  int tunnels() const;
  // The last target a client asked for, as it asked: "localhost:8080", "127.0.0.1:443".
  std::string last_target() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace faultline::testing
