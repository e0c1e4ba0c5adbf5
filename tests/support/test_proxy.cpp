#include "tests/support/test_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <list>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "tests/support/openssl_ptr.hpp"
#include "tests/support/server_stream.hpp"
#include "tests/support/socket_address.hpp"
#include "tests/support/stop_signal.hpp"
#include "tests/support/tcp_client.hpp"
#include "tests/support/unique_fd.hpp"

namespace faultline::testing {
namespace {

using Ms = std::chrono::milliseconds;
constexpr Ms kClientTimeout{5000};

void block_sigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SslCtxPtr make_proxy_context(const TlsMaterial& tls) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_chain_path.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("unusable proxy TLS material " + tls.cert_chain_path);
  }
  return ctx;
}

std::string base64(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Reads exactly `n` bytes; false on EOF, error, stop or a silent client.
bool read_exact(ServerStream& s, std::string& out, std::size_t n) {
  out.clear();
  while (out.size() < n) {
    char buf[512];
    const IoResult r = s.read(buf, std::min(sizeof buf, n - out.size()), kClientTimeout);
    if (r.status != IoStatus::ok) return false;
    out.append(buf, r.bytes);
  }
  return true;
}

// Reads an HTTP request head, up to its blank line; false when it never ends.
bool read_head(ServerStream& s, std::string& head) {
  head.clear();
  while (head.find("\r\n\r\n") == std::string::npos) {
    char c = 0;
    // One byte at a time: whatever follows the head belongs to the tunnel.
    const IoResult r = s.read(&c, 1, kClientTimeout);
    if (r.status != IoStatus::ok || head.size() > 16384) return false;
    head.push_back(c);
  }
  return true;
}

struct Upstream {
  UniqueFd fd;
  int error = 0;  // ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH; EAI_NONAME-like as ENOENT
};

// Connects to host:port the way a proxy does: the name resolved here, each address tried.
Upstream connect_upstream(const std::string& host, std::uint16_t port, Ms timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) return {UniqueFd(), ENOENT};
  Upstream out{UniqueFd(), EHOSTUNREACH};
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    char ip[INET6_ADDRSTRLEN] = "";
    const void* addr =
        ai->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr);
    inet_ntop(ai->ai_family, addr, ip, sizeof ip);
    TcpConnect c = connect_tcp(ip, port, timeout);
    if (c.error == 0 && !c.timed_out) {
      out = {std::move(c.fd), 0};
      break;
    }
    out.error = c.timed_out ? ETIMEDOUT : c.error;
  }
  freeaddrinfo(res);
  return out;
}

// Moves bytes both ways until either side ends or the proxy stops. The client side may be TLS,
// whose buffered records poll() cannot see, so the two directions take turns with short waits.
void relay(ServerStream& client, int upstream, const StopSignal& stop) {
  ::fcntl(upstream, F_SETFL, ::fcntl(upstream, F_GETFL) | O_NONBLOCK);
  char buf[16384];
  while (!stop.fired()) {
    const IoResult r = client.read(buf, sizeof buf, Ms(5));
    if (r.status == IoStatus::ok) {
      if (send_all(upstream, std::string_view(buf, r.bytes)) != 0) return;
    } else if (r.status != IoStatus::timed_out) {
      ::shutdown(upstream, SHUT_WR);
      return;
    }
    if (wait_for(upstream, POLLIN, stop, Ms(5)) != WaitResult::ready) continue;
    const ssize_t n = ::recv(upstream, buf, sizeof buf, 0);
    if (n > 0) {
      if (client.write_all(std::string_view(buf, static_cast<std::size_t>(n))) != IoStatus::ok)
        return;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      // The target closed or reset: the proxy closes the client's side in the same way.
      if (n < 0) client.reset();
      return;
    }
  }
}

}  // namespace

