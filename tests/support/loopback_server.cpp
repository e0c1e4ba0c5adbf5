#include "tests/support/loopback_server.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <list>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "tests/support/connection_behaviors.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/socket_address.hpp"

namespace faultline::testing {

namespace {

bool speaks_tls(Behavior b) {
  return b == Behavior::tls_http_ok || b == Behavior::tls_accept_only ||
         b == Behavior::tls_garbage || b == Behavior::tls_raw_garbage ||
         b == Behavior::tls_close_without_reply || b == Behavior::tls_line_reply ||
         b == Behavior::tls_reset_after_handshake;
}

std::string openssl_error(const std::string& what) {
  char text[256] = "no OpenSSL error queued";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, text, sizeof text);
  ERR_clear_error();
  return what + ": " + text;
}

// Demands a client certificate signed by the CA in `ca_path`, and names that CA to the client.
void require_client_certificate(SSL_CTX* ctx, const std::string& ca_path) {
  if (SSL_CTX_load_verify_locations(ctx, ca_path.c_str(), nullptr) != 1)
    throw std::runtime_error(openssl_error("client CA " + ca_path));
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca_path.c_str());
  if (names == nullptr) throw std::runtime_error(openssl_error("client CA names " + ca_path));
  SSL_CTX_set_client_CA_list(ctx, names);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
}

SslCtxPtr make_server_context(const LoopbackServerOptions& options) {
  const TlsMaterial& tls = *options.tls;
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) throw std::runtime_error(openssl_error("SSL_CTX_new"));
  // A client that drops the connection without close_notify reads as a plain EOF, not an error.
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_chain_path.c_str()) != 1)
    throw std::runtime_error(openssl_error("certificate chain " + tls.cert_chain_path));
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_path.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error(openssl_error("private key " + tls.key_path));
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    throw std::runtime_error(openssl_error("key does not match " + tls.cert_chain_path));
  if (options.client_ca_path) require_client_certificate(ctx.get(), *options.client_ca_path);
  if ((options.tls_min_version != 0 &&
       SSL_CTX_set_min_proto_version(ctx.get(), options.tls_min_version) != 1) ||
      (options.tls_max_version != 0 &&
       SSL_CTX_set_max_proto_version(ctx.get(), options.tls_max_version) != 1))
    throw std::runtime_error(openssl_error("TLS protocol versions"));
  if (!options.tls_session_tickets) SSL_CTX_set_num_tickets(ctx.get(), 0);
  return ctx;
}

// A server thread writing to a socket the peer has reset would get SIGPIPE (OpenSSL writes
// with plain write()); blocking it in our own threads turns that into EPIPE without touching
// the test process's signal disposition.
void block_sigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

struct LoopbackServer::State {
  ConnectionContext ctx;
  UniqueFd listener;
  std::uint16_t port = 0;
  std::atomic<int> connections{0};

  struct Worker {
    std::atomic<bool> done{false};
    std::thread thread;
  };
  std::list<Worker> workers;  // touched only by the acceptor thread until it has been joined
  std::thread acceptor;

  void accept_loop();
  void reap_finished_workers();
};

void LoopbackServer::State::accept_loop() {
  block_sigpipe();
  while (wait_for(listener.get(), POLLIN, ctx.stop) == WaitResult::ready) {
    UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection) continue;  // the client gave up before we got to it, or EINTR
    connections.fetch_add(1);
    reap_finished_workers();
    Worker& w = workers.emplace_back();
    w.thread = std::thread([this, &w, fd = std::move(connection)]() mutable {
      block_sigpipe();
      serve_connection(ctx, std::move(fd));
      w.done.store(true);
    });
  }
}

void LoopbackServer::State::reap_finished_workers() {
  // Keeps a long keep-alive or reconnect test from piling up finished threads.
  for (auto it = workers.begin(); it != workers.end();) {
    if (it->done.load()) {
      it->thread.join();
      it = workers.erase(it);
    } else {
      ++it;
    }
  }
}

LoopbackServer::LoopbackServer(Behavior behavior)
    : LoopbackServer(LoopbackServerOptions{.behavior = behavior}) {}

LoopbackServer::LoopbackServer(LoopbackServerOptions options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  if (speaks_tls(options.behavior)) {
    if (!options.tls) throw std::invalid_argument("this LoopbackServer behavior needs options.tls");
    s.ctx.tls = make_server_context(options);
  }
  s.ctx.options = std::move(options);
  s.listener = bind_socket(s.ctx.options.bind_address, 0, SOCK_STREAM);
  // Non-blocking, so an accept after poll() cannot block when the client already gave up.
  ::fcntl(s.listener.get(), F_SETFL, ::fcntl(s.listener.get(), F_GETFL) | O_NONBLOCK);
  if (::listen(s.listener.get(), SOMAXCONN) != 0)
    throw std::system_error(errno, std::generic_category(), "listen");
  s.port = local_port(s.listener.get());
  s.acceptor = std::thread([&s] { s.accept_loop(); });
}

LoopbackServer::~LoopbackServer() {
  State& s = *state_;
  s.ctx.stop.fire();
  s.acceptor.join();
  for (State::Worker& w : s.workers)
    w.thread.join();
}

std::uint16_t LoopbackServer::port() const {
  return state_->port;
}

std::string LoopbackServer::authority() const {
  return testing::authority(state_->ctx.options.bind_address, state_->port);
}

std::string LoopbackServer::url(std::string_view scheme, std::string_view path) const {
  return std::string(scheme) + "://" + authority() + std::string(path);
}

int LoopbackServer::connections() const {
  return state_->connections.load();
}

bool LoopbackServer::wait_for_connections(int n, std::chrono::milliseconds timeout) const {
  return eventually([&] { return connections() >= n; }, timeout);
}

int LoopbackServer::requests() const {
  return state_->ctx.requests.load();
}

std::string LoopbackServer::last_request_body() const {
  std::lock_guard lock(state_->ctx.mutex);
  return state_->ctx.last_request_body;
}

std::string LoopbackServer::last_request() const {
  std::lock_guard lock(state_->ctx.mutex);
  return state_->ctx.last_request;
}

int LoopbackServer::tls_handshakes() const {
  return state_->ctx.tls_handshakes.load();
}

int LoopbackServer::tls_handshake_failures() const {
  return state_->ctx.tls_handshake_failures.load();
}

}  // namespace faultline::testing
