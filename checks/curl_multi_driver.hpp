// Drives libcurl's multi interface from a libuv loop: curl tells us which sockets and which
// timeout to watch (socket and timer callbacks), libuv tells curl when they fire. No thread
// per transfer, no curl_easy_perform. curl's sockets sit in an epoll set of the driver's own,
// which the loop watches as one descriptor: a libuv poll handle per socket cost each probe
// five more epoll_ctl calls (libuv checks every new descriptor by adding and removing it) and
// a handle to allocate and close.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <vector>

namespace faultline {

// Receives the end of a transfer added with CurlMultiDriver::add.
class TransferOwner {
 public:
  virtual ~TransferOwner() = default;
  // Called once on the loop thread; the easy handle is already removed from the multi handle
  // and belongs to the owner again, unless keep_after_done() said otherwise.
  virtual void on_transfer_done(CURL* easy, CURLcode code) = 0;
  // True to leave the handle in the multi handle after it is done: libcurl closes a
  // CONNECT_ONLY connection when its handle is removed, and curl_easy_send/recv need it open.
  // The owner then calls CurlMultiDriver::remove itself.
  virtual bool keep_after_done() const { return false; }
};

class CurlMultiDriver {
 public:
  explicit CurlMultiDriver(uv_loop_t* loop);
  // Precondition: no transfer is running. Releases its libuv handles through the loop.
  ~CurlMultiDriver();
  CurlMultiDriver(const CurlMultiDriver&) = delete;
  CurlMultiDriver& operator=(const CurlMultiDriver&) = delete;

  // Starts `easy`; `owner` hears of its end. Returns false (and starts nothing) if libcurl
  // refuses the handle.
  bool add(CURL* easy, TransferOwner* owner);
  // Abandons a running transfer: no on_transfer_done call follows.
  void remove(CURL* easy);

  CURLM* multi() const { return multi_; }

 private:
  static int on_socket(CURL* easy, curl_socket_t s, int what, void* userp, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* userp);
  static void on_ready(uv_poll_t* poll, int status, int events);
  void action(curl_socket_t s, int flags);
  void drain_finished();

  uv_loop_t* loop_;
  CURLM* multi_;
  uv_timer_t* timer_;
  int epoll_fd_;
  uv_poll_t* epoll_watch_;
  // Sockets curl stopped watching while a batch of events is being handed out: the batch's
  // later events for them are stale (the number may already name a new socket).
  std::vector<curl_socket_t> removed_in_batch_;
  bool in_batch_ = false;
  // Sockets in the epoll set. The watch keeps the loop alive only while there are some.
  std::size_t watched_ = 0;
};

}  // namespace faultline