struct TestProxy::State {
  TestProxyOptions options;
  SslCtxPtr tls;
  StopSignal stop;
  UniqueFd listener;
  std::uint16_t port = 0;
  std::atomic<int> connections{0};
  std::atomic<int> tunnels{0};
  mutable std::mutex mutex;
  std::string last_target;
  std::list<std::thread> workers;  // touched only by the acceptor until it is joined
  std::thread acceptor;

  void accept_loop();
  void serve(UniqueFd fd);
  bool apply_fault(ServerStream& s);
  void serve_http(ServerStream& s);
  void serve_socks(ServerStream& s);
  bool socks_authenticate(ServerStream& s);
  void note_target(const std::string& target) {
    std::lock_guard lock(mutex);
    last_target = target;
  }
};

void TestProxy::State::accept_loop() {
  block_sigpipe();
  while (wait_for(listener.get(), POLLIN, stop) == WaitResult::ready) {
    UniqueFd fd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) continue;
    connections.fetch_add(1);
    workers.emplace_back([this, fd = std::move(fd)]() mutable {
      block_sigpipe();
      serve(std::move(fd));
    });
  }
}

// The faults that do not depend on the protocol; true when one ended the connection.
bool TestProxy::State::apply_fault(ServerStream& s) {
  char buf[512];
  switch (options.fault) {
    case ProxyFault::silent:
      s.hold();
      return true;
    case ProxyFault::reset_at_once:
      s.read(buf, sizeof buf, kClientTimeout);
      s.reset();
      return true;
    case ProxyFault::not_a_proxy:
      s.read(buf, sizeof buf, kClientTimeout);
      s.write_all(
          "HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
          "bad request");
      s.close();
      return true;
    default:
      return false;
  }
}

void TestProxy::State::serve(UniqueFd fd) {
  ServerStream s(std::move(fd), stop);
  if (tls && !s.handshake(tls.get())) return;
  if (apply_fault(s)) return;
  if (options.kind == ProxyKind::http_connect) {
    serve_http(s);
  } else {
    serve_socks(s);
  }
}

