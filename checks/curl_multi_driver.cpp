#include "checks/curl_multi_driver.hpp"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace faultline {
namespace {

// curl_multi_assign's value for a socket already in the epoll set (only its presence matters).
int kWatched = 0;

EpollCreateFn g_epoll_create = &epoll_create1;

}  // namespace

EpollCreateFn replace_epoll_create(EpollCreateFn fn) {
  return std::exchange(g_epoll_create, fn);
}

CurlMultiDriver::CurlMultiDriver(uv_loop_t* loop)
    : loop_(loop), multi_(curl_multi_init()), timer_(new uv_timer_t), epoll_watch_(new uv_poll_t) {
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  open_epoll_set();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMultiDriver::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMultiDriver::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMultiDriver::~CurlMultiDriver() {
  curl_multi_cleanup(multi_);
  uv_timer_stop(timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  if (epoll_fd_ < 0) {
    delete epoll_watch_;  // never handed to libuv
    return;
  }
  // uv_close takes the descriptor out of the loop's own epoll set at once, so it may be closed.
  uv_close(reinterpret_cast<uv_handle_t*>(epoll_watch_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  close(epoll_fd_);
}

bool CurlMultiDriver::open_epoll_set() {
  if (epoll_fd_ >= 0) return true;
  const int fd = g_epoll_create(EPOLL_CLOEXEC);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) {
    const int rc = uv_poll_init(loop_, epoll_watch_, fd);
    if (rc != 0) {
      err = -rc;  // libuv's errors are negated errnos on Unix
      close(fd);
    }
  }
  if (err != 0) {
    // Said once per failing spell: each probe that cannot start reports it as its own result.
    if (epoll_errno_ == 0) {
      spdlog::error("cannot create an epoll set for libcurl's sockets: {}", std::strerror(err));
    }
    epoll_errno_ = err;
    return false;
  }
  epoll_fd_ = fd;
  epoll_errno_ = 0;
  epoll_watch_->data = this;
  uv_poll_start(epoll_watch_, UV_READABLE, &CurlMultiDriver::on_ready);
  // The watch keeps the loop alive only while there are sockets in the set.
  uv_unref(reinterpret_cast<uv_handle_t*>(epoll_watch_));
  return true;
}

bool CurlMultiDriver::add(CURL* easy, TransferOwner* owner) {
  if (!open_epoll_set()) return false;
  curl_easy_setopt(easy, CURLOPT_PRIVATE, owner);
  return curl_multi_add_handle(multi_, easy) == CURLM_OK;
}

void CurlMultiDriver::remove(CURL* easy) {
  curl_multi_remove_handle(multi_, easy);
}

int CurlMultiDriver::on_socket(CURL*, curl_socket_t s, int what, void* userp, void* socketp) {
  auto* self = static_cast<CurlMultiDriver*>(userp);
  if (what == CURL_POLL_REMOVE) {
    if (socketp != nullptr) {
      // Removed before curl closes the fd, so a new socket reusing the number can be watched.
      epoll_ctl(self->epoll_fd_, EPOLL_CTL_DEL, s, nullptr);
      curl_multi_assign(self->multi_, s, nullptr);
      if (self->in_batch_) self->removed_in_batch_.push_back(s);
      if (--self->watched_ == 0) uv_unref(reinterpret_cast<uv_handle_t*>(self->epoll_watch_));
    }
    return 0;
  }
  epoll_event ev{};
  if (what & CURL_POLL_IN) ev.events |= EPOLLIN;
  if (what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
  ev.data.fd = s;
  const int op = socketp == nullptr ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (epoll_ctl(self->epoll_fd_, op, s, &ev) != 0) {
    spdlog::error("cannot watch socket {}: {}", s, std::strerror(errno));
    return -1;  // curl fails the transfer
  }
  if (socketp == nullptr) {
    curl_multi_assign(self->multi_, s, &kWatched);
    if (self->watched_++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(self->epoll_watch_));
  }
  return 0;
}

int CurlMultiDriver::on_timer(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<CurlMultiDriver*>(userp);
  if (timeout_ms < 0) {
    uv_timer_stop(self->timer_);
    return 0;
  }
  // Never act from inside a curl callback: even a zero timeout goes through the loop.
  uv_timer_start(
      self->timer_,
      [](uv_timer_t* t) { static_cast<CurlMultiDriver*>(t->data)->action(CURL_SOCKET_TIMEOUT, 0); },
      static_cast<std::uint64_t>(timeout_ms), 0);
  return 0;
}

void CurlMultiDriver::on_ready(uv_poll_t* poll, int, int) {
  auto* self = static_cast<CurlMultiDriver*>(poll->data);
  std::array<epoll_event, 64> events;
  const int n = epoll_wait(self->epoll_fd_, events.data(), static_cast<int>(events.size()), 0);
  self->in_batch_ = true;
  for (int i = 0; i < n; ++i) {
    const curl_socket_t fd = events[static_cast<std::size_t>(i)].data.fd;
    const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
    const auto& removed = self->removed_in_batch_;
    if (std::find(removed.begin(), removed.end(), fd) != removed.end()) continue;
    int flags = 0;
    if (what & EPOLLERR) {
      // EPOLLERR (an RST, typically): telling curl only CURL_CSELECT_ERR makes it fail with
      // "select/poll returned error" (CURLE_SEND_ERROR) without looking; letting it read and
      // write finds the real errno and any data that arrived before the RST.
      flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
    }
    if (what & EPOLLIN) flags |= CURL_CSELECT_IN;
    if (what & EPOLLOUT) flags |= CURL_CSELECT_OUT;
    self->action(fd, flags);
  }
  self->in_batch_ = false;
  self->removed_in_batch_.clear();
  // More than a batch ready: the epoll descriptor stays readable, so the loop calls again.
}

void CurlMultiDriver::action(curl_socket_t s, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_, s, flags, &running);
  drain_finished();
}

void CurlMultiDriver::drain_finished() {
  int pending = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &pending)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    const CURLcode code = msg->data.result;
    TransferOwner* owner = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner);
    if (owner == nullptr || !owner->keep_after_done()) curl_multi_remove_handle(multi_, easy);
    if (owner != nullptr) owner->on_transfer_done(easy, code);
  }
}

}  // namespace faultline
