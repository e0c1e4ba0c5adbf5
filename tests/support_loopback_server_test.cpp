#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>

#include "tests/support/loopback_server.hpp"
#include "tests/support/tcp_client.hpp"

using namespace std::chrono_literals;
using faultline::testing::Behavior;
using faultline::testing::connect_tcp;
using faultline::testing::LoopbackServer;
using faultline::testing::receive_until_end;
using faultline::testing::Received;
using faultline::testing::send_all;
using faultline::testing::UniqueFd;
using Clock = std::chrono::steady_clock;

namespace {

const char* kGet = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
const char* kGetClose = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

UniqueFd connect_to(const LoopbackServer& server, const std::string& ip = "127.0.0.1") {
  auto c = connect_tcp(ip, server.port(), 2s);
  REQUIRE_MESSAGE(c.fd, "connect failed: errno " << c.error << (c.timed_out ? " (timeout)" : ""));
  return std::move(c.fd);
}

// Sends one request and reads until the server ends the connection (or 2 s of silence).
Received exchange(const LoopbackServer& server, const char* request,
                  std::chrono::milliseconds silence = 2s) {
  UniqueFd fd = connect_to(server);
  REQUIRE(send_all(fd.get(), request) == 0);
  return receive_until_end(fd.get(), silence);
}

// Reads exactly one response with a Content-Length body from a kept-alive connection.
std::string read_response(int fd) {
  std::string got;
  for (;;) {
    auto head_end = got.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      auto cl = got.find("Content-Length: ");
      REQUIRE(cl != std::string::npos);
      std::size_t length = std::stoul(got.substr(cl + 16));
      if (got.size() >= head_end + 4 + length) return got;
    }
    Received more = receive_until_end(fd, 2s, got.size() + 1);
    REQUIRE_MESSAGE(!more.data.empty(), "connection ended after: " << got);
    got += more.data;
  }
}

// Destroys the server and returns how long that took.
Clock::duration destroy(std::optional<LoopbackServer>& server) {
  auto start = Clock::now();
  server.reset();
  return Clock::now() - start;
}

}  // namespace

