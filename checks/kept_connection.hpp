// The connection of a `reuse_connection` target, kept open from one probe to the next the way
// a client's connection pool keeps it. The target gets a libcurl multi handle of its own, whose
// connection cache then holds just this connection, and an easy handle of its own; the next
// probe picks the connection up again, and this class says how long it sat idle and what had
// become of it: still usable, reset or closed by the peer while idle, or reset when used.
//
// libcurl 7.88 hides the last two from its caller: a cached connection it finds dead is
// dropped, and a request on a reused connection that fails before any response byte is
// retried on a fresh connection. Both close the kept socket through our close-socket hook,
// which reads the kernel's TCP_INFO first, so the evidence is taken from the socket itself.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "checks/curl_multi_driver.hpp"
#include "checks/idle_bracket.hpp"
#include "checks/socket_state.hpp"
#include "checks/tls_observer.hpp"

namespace faultline {

class CurlTransfer;

class KeptConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // What a probe found when it came to use the kept connection.
  struct Pickup {
    std::chrono::milliseconds idle{0};  // since the previous probe's transfer ended
    // Already decided before the request was sent: the kernel says the peer reset or closed
    // the connection while it sat idle (reset_while_idle, closed_by_server).
    std::optional<IdleOutcome> ended_while_idle;
  };

  explicit KeptConnection(uv_loop_t* loop);
  // Closes the kept connection. Precondition: no transfer is running on it.
  ~KeptConnection();
  KeptConnection(const KeptConnection&) = delete;
  KeptConnection& operator=(const KeptConnection&) = delete;

  // One probe at a time owns the connection, from its start to its end (its DNS lookup and
  // every attempt included): try_claim() is false while another one does.
  bool try_claim() { return !std::exchange(claimed_, true); }
  void unclaim() { claimed_ = false; }
  bool claimed() const { return claimed_; }

  // Called once per probe before its first transfer: nullopt when no connection is kept (the
  // first probe, or the last one ended its connection).
  std::optional<Pickup> pick_up();

  // What became of a connection that was open at pick_up() and that the transfer since then
  // did not end up running over (TransferFacts::reused false): reset (RST in answer to the
  // request), or closed by the server (FIN in answer to it); `error` when libcurl dropped it
  // for a reason of its own.
  IdleOutcome fate_of_unused() const;

  // --- for CurlTransfer ---
  CurlMultiDriver& driver() { return *driver_; }
  // The easy handle for the next transfer, every option at its default (detach() reset them);
  // nullptr if libcurl cannot make one.
  CURL* attach(CurlTransfer* transfer);
  // The transfer is over and its handle is not in the multi handle. `open_fd` is a socket the
  // transfer opened and libcurl keeps for the next one, or CURL_SOCKET_BAD when it opened none
  // (the kept socket stays kept, unless libcurl closed it) or closed what it opened.
  void detach(curl_socket_t open_fd);
  // TCP_INFO of the kept socket now, or as it was when libcurl closed it during this transfer.
  SocketSnapshot socket_state() const;
  // TLS facts of the connection in use. They live here, not in a transfer, because OpenSSL's
  // callbacks keep writing to them for as long as the connection lives.
  TlsFacts& tls() { return tls_; }
  static int close_socket(void* self, curl_socket_t fd);

 private:
  std::unique_ptr<CurlMultiDriver> driver_;
  bool claimed_ = false;
  CURL* easy_ = nullptr;
  CurlTransfer* transfer_ = nullptr;
  curl_socket_t fd_ = CURL_SOCKET_BAD;  // the kept connection's socket
  Clock::time_point last_used_{};
  // Set when libcurl closed the socket that was kept at pick_up(), during the transfer.
  std::optional<SocketSnapshot> closed_state_;
  curl_socket_t picked_fd_ = CURL_SOCKET_BAD;
  TlsFacts tls_;
};

}  // namespace faultline
