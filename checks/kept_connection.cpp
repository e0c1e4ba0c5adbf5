#include "checks/kept_connection.hpp"

#include <unistd.h>

#include "checks/curl_handle_pool.hpp"
#include "checks/curl_transfer.hpp"

namespace faultline {

KeptConnection::KeptConnection(uv_loop_t* loop)
    : driver_(std::make_unique<CurlMultiDriver>(loop)) {}

KeptConnection::~KeptConnection() {
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  // The multi handle owns the cached connection; its cleanup closes it through close_socket,
  // which still needs this object.
  driver_.reset();
}

std::optional<KeptConnection::Pickup> KeptConnection::pick_up() {
  closed_state_.reset();
  picked_fd_ = fd_;
  if (fd_ == CURL_SOCKET_BAD) return std::nullopt;
  Pickup p;
  p.idle = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_used_);
  const SocketSnapshot now = snapshot_socket(fd_);
  if (now.end == SocketEnd::peer_reset) p.ended_while_idle = IdleOutcome::reset_while_idle;
  if (now.end == SocketEnd::peer_closed) p.ended_while_idle = IdleOutcome::closed_by_server;
  return p;
}

IdleOutcome KeptConnection::fate_of_unused() const {
  if (!closed_state_) return IdleOutcome::error;
  switch (closed_state_->end) {
    case SocketEnd::peer_reset:
      return IdleOutcome::reset;
    case SocketEnd::peer_closed:
      return IdleOutcome::closed_by_server;
    default:
      return IdleOutcome::error;
  }
}

CURL* KeptConnection::attach(CurlTransfer* transfer) {
  if (easy_ == nullptr) easy_ = curl_easy_init();
  if (easy_ != nullptr) transfer_ = transfer;
  return easy_;
}

void KeptConnection::detach(curl_socket_t open_fd) {
  transfer_ = nullptr;
  // No new socket left open: the kept one (if it survived the transfer) is still the one.
  if (open_fd != CURL_SOCKET_BAD) fd_ = open_fd;
  last_used_ = Clock::now();
  // The options point into the transfer that just ended. A handle holding an errno is
  // replaced; the connection is unaffected: it lives in the multi handle's cache.
  if (easy_ != nullptr && !reset_for_reuse(easy_)) {
    curl_easy_cleanup(easy_);
    easy_ = nullptr;
  }
}

SocketSnapshot KeptConnection::socket_state() const {
  if (picked_fd_ != CURL_SOCKET_BAD && picked_fd_ == fd_) return snapshot_socket(fd_);
  return closed_state_.value_or(SocketSnapshot{});
}

int KeptConnection::close_socket(void* self, curl_socket_t fd) {
  auto* k = static_cast<KeptConnection*>(self);
  if (fd == k->fd_) {
    if (fd == k->picked_fd_) k->closed_state_ = snapshot_socket(fd);
    k->fd_ = CURL_SOCKET_BAD;
  }
  if (k->transfer_ != nullptr) k->transfer_->socket_closing(fd);
  return ::close(fd);
}

}  // namespace faultline
