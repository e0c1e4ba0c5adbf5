#include "checks/address_lookup.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <array>

namespace faultline {

struct AddressLookup::Request {
  uv_getaddrinfo_t req{};
  Done done;
  AddressLookup* owner = nullptr;
};

namespace {

std::vector<std::string> numeric_addresses(const addrinfo* res) {
  std::vector<std::string> out;
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    std::array<char, INET6_ADDRSTRLEN> buf{};
    if (ai->ai_family == AF_INET) {
      uv_ip4_name(reinterpret_cast<const sockaddr_in*>(ai->ai_addr), buf.data(), buf.size());
    } else if (ai->ai_family == AF_INET6) {
      uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(ai->ai_addr), buf.data(), buf.size());
    }
    if (buf[0] != '\0') out.emplace_back(buf.data());
  }
  return out;
}

}  // namespace

AddressLookup::~AddressLookup() {
  if (request_ != nullptr) {
    request_->done = nullptr;
    request_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&request_->req));
  }
}

int AddressLookup::start(uv_loop_t* loop, const std::string& host, Done done) {
  auto* request = new Request;
  request->req.data = request;
  request->done = std::move(done);
  request->owner = this;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  const int rc = uv_getaddrinfo(
      loop, &request->req,
      [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
        auto* r = static_cast<Request*>(req->data);
        std::vector<std::string> addresses = numeric_addresses(res);
        if (res != nullptr) uv_freeaddrinfo(res);
        Done done = std::move(r->done);
        if (r->owner != nullptr) r->owner->request_ = nullptr;
        delete r;
        if (done) done(status, std::move(addresses));
      },
      host.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete request;
    return rc;
  }
  request_ = request;
  return 0;
}

}  // namespace faultline
