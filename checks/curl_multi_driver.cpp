#include "checks/curl_multi_driver.hpp"

#include <spdlog/spdlog.h>

namespace faultline {

struct CurlMultiDriver::SocketWatch {
  uv_poll_t poll;
  curl_socket_t fd;
  CurlMultiDriver* driver;
};

CurlMultiDriver::CurlMultiDriver(uv_loop_t* loop)
    : loop_(loop), multi_(curl_multi_init()), timer_(new uv_timer_t) {
  uv_timer_init(loop_, timer_);
  timer_->data = this;
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
}

bool CurlMultiDriver::add(CURL* easy, TransferOwner* owner) {
  curl_easy_setopt(easy, CURLOPT_PRIVATE, owner);
  return curl_multi_add_handle(multi_, easy) == CURLM_OK;
}

void CurlMultiDriver::remove(CURL* easy) {
  curl_multi_remove_handle(multi_, easy);
}

int CurlMultiDriver::on_socket(CURL*, curl_socket_t s, int what, void* userp, void* socketp) {
  auto* self = static_cast<CurlMultiDriver*>(userp);
  auto* watch = static_cast<SocketWatch*>(socketp);
  if (what == CURL_POLL_REMOVE) {
    if (watch != nullptr) {
      // Stopped before curl closes the fd, so a new socket reusing the number can be watched.
      uv_poll_stop(&watch->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll),
               [](uv_handle_t* h) { delete static_cast<SocketWatch*>(h->data); });
      curl_multi_assign(self->multi_, s, nullptr);
    }
    return 0;
  }
  if (watch == nullptr) {
    watch = new SocketWatch{{}, s, self};
    int rc = uv_poll_init_socket(self->loop_, &watch->poll, s);
    if (rc != 0) {
      spdlog::error("cannot watch socket {}: {}", s, uv_strerror(rc));
      delete watch;
      return -1;  // curl fails the transfer
    }
    watch->poll.data = watch;
    curl_multi_assign(self->multi_, s, watch);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(&watch->poll, events, &CurlMultiDriver::on_poll);
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

void CurlMultiDriver::on_poll(uv_poll_t* poll, int status, int events) {
  auto* watch = static_cast<SocketWatch*>(poll->data);
  int flags = 0;
  if (status < 0) {
    // libuv reports EPOLLERR (an RST, typically) as an error status. Telling curl only
    // CURL_CSELECT_ERR makes it fail with "select/poll returned error" (CURLE_SEND_ERROR)
    // without looking; letting it read and write finds the real errno and any data that
    // arrived before the RST.
    flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
  }
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  watch->driver->action(watch->fd, flags);
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
