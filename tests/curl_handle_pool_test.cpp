// The easy-handle pool must never hand out a handle that could carry state from an earlier
// probe: libcurl 7.88 keeps CURLINFO_OS_ERRNO across transfers on one handle, and the
// classifiers read it.
#include "checks/curl_handle_pool.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "tests/support/closed_port.hpp"
#include "tests/support/loopback_server.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

// One transfer on `easy` the way the engine runs them: nothing kept for reuse afterwards.
CURLcode fetch(CURL* easy, const std::string& url) {
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 2000L);
  return curl_easy_perform(easy);
}

long os_errno(CURL* easy) {
  long e = 0;
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &e);
  return e;
}

}  // namespace

TEST_CASE("handle pool: a handle whose transfer left an errno is destroyed, not reused") {
  CurlHandlePool pool;
  CURL* easy = pool.acquire();
  REQUIRE(easy != nullptr);
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  CHECK(fetch(easy, refused) == CURLE_COULDNT_CONNECT);
  REQUIRE(os_errno(easy) == ECONNREFUSED);
  pool.release(easy, true);
  CHECK(pool.idle() == 0);
}

TEST_CASE("handle pool: a clean handle is reused with its options reset and no errno") {
  LoopbackServer server(Behavior::http_ok);
  CurlHandlePool pool;
  CURL* easy = pool.acquire();
  REQUIRE(easy != nullptr);
  REQUIRE(fetch(easy, server.url()) == CURLE_OK);
  pool.release(easy, true);
  REQUIRE(pool.idle() == 1);
  CURL* again = pool.acquire();
  CHECK(again == easy);
  CHECK(pool.idle() == 0);
  CHECK(os_errno(again) == 0);
  long status = -1;
  curl_easy_getinfo(again, CURLINFO_RESPONSE_CODE, &status);
  CHECK(status == 0);
  pool.release(again, true);
}

TEST_CASE("handle pool: a handle that may still hold a connection is destroyed") {
  LoopbackServer server(Behavior::http_ok);
  CurlHandlePool pool;
  CURL* easy = pool.acquire();
  REQUIRE(fetch(easy, server.url()) == CURLE_OK);
  pool.release(easy, false);
  CHECK(pool.idle() == 0);
}

TEST_CASE("handle pool: keeps at most max_idle handles") {
  CurlHandlePool pool(2);
  CURL* a = pool.acquire();
  CURL* b = pool.acquire();
  CURL* c = pool.acquire();
  pool.release(a, true);
  pool.release(b, true);
  pool.release(c, true);
  CHECK(pool.idle() == 2);
}
