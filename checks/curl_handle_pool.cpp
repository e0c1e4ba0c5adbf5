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

bool reset_for_reuse(CURL* easy) {
  long os_errno = 0;
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
  if (os_errno != 0) return false;
  // Options, timers, response info and the retry count back to their defaults.
  curl_easy_reset(easy);
  return true;
}

void CurlHandlePool::release(CURL* easy, bool connection_closed) {
  if (easy == nullptr) return;
  if (!connection_closed || idle_.size() >= max_idle_ || !reset_for_reuse(easy)) {
    curl_easy_cleanup(easy);
    return;
  }
  idle_.push_back(easy);
}

}  // namespace faultline
