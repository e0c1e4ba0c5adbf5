// closed_port: a port nobody listens on, for "connection refused" tests.
#pragma once

#include <cstdint>

namespace faultline::testing {

// Returns a TCP port on `address` ("127.0.0.1" or "::1") on which nothing listens right now,
// so a connect() there fails with ECONNREFUSED: it binds a socket to port 0, reads the port the
// kernel chose and closes the socket again. The race: between our close and the test's
// connect, another process (or another test running in parallel) may be handed the same
// ephemeral port and listen on it. The kernel hands out ephemeral ports round-robin-ish from a
// range of ~28000, so this is rare enough for tests, never impossible. Throws std::system_error.
std::uint16_t closed_port(const char* address = "127.0.0.1");

// The same for UDP: a port on which nothing receives right now, so a datagram sent there is
// answered by the kernel with ICMP port unreachable (ECONNREFUSED on a connected socket). The
// same race, as rare.
std::uint16_t closed_udp_port(const char* address = "127.0.0.1");

}  // namespace faultline::testing
