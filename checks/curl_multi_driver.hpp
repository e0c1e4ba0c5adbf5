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

// How drivers create their epoll set: epoll_create1's signature.
using EpollCreateFn = int (*)(int flags);
// Makes drivers call `fn` instead of epoll_create1 from now on; returns the function it
// replaces. For tests that make the creation fail; process-wide, so restore it afterwards.
EpollCreateFn replace_epoll_create(EpollCreateFn fn);

class CurlMultiDriver {
 public:
  // Creates the epoll set at once; if that fails (EMFILE, ENOMEM), the error is logged and
  // every add() tries again, so a descriptor shortage heals when it ends.
  explicit CurlMultiDriver(uv_loop_t* loop);
  // Precondition: no transfer is running. Releases its libuv handles through the loop.
  ~CurlMultiDriver();
  CurlMultiDriver(const CurlMultiDriver&) = delete;
  CurlMultiDriver& operator=(const CurlMultiDriver&) = delete;

  // Starts `easy`; `owner` hears of its end. Returns false (and starts nothing) if the driver
  // has no epoll set and cannot create one now (epoll_errno() says why), or if libcurl refuses
  // the handle (epoll_errno() is 0).
  bool add(CURL* easy, TransferOwner* owner);
  // Abandons a running transfer: no on_transfer_done call follows.
  void remove(CURL* easy);

  CURLM* multi() const { return multi_; }
  // 0 while the driver has its epoll set; else the errno of the last failed attempt to make one.
  int epoll_errno() const { return epoll_errno_; }

 private:
  static int on_socket(CURL* easy, curl_socket_t s, int what, void* userp, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* userp);
  static void on_ready(uv_poll_t* poll, int status, int events);
  // Creates the epoll set and its watch on the loop, unless they exist; false if that fails.
  bool open_epoll_set();
  void action(curl_socket_t s, int flags);
  void drain_finished();

  uv_loop_t* loop_;
  CURLM* multi_;
  uv_timer_t* timer_;
  int epoll_fd_ = -1;
  int epoll_errno_ = 0;
  uv_poll_t* epoll_watch_;  // initialised once epoll_fd_ exists
  // Sockets curl stopped watching while a batch of events is being handed out: the batch's
  // later events for them are stale (the number may already name a new socket).
  std::vector<curl_socket_t> removed_in_batch_;
  bool in_batch_ = false;
  // Sockets in the epoll set. The watch keeps the loop alive only while there are some.
  std::size_t watched_ = 0;
};

}  // namespace faultline
