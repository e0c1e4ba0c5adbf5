#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/eventually.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/tcp_client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace std::chrono_literals;
using faultline::testing::Behavior;
using faultline::testing::connect_tcp;
using faultline::testing::eventually;
using faultline::testing::LoopbackServer;
using faultline::testing::shared_test_pki;
using faultline::testing::TestCert;
using faultline::testing::TestPki;
using faultline::testing::UniqueFd;

namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

// What an OpenSSL client saw: the way a probe with tls_verify and ca_file would see it.
struct ClientHandshake {
  bool ok = false;
  long verify_result = X509_V_OK;
  int ssl_error = SSL_ERROR_NONE;
  int sys_errno = 0;
  std::string response;  // after a GET, when asked for
};

// Connects to `port`, trusting only `ca_path` (none: verification off), checking the name
// "localhost", with `timeout` on every read.
ClientHandshake tls_client(std::uint16_t port, const std::optional<std::string>& ca_path,
                           bool send_get = false, std::chrono::milliseconds timeout = 2s) {
  ClientHandshake out;
  auto c = connect_tcp("127.0.0.1", port, 2s);
  REQUIRE(c.fd);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(c.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  REQUIRE(ctx);
  if (ca_path) {
    REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), ca_path->c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), c.fd.get());
  SSL_set_tlsext_host_name(ssl.get(), "localhost");
  SSL_set1_host(ssl.get(), "localhost");
  ERR_clear_error();
  errno = 0;
  int r = SSL_connect(ssl.get());
  out.ok = r == 1;
  out.ssl_error = out.ok ? SSL_ERROR_NONE : SSL_get_error(ssl.get(), r);
  out.sys_errno = errno;
  out.verify_result = SSL_get_verify_result(ssl.get());
  if (out.ok && send_get) {
    const std::string get = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    REQUIRE(SSL_write(ssl.get(), get.data(), static_cast<int>(get.size())) > 0);
    char buffer[4096];
    int n;
    while ((n = SSL_read(ssl.get(), buffer, sizeof buffer)) > 0)
      out.response.append(buffer, n);
  }
  ERR_clear_error();
  return out;
}

LoopbackServer tls_server(const TestCert& cert, Behavior behavior = Behavior::tls_http_ok) {
  return LoopbackServer({.behavior = behavior, .tls = cert.material()});
}

}  // namespace

TEST_CASE("make_test_pki: files exist and not_after is where it was asked to be") {
  const TestPki& pki = shared_test_pki();
  for (const TestCert* c : {&pki.good, &pki.expired, &pki.not_yet_valid, &pki.wrong_name,
                            &pki.expiring_soon, &pki.self_signed}) {
    CHECK(std::filesystem::exists(c->cert_path));
    CHECK(std::filesystem::exists(c->key_path));
  }
  CHECK(std::filesystem::exists(pki.ca_path));
  const std::int64_t now = std::time(nullptr);
  const std::int64_t day = 86400;
  CHECK(std::abs(pki.good.not_after - (now + 30 * day)) < 300);
  CHECK(std::abs(pki.expired.not_after - (now - day)) < 300);
  CHECK(std::abs(pki.expiring_soon.not_after - (now + 5 * day)) < 300);
}

TEST_CASE("make_test_pki: generated once per process, written again for a new folder") {
  faultline::testing::TempDir dir;
  TestPki again = faultline::testing::make_test_pki(dir.path().string());
  CHECK(again.ca_path == dir.file("ca.pem"));
  CHECK(again.good.not_after == shared_test_pki().good.not_after);
  CHECK(std::filesystem::file_size(again.ca_path) ==
        std::filesystem::file_size(shared_test_pki().ca_path));
}

TEST_CASE("LoopbackServer tls_http_ok: a client trusting the test CA completes and gets 200") {
  LoopbackServer server = tls_server(shared_test_pki().good);
  ClientHandshake c = tls_client(server.port(), shared_test_pki().ca_path, true);
  CHECK(c.ok);
  CHECK(c.verify_result == X509_V_OK);
  CHECK(c.response.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(c.response.ends_with("\r\n\r\nok\n"));
  CHECK(server.tls_handshakes() == 1);
}

TEST_CASE("LoopbackServer tls_http_ok: each bad certificate fails verification for its reason") {
  const TestPki& pki = shared_test_pki();
  struct Case {
    const TestCert& cert;
    long expected;
  };
  for (const Case& k : {Case{pki.expired, X509_V_ERR_CERT_HAS_EXPIRED},
                        Case{pki.not_yet_valid, X509_V_ERR_CERT_NOT_YET_VALID},
                        Case{pki.wrong_name, X509_V_ERR_HOSTNAME_MISMATCH},
                        Case{pki.self_signed, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT}}) {
    CAPTURE(k.cert.cert_path);
    LoopbackServer server = tls_server(k.cert);
    ClientHandshake c = tls_client(server.port(), pki.ca_path);
    CHECK_FALSE(c.ok);
    CHECK(c.verify_result == k.expected);
    // The client aborted with an alert; the server counts it and keeps serving.
    ClientHandshake unverified = tls_client(server.port(), std::nullopt);
    CHECK(unverified.ok);
    CHECK(eventually([&] { return server.tls_handshake_failures() == 1; }));
  }
}

TEST_CASE("LoopbackServer tls_http_ok: expiring_soon still verifies") {
  LoopbackServer server = tls_server(shared_test_pki().expiring_soon);
  ClientHandshake c = tls_client(server.port(), shared_test_pki().ca_path);
  CHECK(c.ok);
  CHECK(c.verify_result == X509_V_OK);
}

TEST_CASE("LoopbackServer tls_accept_only: handshake completes, then silence") {
  LoopbackServer server = tls_server(shared_test_pki().good, Behavior::tls_accept_only);
  ClientHandshake c = tls_client(server.port(), shared_test_pki().ca_path, true, 300ms);
  CHECK(c.ok);
  CHECK(c.response.empty());  // the GET went unanswered until the read timeout
  CHECK(eventually([&] { return server.tls_handshakes() == 1; }));
}

TEST_CASE("LoopbackServer rst_after_client_hello: the handshake dies with ECONNRESET") {
  LoopbackServer server(Behavior::rst_after_client_hello);
  ClientHandshake c = tls_client(server.port(), shared_test_pki().ca_path);
  CHECK_FALSE(c.ok);
  CHECK(c.ssl_error == SSL_ERROR_SYSCALL);
  CHECK(c.sys_errno == ECONNRESET);
}

TEST_CASE("LoopbackServer silent_after_client_hello: the handshake never completes") {
  LoopbackServer server(Behavior::silent_after_client_hello);
  ClientHandshake c = tls_client(server.port(), shared_test_pki().ca_path, false, 300ms);
  CHECK_FALSE(c.ok);
  // SO_RCVTIMEO ran out with nothing read; OpenSSL 3 reports that EAGAIN as WANT_READ.
  CHECK(c.ssl_error == SSL_ERROR_WANT_READ);
  CHECK(c.sys_errno == EAGAIN);
}

TEST_CASE("LoopbackServer: TLS behaviours refuse to start without certificates") {
  CHECK_THROWS_AS(LoopbackServer(Behavior::tls_http_ok), std::invalid_argument);
}
