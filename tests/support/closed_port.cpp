#include "tests/support/closed_port.hpp"

#include <sys/socket.h>

#include "tests/support/socket_address.hpp"

namespace faultline::testing {

std::uint16_t closed_port(const char* address) {
  // Bound but never listening, so closing it leaves no TIME_WAIT state behind that could make
  // the kernel answer anything but RST.
  UniqueFd fd = bind_socket(address, 0, SOCK_STREAM);
  return local_port(fd.get());
}

std::uint16_t closed_udp_port(const char* address) {
  UniqueFd fd = bind_socket(address, 0, SOCK_DGRAM);
  return local_port(fd.get());
}

}  // namespace faultline::testing
