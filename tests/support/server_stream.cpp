#include "tests/support/server_stream.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace faultline::testing {

namespace {

using Clock = std::chrono::steady_clock;

std::optional<std::chrono::milliseconds> time_left(std::optional<Clock::time_point> deadline) {
  if (!deadline) return std::nullopt;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

std::optional<IoStatus> status_of(WaitResult w) {
  switch (w) {
    case WaitResult::ready:
      return std::nullopt;
    case WaitResult::timed_out:
      return IoStatus::timed_out;
    case WaitResult::stopped:
      return IoStatus::stopped;
  }
  return IoStatus::error;
}

}  // namespace

ServerStream::ServerStream(UniqueFd fd, const StopSignal& stop) : fd_(std::move(fd)), stop_(stop) {
  // Non-blocking so that every wait goes through poll() together with the stop signal.
  int flags = ::fcntl(fd_.get(), F_GETFL);
  ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
}

bool ServerStream::handshake(SSL_CTX* ctx) {
  ssl_.reset(SSL_new(ctx));
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1) return false;
  for (;;) {
    ERR_clear_error();
    int r = SSL_accept(ssl_.get());
    if (r == 1) return true;
    if (wait_tls(r, std::nullopt)) {
      // The client's alert or reset is an expected outcome here, not an error to keep around
      // in this thread's OpenSSL error queue.
      ERR_clear_error();
      return false;
    }
  }
}

std::optional<IoStatus> ServerStream::wait_tls(int ssl_result,
                                               std::optional<Clock::time_point> deadline) {
  short events = 0;
  switch (SSL_get_error(ssl_.get(), ssl_result)) {
    case SSL_ERROR_WANT_READ:
      events = POLLIN;
      break;
    case SSL_ERROR_WANT_WRITE:
      events = POLLOUT;
      break;
    case SSL_ERROR_ZERO_RETURN:
      return IoStatus::eof;
    default:
      // After a fatal TLS error OpenSSL forbids SSL_shutdown, so close() must skip it.
      tls_broken_ = true;
      return IoStatus::error;
  }
  return status_of(wait_for(fd_.get(), events, stop_, time_left(deadline)));
}

IoResult ServerStream::read(char* buffer, std::size_t size,
                            std::optional<std::chrono::milliseconds> timeout) {
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + *timeout;
  for (;;) {
    if (stop_.fired()) return {IoStatus::stopped};
    if (ssl_) {
      std::size_t n = 0;
      ERR_clear_error();
      int r = SSL_read_ex(ssl_.get(), buffer, size, &n);
      if (r == 1) return {IoStatus::ok, n};
      if (auto end = wait_tls(r, deadline)) return {*end};
      continue;
    }
    ssize_t n = ::recv(fd_.get(), buffer, size, 0);
    if (n > 0) return {IoStatus::ok, static_cast<std::size_t>(n)};
    if (n == 0) return {IoStatus::eof};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return {IoStatus::error};
    if (auto end = status_of(wait_for(fd_.get(), POLLIN, stop_, time_left(deadline))))
      return {*end};
  }
}

IoStatus ServerStream::write_all(std::string_view data) {
  while (!data.empty()) {
    // Checked on every round: a client that reads as fast as we write never makes us wait,
    // and the destructor of our server must still be able to stop us.
    if (stop_.fired()) return IoStatus::stopped;
    if (ssl_) {
      std::size_t n = 0;
      ERR_clear_error();
      int r = SSL_write_ex(ssl_.get(), data.data(), data.size(), &n);
      if (r == 1) {
        data.remove_prefix(n);
        continue;
      }
      if (auto end = wait_tls(r, std::nullopt))
        return *end == IoStatus::eof ? IoStatus::error : *end;
      continue;
    }
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return IoStatus::error;
    if (auto end = status_of(wait_for(fd_.get(), POLLOUT, stop_))) return *end;
  }
  return IoStatus::ok;
}

void ServerStream::reset() {
  ssl_.reset();
  linger hard{1, 0};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  fd_.reset();
}

void ServerStream::close() {
  if (ssl_ && !tls_broken_) {
    // One call queues our close_notify; we do not wait for the peer's.
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  ssl_.reset();
  fd_.reset();
}

IoStatus ServerStream::write_raw(std::string_view data) {
  while (!data.empty()) {
    if (stop_.fired()) return IoStatus::stopped;
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return IoStatus::error;
    if (auto end = status_of(wait_for(fd_.get(), POLLOUT, stop_))) return *end;
  }
  return IoStatus::ok;
}

void ServerStream::hold_raw() {
  ssl_.reset();
  hold();
}

void ServerStream::hold() {
  char buffer[4096];
  while (read(buffer, sizeof buffer).status == IoStatus::ok) {
  }
}

}  // namespace faultline::testing
