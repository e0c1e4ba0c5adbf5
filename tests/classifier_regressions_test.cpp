// Regression tests for classifier bugs found by the hostile-server, local-fault and fuzz tests,
// each named after the failure it pins, on the facts alone (no sockets).
#include <doctest/doctest.h>
#include <uv.h>

#include <cerrno>
#include <string>

#include "checks/dns_classifier.hpp"
#include "checks/http_classifier.hpp"
#include "checks/transfer_classifier.hpp"

using namespace faultline;

namespace {

TransferFacts connected_http_facts() {
  TransferFacts f;
  f.socket_opened = true;
  f.tcp_connected = true;
  SocketSnapshot s;
  s.end = SocketEnd::open;
  f.socket = s;
  f.connect_us = 100;
  f.pretransfer_us = 200;
  f.request_size = 80;
  return f;
}

ProbeSpec spec_for(const char* url) {
  ProbeSpec spec;
  spec.url = *parse_target_url(url);
  return spec;
}

}  // namespace

TEST_CASE("regression: a response header line over 100 KiB was local, libcurl's 'out of memory'") {
  TransferFacts f = connected_http_facts();
  f.code = CURLE_OUT_OF_MEMORY;
  f.socket->bytes_received = 131'097;
  Verdict v = classify_transfer(f, spec_for("http://127.0.0.1:80/"), "127.0.0.1:80", 0);
  CHECK(v.cls == FailureClass::http);
  CHECK(v.detail == Detail::malformed);
  CHECK(v.phase == Phase::response);
  // A real out-of-memory before much arrived stays this host's failure.
  f.socket->bytes_received = 300;
  CHECK(classify_transfer(f, spec_for("http://127.0.0.1:80/"), "127.0.0.1:80", 0).cls ==
        FailureClass::local);
}

TEST_CASE("regression: a non-HTTP reply followed by a reset was reset, not http/malformed") {
  TransferFacts f = connected_http_facts();
  f.code = CURLE_WEIRD_SERVER_REPLY;
  f.socket->end = SocketEnd::peer_reset;  // our close_notify bounced off a server that had left
  Verdict v = classify_transfer(f, spec_for("http://127.0.0.1:80/"), "127.0.0.1:80", 0);
  CHECK(v.cls == FailureClass::http);
  CHECK(v.detail == Detail::malformed);
}

TEST_CASE("regression: garbage instead of TLS records after the handshake was reset") {
  TransferFacts f = connected_http_facts();
  f.code = CURLE_RECV_ERROR;
  f.appconnect_us = 150;
  f.tls.handshake_done = true;
  f.tls.alert_sent = 10;  // unexpected_message
  f.socket->end = SocketEnd::peer_reset;
  Verdict v = classify_transfer(f, spec_for("https://localhost:443/"), "127.0.0.1:443", 0);
  CHECK(v.cls == FailureClass::http);
  CHECK(v.detail == Detail::malformed);
  CHECK(v.message.find("not valid TLS") != std::string::npos);
}

TEST_CASE("regression: a missing or broken ca_file was tls/handshake, blaming the server") {
  TransferFacts f = connected_http_facts();
  f.code = CURLE_SSL_CACERT_BADFILE;
  f.error_text = "error setting certificate file: /etc/faultline/ca.pem";
  ProbeSpec spec = spec_for("https://localhost:443/");
  spec.ca_file = "/etc/faultline/ca.pem";
  Verdict v = classify_transfer(f, spec, "127.0.0.1:443", 0);
  CHECK(v.cls == FailureClass::local);
  CHECK(v.phase == Phase::tls);
  CHECK(v.message.find("/etc/faultline/ca.pem") != std::string::npos);
}

TEST_CASE("regression: running out of descriptors during a lookup was dns/temporary") {
  for (int status : {UV_EMFILE, UV_ENFILE, UV_ENOBUFS}) {
    Verdict v = classify_dns_error(status, "example.com");
    CHECK(v.cls == FailureClass::local);
    CHECK(v.phase == Phase::dns);
    CHECK(v.detail == Detail::none);
  }
}

// Found by tests/local_faults_test.cpp: out of descriptors, glibc cannot open /etc/hosts and
// says the name does not exist; the engine then reports the shortage instead.
TEST_CASE("regression: a lookup failed by a descriptor shortage was dns/nxdomain") {
  Verdict v = dns_without_descriptors(UV_EAI_NONAME, "localhost");
  CHECK(v.cls == FailureClass::local);
  CHECK(v.phase == Phase::dns);
  CHECK(v.detail == Detail::none);
  CHECK(v.sys_errno == EMFILE);
  CHECK(v.message.find("'localhost'") != std::string::npos);
  CHECK(v.message.find("file descriptors") != std::string::npos);
}

// Found by tests/fuzz (classify_transfer): the status code is the detail, and 0 is none.
TEST_CASE("regression: a finished exchange without a status code was http/0") {
  TransferFacts f = connected_http_facts();
  f.code = CURLE_OK;
  f.http_status = 0;
  Verdict v = classify_transfer(f, spec_for("http://127.0.0.1:80/"), "127.0.0.1:80", 0);
  CHECK(v.cls == FailureClass::http);
  CHECK(v.detail == Detail::malformed);
}