TEST_CASE("LoopbackServer http_ok: 200 with a body, keep-alive, then Connection: close") {
  LoopbackServer server(Behavior::http_ok);
  UniqueFd fd = connect_to(server);
  REQUIRE(send_all(fd.get(), kGet) == 0);
  std::string first = read_response(fd.get());
  CHECK(first.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(first.find("Content-Length: 3\r\n") != std::string::npos);
  CHECK(first.ends_with("\r\n\r\nok\n"));
  CHECK(first.find("Connection: close") == std::string::npos);

  // The same connection serves a second request and then honours Connection: close.
  REQUIRE(send_all(fd.get(), kGetClose) == 0);
  Received second = receive_until_end(fd.get(), 2s);
  CHECK(second.data.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(second.data.find("Connection: close\r\n") != std::string::npos);
  CHECK(second.eof);
  CHECK(server.connections() == 1);
  CHECK(server.requests() == 2);
  CHECK(server.last_request() == kGetClose);
}

TEST_CASE("LoopbackServer http_ok: a request body is skipped, not taken for a request") {
  LoopbackServer server(Behavior::http_ok);
  Received r = exchange(server,
                        "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                        "HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK(r.eof);
  CHECK(server.requests() == 2);
  // Two heads, one body: HEAD gets the length but no body.
  CHECK(r.data.ends_with("Content-Length: 3\r\nConnection: close\r\n\r\n"));
}

TEST_CASE("LoopbackServer http_status: the configured code") {
  LoopbackServer server({.behavior = Behavior::http_status, .status = 503});
  Received r = exchange(server, kGetClose);
  CHECK(r.data.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
  CHECK(r.eof);
}

TEST_CASE("LoopbackServer rst_after_request: recv fails with ECONNRESET, nothing sent") {
  LoopbackServer server(Behavior::rst_after_request);
  Received r = exchange(server, kGet);
  CHECK(r.data.empty());
  CHECK(r.error == ECONNRESET);
  CHECK(server.requests() == 1);
}

TEST_CASE("LoopbackServer rst_mid_body: a head and part of the body, then ECONNRESET") {
  LoopbackServer server(Behavior::rst_mid_body);
  Received r = exchange(server, kGet);
  // Linux hands over the bytes that arrived before the RST, then reports the reset.
  CHECK(r.data.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(r.data.find("Content-Length: 100000\r\n") != std::string::npos);
  CHECK(r.data.size() < 100000);
  CHECK(r.error == ECONNRESET);
}

TEST_CASE("LoopbackServer close_without_reply: recv returns 0 with nothing sent") {
  LoopbackServer server(Behavior::close_without_reply);
  Received r = exchange(server, kGet);
  CHECK(r.data.empty());
  CHECK(r.eof);
  CHECK(r.error == 0);
}

TEST_CASE("LoopbackServer close_mid_body: a short body, then FIN") {
  LoopbackServer server(Behavior::close_mid_body);
  Received r = exchange(server, kGet);
  auto head_end = r.data.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  CHECK(r.data.find("Content-Length: 100000\r\n") != std::string::npos);
  CHECK(r.data.size() - (head_end + 4) == 4096);
  CHECK(r.eof);
}

TEST_CASE("LoopbackServer garbage: non-HTTP bytes, then FIN") {
  LoopbackServer server(Behavior::garbage);
  Received r = exchange(server, kGet);
  CHECK(r.data == "SSH-2.0-OpenSSH_9.2\r\n");
  CHECK(r.eof);
}

TEST_CASE("LoopbackServer accept_never_answer: silence, and the destructor does not wait") {
  std::optional<LoopbackServer> server(Behavior::accept_never_answer);
  UniqueFd fd = connect_to(*server);
  REQUIRE(send_all(fd.get(), kGet) == 0);
  Received r = receive_until_end(fd.get(), 300ms);
  CHECK(r.timed_out);
  CHECK(r.data.empty());
  CHECK(server->wait_for_connections(1, 2s));
  // The client is still connected; destruction must not wait for it.
  CHECK(destroy(server) < 2s);
}

TEST_CASE("LoopbackServer tcp_accept_hold: accepted, held, silent") {
  LoopbackServer server(Behavior::tcp_accept_hold);
  UniqueFd fd = connect_to(server);
  CHECK(server.wait_for_connections(1, 2s));
  Received r = receive_until_end(fd.get(), 200ms);
  CHECK(r.timed_out);
  CHECK(r.data.empty());
}

TEST_CASE("LoopbackServer slow_body: a head, then a byte per interval") {
  LoopbackServer server({.behavior = Behavior::slow_body, .slow_body_interval = 20ms});
  UniqueFd fd = connect_to(server);
  REQUIRE(send_all(fd.get(), kGet) == 0);
  std::string got;
  auto start = Clock::now();
  while (Clock::now() - start < 500ms)
    got += receive_until_end(fd.get(), 100ms, 1).data;
  auto head_end = got.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  std::size_t body = got.size() - (head_end + 4);
  // ~25 bytes are due in 500 ms; the bounds only say "trickling", not how fast.
  CHECK(body >= 2);
  CHECK(body <= 100);
}

TEST_CASE("LoopbackServer endless_body: no length, and more body than anyone wants") {
  std::optional<LoopbackServer> server(Behavior::endless_body);
  UniqueFd fd = connect_to(*server);
  REQUIRE(send_all(fd.get(), kGet) == 0);
  Received r = receive_until_end(fd.get(), 2s, std::size_t{4} << 20);
  CHECK(r.data.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(r.data.find("Content-Length") == std::string::npos);
  CHECK(r.data.size() >= std::size_t{4} << 20);
  CHECK_FALSE(r.eof);
  // Mid-stream, with the client not reading: destruction must still be prompt.
  CHECK(destroy(server) < 2s);
}

TEST_CASE("LoopbackServer keep_alive_idle_timeout: an idle connection gets a FIN") {
  LoopbackServer server({.behavior = Behavior::http_ok, .keep_alive_idle_timeout = 200ms});
  UniqueFd fd = connect_to(server);
  REQUIRE(send_all(fd.get(), kGet) == 0);
  read_response(fd.get());
  auto start = Clock::now();
  Received r = receive_until_end(fd.get(), 5s);
  CHECK(r.eof);
  CHECK(r.data.empty());
  CHECK(Clock::now() - start >= 150ms);
}

TEST_CASE("LoopbackServer: listens on ::1 when asked") {
  LoopbackServer server({.behavior = Behavior::http_ok, .bind_address = "::1"});
  CHECK(server.url("http", "/x") == "http://[::1]:" + std::to_string(server.port()) + "/x");
  UniqueFd fd = connect_to(server, "::1");
  REQUIRE(send_all(fd.get(), kGetClose) == 0);
  Received r = receive_until_end(fd.get(), 2s);
  CHECK(r.data.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(r.eof);
}

TEST_CASE("LoopbackServer: counts every connection") {
  LoopbackServer server(Behavior::close_without_reply);
  for (int i = 0; i < 5; ++i)
    exchange(server, kGet);
  CHECK(server.wait_for_connections(5, 2s));
  CHECK(server.connections() == 5);
  CHECK(server.requests() == 5);
}
