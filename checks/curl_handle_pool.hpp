// libcurl easy handles kept between probes, so a probe does not pay for creating and destroying
// one (curl_easy_init allocates and zeroes several kilobytes; cleanup frees them again).
//
// A handle is only ever handed out clean: every option at its default (curl_easy_reset), no
// connection attached, and CURLINFO_OS_ERRNO at 0. libcurl before 8.8 never clears that errno
// between transfers on one handle, so a handle whose transfer left one is destroyed instead of
// kept: the next transfer's OS_ERRNO is then either 0 or set by that transfer itself.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <vector>

namespace faultline {

// Readies `easy` (not in a multi handle) for another transfer: every option back to its
// default (curl_easy_reset). False, and nothing done, when OS_ERRNO is set: such a handle must
// be destroyed instead (see above). The pool's own rule, for handles kept outside it.
bool reset_for_reuse(CURL* easy);

class CurlHandlePool {
 public:
  // Keeps at most `max_idle` handles between transfers; more are destroyed when released.
  explicit CurlHandlePool(std::size_t max_idle = 256);
  ~CurlHandlePool();
  CurlHandlePool(const CurlHandlePool&) = delete;
  CurlHandlePool& operator=(const CurlHandlePool&) = delete;

  // A handle with default options, not in any multi handle; nullptr if libcurl cannot make one.
  CURL* acquire();
  // Takes `easy` back (it must not be in a multi handle). `connection_closed`: libcurl has
  // closed every socket the transfer opened. Kept only if that is true and OS_ERRNO reads 0;
  // otherwise destroyed, which also closes what is still open.
  void release(CURL* easy, bool connection_closed);

  std::size_t idle() const { return idle_.size(); }

 private:
  std::vector<CURL*> idle_;
  std::size_t max_idle_;
};

}  // namespace faultline
