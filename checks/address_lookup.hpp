// A name looked up through the system resolver (getaddrinfo in libuv's thread pool) on behalf
// of an owner that may go away first: libuv cannot stop a lookup a pool thread is running, so
// the request owns itself and an abandoned one is merely detached.
#pragma once

#include <uv.h>

#include <functional>
#include <string>
#include <vector>

namespace faultline {

class AddressLookup {
 public:
  // `status` is 0 or libuv's getaddrinfo error (UV_EAI_NONAME, ...; see dns_classifier.hpp);
  // `addresses` the numeric IPv4 and IPv6 addresses found, in the resolver's order.
  using Done = std::function<void(int status, std::vector<std::string> addresses)>;

  AddressLookup() = default;
  // Detaches a running lookup: `done` is not called.
  ~AddressLookup();
  AddressLookup(const AddressLookup&) = delete;
  AddressLookup& operator=(const AddressLookup&) = delete;

  // Starts resolving `host` on `loop`. Returns 0, after which `done` is called once from a loop
  // callback; or libuv's error when the lookup could not start, and `done` is never called.
  int start(uv_loop_t* loop, const std::string& host, Done done);

 private:
  struct Request;
  Request* request_ = nullptr;
};

}  // namespace faultline
