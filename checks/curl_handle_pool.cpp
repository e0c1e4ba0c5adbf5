#include "checks/curl_handle_pool.hpp"

namespace faultline {

CurlHandlePool::CurlHandlePool(std::size_t max_idle) : max_idle_(max_idle) {}

CurlHandlePool::~CurlHandlePool() {
  for (CURL* easy : idle_)
    curl_easy_cleanup(easy);
}

CURL* CurlHandlePool::acquire() {
  if (idle_.empty()) return curl_easy_init();
  CURL* easy = idle_.back();
  idle_.pop_back();
  return easy;
}

void CurlHandlePool::release(CURL* easy, bool connection_closed) {
  if (easy == nullptr) return;
  long os_errno = 0;
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
  if (!connection_closed || os_errno != 0 || idle_.size() >= max_idle_) {
    curl_easy_cleanup(easy);
    return;
  }
  // Options, timers and response info back to their defaults; OS_ERRNO is 0 already.
  curl_easy_reset(easy);
  idle_.push_back(easy);
}

}  // namespace faultline
