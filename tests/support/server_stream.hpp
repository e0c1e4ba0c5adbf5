// ServerStream: the server side of one accepted connection, plain or TLS, where every read and
// write also watches the fixture's StopSignal so no connection thread can outlive its server.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include "tests/support/openssl_ptr.hpp"
#include "tests/support/stop_signal.hpp"
#include "tests/support/unique_fd.hpp"

namespace faultline::testing {

enum class IoStatus {
  ok,         // bytes moved
  eof,        // the peer closed its sending side (TLS: close_notify or a bare FIN)
  error,      // reset, broken pipe, TLS failure
  timed_out,  // the read timeout passed with nothing to read
  stopped,    // the fixture is shutting down
};

struct IoResult {
  IoStatus status;
  std::size_t bytes = 0;
};

// Owns the accepted socket (switched to non-blocking) and, after handshake(), its TLS state.
// The destructor closes the socket, which is an orderly FIN unless reset() ran first.
class ServerStream {
 public:
  ServerStream(UniqueFd fd, const StopSignal& stop);

  // Runs the server side of a TLS handshake with `ctx`; later reads and writes go through TLS.
  // Returns false when the client aborted (an alert, a reset), or on stop.
  bool handshake(SSL_CTX* ctx);

  // Reads up to `size` bytes, waiting at most `timeout` (none: until data, EOF or stop).
  IoResult read(char* buffer, std::size_t size,
                std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Writes all of `data`, waiting while the peer's window is full. Returns ok, error or stopped.
  IoStatus write_all(std::string_view data);

  // Closes now with SO_LINGER {1, 0}: the kernel answers with a RST and drops unsent data.
  void reset();

  // Orderly close: a TLS close_notify when TLS is up, then FIN.
  void close();

  // Reads and discards until the peer closes, an error, or stop; then returns.
  void hold();
  // Writes `data` straight to the socket even when TLS is up, where the peer expects TLS
  // records: the "garbage after the handshake" of a broken TLS terminator.
  IoStatus write_raw(std::string_view data);
  // As hold(), but reads the raw bytes, bypassing TLS (after write_raw the TLS state is junk).
  void hold_raw();

 private:
  // Waits for whatever the last TLS call asked for; returns the IoStatus that ends the call,
  // or nullopt to retry it.
  std::optional<IoStatus> wait_tls(int ssl_result,
                                   std::optional<std::chrono::steady_clock::time_point> deadline);

  UniqueFd fd_;
  const StopSignal& stop_;
  SslPtr ssl_;
  bool tls_broken_ = false;
};

}  // namespace faultline::testing