void TestProxy::State::serve_http(ServerStream& s) {
  std::string head;
  if (!read_head(s, head)) return;
  // "CONNECT host:port HTTP/1.1"
  const std::size_t sp1 = head.find(' ');
  const std::size_t sp2 = head.find(' ', sp1 + 1);
  if (head.compare(0, sp1, "CONNECT") != 0 || sp2 == std::string::npos) {
    s.write_all("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  const std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  note_target(target);
  if (options.username) {
    const std::string expected =
        "Proxy-Authorization: Basic " + base64(*options.username + ":" + *options.password);
    if (head.find(expected + "\r\n") == std::string::npos) {
      s.write_all(
          "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
          "realm=\"test\"\r\nContent-Length: 0\r\n\r\n");
      return;
    }
  }
  if (options.fault == ProxyFault::answer_status) {
    s.write_all("HTTP/1.1 " + std::to_string(options.status) +
                " Proxy Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  const std::size_t colon = target.rfind(':');
  std::string host = target.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const auto port = static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1)));
  Upstream up = connect_upstream(host, port, options.upstream_timeout);
  if (up.error != 0) {
    // What squid and tinyproxy do: the reason is in the body, the status says only 502/503.
    s.write_all("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  tunnels.fetch_add(1);
  if (s.write_all("HTTP/1.1 200 Connection established\r\n\r\n") != IoStatus::ok) return;
  relay(s, up.fd.get(), stop);
}

bool TestProxy::State::socks_authenticate(ServerStream& s) {
  std::string msg;
  if (!read_exact(s, msg, 2) || msg[0] != 5) return false;
  std::string methods;
  if (!read_exact(s, methods, static_cast<unsigned char>(msg[1]))) return false;
  const char wanted = options.username ? 2 : 0;
  if (methods.find(wanted) == std::string::npos) {
    s.write_all(std::string("\x05\xff", 2));
    return false;
  }
  s.write_all(std::string("\x05", 1) + wanted);
  if (!options.username) return true;
  // RFC 1929: VER=1, ULEN, UNAME, PLEN, PASSWD.
  std::string user, pass;
  if (!read_exact(s, msg, 2) || !read_exact(s, user, static_cast<unsigned char>(msg[1])) ||
      !read_exact(s, msg, 1) || !read_exact(s, pass, static_cast<unsigned char>(msg[0]))) {
    return false;
  }
  const bool ok = user == *options.username && pass == *options.password;
  s.write_all(std::string("\x01", 1) + (ok ? '\0' : '\x01'));
  return ok;
}

void TestProxy::State::serve_socks(ServerStream& s) {
  if (!socks_authenticate(s)) return;
  std::string req;
  if (!read_exact(s, req, 4) || req[0] != 5 || req[1] != 1) return;
  std::string host;
  const auto atyp = static_cast<unsigned char>(req[3]);
  std::string raw;
  if (atyp == 1 || atyp == 4) {
    const int family = atyp == 1 ? AF_INET : AF_INET6;
    if (!read_exact(s, raw, atyp == 1 ? 4 : 16)) return;
    char ip[INET6_ADDRSTRLEN] = "";
    inet_ntop(family, raw.data(), ip, sizeof ip);
    host = ip;
  } else if (atyp == 3) {
    if (!read_exact(s, raw, 1) || !read_exact(s, host, static_cast<unsigned char>(raw[0]))) return;
  } else {
    return;
  }
  if (!read_exact(s, raw, 2)) return;
  const auto port = static_cast<std::uint16_t>((static_cast<unsigned char>(raw[0]) << 8) |
                                               static_cast<unsigned char>(raw[1]));
  note_target((atyp == 4 ? "[" + host + "]" : host) + ":" + std::to_string(port));
  Upstream up = connect_upstream(host, port, options.upstream_timeout);
  // RFC 1928 replies: 5 refused, 4 host unreachable, 6 TTL expired (what dante sends when the
  // target does not answer in time).
  char rep = 0;
  if (up.error == ECONNREFUSED) {
    rep = 5;
  } else if (up.error == ETIMEDOUT) {
    rep = 6;
  } else if (up.error != 0) {
    rep = 4;
  }
  const std::string reply = std::string("\x05", 1) + rep + std::string("\x00\x01\0\0\0\0\0\0", 8);
  if (s.write_all(reply) != IoStatus::ok || rep != 0) return;
  tunnels.fetch_add(1);
  relay(s, up.fd.get(), stop);
}

TestProxy::TestProxy(TestProxyOptions options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  if (options.tls) s.tls = make_proxy_context(*options.tls);
  s.options = std::move(options);
  s.listener = bind_socket(s.options.bind_address, 0, SOCK_STREAM);
  ::fcntl(s.listener.get(), F_SETFL, ::fcntl(s.listener.get(), F_GETFL) | O_NONBLOCK);
  if (::listen(s.listener.get(), SOMAXCONN) != 0)
    throw std::system_error(errno, std::generic_category(), "listen");
  s.port = local_port(s.listener.get());
  s.acceptor = std::thread([&s] { s.accept_loop(); });
}

TestProxy::~TestProxy() {
  State& s = *state_;
  s.stop.fire();
  s.acceptor.join();
  for (std::thread& t : s.workers)
    t.join();
}

std::uint16_t TestProxy::port() const {
  return state_->port;
}

std::string TestProxy::url(const std::string& scheme, const std::string& userinfo) const {
  return scheme + "://" + (userinfo.empty() ? "" : userinfo + "@") +
         authority(state_->options.bind_address, state_->port);
}

int TestProxy::connections() const {
  return state_->connections.load();
}

int TestProxy::tunnels() const {
  return state_->tunnels.load();
}

std::string TestProxy::last_target() const {
  std::lock_guard lock(state_->mutex);
  return state_->last_target;
}

}  // namespace faultline::testing
