// serve_connection: what a LoopbackServer does with one accepted connection, per Behavior.
// Internal to the test-support library; tests use LoopbackServer.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "tests/support/loopback_server.hpp"
#include "tests/support/openssl_ptr.hpp"
#include "tests/support/stop_signal.hpp"
#include "tests/support/unique_fd.hpp"

namespace faultline::testing {

// Everything one server's connection threads share. The counters are what LoopbackServer
// reports; last_request and last_request_body are guarded by `mutex`.
struct ConnectionContext {
  LoopbackServerOptions options;
  SslCtxPtr tls;  // null unless the behaviour speaks TLS
  StopSignal stop;
  std::atomic<int> requests{0};
  std::atomic<int> tls_handshakes{0};
  std::atomic<int> tls_handshake_failures{0};
  std::mutex mutex;
  std::string last_request;
  std::string last_request_body;
};

// Runs options.behavior on `connection` until it is done, the peer goes away, or ctx.stop
// fires; the socket is closed on return (orderly unless the behaviour resets it).
void serve_connection(ConnectionContext& ctx, UniqueFd connection);

}  // namespace faultline::testing
