// tcp:// and tls:// targets with send/expect against real loopback servers that answer as
// expected, answer something else, close, reset or stay silent: the Redis PING/+PONG kind of
// check, each outcome asserted in the taxonomy.
#include <doctest/doctest.h>

#include <cerrno>
#include <memory>
#include <string>

#include "checks/probe_once.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

std::shared_ptr<ProbeSpec> talk(const LoopbackServer& server, const std::string& send,
                                std::optional<std::string> expect,
                                milliseconds timeout = milliseconds(2000),
                                const std::string& scheme = "tcp") {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url(server.url(scheme, ""));
  spec->timeout = timeout;
  spec->send = send;
  if (expect) spec->expect = *Pattern::compile(*expect, PatternSubject::reply);
  return spec;
}

LoopbackServerOptions replying(std::string reply, AfterReply after = AfterReply::hold) {
  LoopbackServerOptions o;
  o.behavior = Behavior::line_reply;
  o.reply = std::move(reply);
  o.after_reply = after;
  return o;
}

void check_class(const ProbeResult& r, FailureClass cls, Phase phase,
                 const std::string& detail = "") {
  INFO("got " << to_string(r.cls) << "/" << to_string(r.phase) << "/" << detail_text(r) << ": "
              << r.message);
  CHECK(r.cls == cls);
  CHECK(r.phase == phase);
  CHECK(detail_text(r) == detail);
}

}  // namespace

TEST_CASE("tcp send/expect: the expected reply is ok, with what was said and the reply's time") {
  LoopbackServer redis(replying("+PONG\r\n"));
  ProbeResult r = probe_once(talk(redis, "PING\r\n", "^\\+PONG$"));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(redis.last_request() == "PING\r\n");
  REQUIRE(r.exchange);
  CHECK(r.exchange->sent == 6);
  CHECK(r.exchange->received == 7);
  CHECK(r.exchange->reply == "+PONG\r\n");
  CHECK(r.timings.connect_ms);
  CHECK(r.timings.first_byte_ms);
  CHECK(r.message.find("'+PONG\\r\\n'") != std::string::npos);
}

TEST_CASE("tcp send/expect: an unexpected reply is protocol/expect_mismatch, showing the reply") {
  SUBCASE("and the server keeps the connection: the deadline ends the wait") {
    LoopbackServer redis(replying("-NOAUTH Authentication required.\r\n"));
    ProbeResult r = probe_once(talk(redis, "PING\r\n", "^\\+PONG", milliseconds(500)));
    check_class(r, FailureClass::protocol, Phase::response, "expect_mismatch");
    CHECK(r.message.find("'-NOAUTH Authentication required.\\r\\n'") != std::string::npos);
    CHECK(r.message.find("deadline") != std::string::npos);
    CHECK(r.sys_errno == 0);
  }
  SUBCASE("and the server closes") {
    LoopbackServer redis(replying("-ERR unknown command\r\n", AfterReply::close));
    ProbeResult r = probe_once(talk(redis, "PING\r\n", "^\\+PONG"));
    check_class(r, FailureClass::protocol, Phase::response, "expect_mismatch");
    CHECK(r.message.find("closed") != std::string::npos);
    CHECK(*r.timings.total_ms < 1500);
  }
  SUBCASE("and the server resets: the reply decides, the reset stays in errno") {
    LoopbackServer redis(replying("-ERR unknown command\r\n", AfterReply::reset));
    ProbeResult r = probe_once(talk(redis, "PING\r\n", "^\\+PONG"));
    check_class(r, FailureClass::protocol, Phase::response, "expect_mismatch");
    CHECK(r.sys_errno == ECONNRESET);
    CHECK(r.message.find("reset") != std::string::npos);
  }
}

TEST_CASE("tcp send/expect: a close, a reset or silence with nothing said is transport") {
  SUBCASE("closed") {
    LoopbackServer server(replying("", AfterReply::close));
    check_class(probe_once(talk(server, "PING\r\n", "^\\+PONG")), FailureClass::closed,
                Phase::response);
  }
  SUBCASE("reset") {
    LoopbackServer server(replying("", AfterReply::reset));
    ProbeResult r = probe_once(talk(server, "PING\r\n", "^\\+PONG"));
    check_class(r, FailureClass::reset, Phase::response);
    CHECK(r.sys_errno == ECONNRESET);
  }
  SUBCASE("silent until the deadline") {
    LoopbackServer server(Behavior::accept_never_answer);
    ProbeResult r = probe_once(talk(server, "PING\r\n", "^\\+PONG", milliseconds(400)));
    check_class(r, FailureClass::timeout, Phase::response);
    CHECK(*r.timings.total_ms >= 350);
    CHECK(*r.timings.total_ms < 2000);
  }
}

TEST_CASE("tcp expect without send reads a greeting - send without expect only sends") {
  LoopbackServerOptions banner = replying("SSH-2.0-OpenSSH_9.2\r\n");
  banner.greet_first = true;
  LoopbackServer ssh(banner);
  check_class(probe_once(talk(ssh, "", "^SSH-2\\.0-")), FailureClass::ok, Phase::none);
  check_class(probe_once(talk(ssh, "", "^220 ")), FailureClass::protocol, Phase::response,
              "expect_mismatch");

  LoopbackServer sink(Behavior::accept_never_answer);
  ProbeResult r = probe_once(talk(sink, "hello\n", std::nullopt));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.exchange->sent == 6);
}

TEST_CASE("tcp expect: a reply larger than body_limit without a match stops at the limit") {
  LoopbackServer chatty(replying(std::string(8000, 'x')));
  auto spec = talk(chatty, "PING\r\n", "^\\+PONG", milliseconds(3000));
  spec->body_limit = 1000;
  ProbeResult r = probe_once(spec);
  check_class(r, FailureClass::protocol, Phase::response, "expect_mismatch");
  CHECK(r.message.find("1000 bytes") != std::string::npos);
  CHECK(*r.timings.total_ms < 2000);
  CHECK(r.exchange->reply.size() == kReplyExcerptBytes);
}

TEST_CASE("tls send/expect: the conversation runs inside the verified TLS session") {
  const TestPki& pki = shared_test_pki();
  LoopbackServerOptions o = replying("+PONG\r\n");
  o.behavior = Behavior::tls_line_reply;
  o.tls = pki.good.material();
  LoopbackServer server(o);
  auto spec = talk(server, "PING\r\n", "^\\+PONG$", milliseconds(3000), "tls");
  spec->ca_file = pki.ca_path;
  ProbeResult r = probe_once(spec);
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(server.last_request() == "PING\r\n");
  CHECK(r.tls.has_value());
  CHECK(r.timings.tls_ms);

  o.reply = "-ERR\r\n";
  LoopbackServer wrong(o);
  auto mismatch = talk(wrong, "PING\r\n", "^\\+PONG$", milliseconds(600), "tls");
  mismatch->ca_file = pki.ca_path;
  check_class(probe_once(mismatch), FailureClass::protocol, Phase::response, "expect_mismatch");

  // TLS failures stay TLS failures: the conversation never starts.
  LoopbackServerOptions expired = o;
  expired.tls = pki.expired.material();
  LoopbackServer old(expired);
  auto spec_old = talk(old, "PING\r\n", "^\\+PONG$", milliseconds(3000), "tls");
  spec_old->ca_file = pki.ca_path;
  ProbeResult bad = probe_once(spec_old);
  check_class(bad, FailureClass::tls, Phase::tls, "expired");
  CHECK_FALSE(bad.exchange);
}

TEST_CASE("tcp send/expect: a refused connection is still refused") {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url("tcp://127.0.0.1:" + std::to_string(closed_port()));
  spec->send = "PING\r\n";
  spec->expect = *Pattern::compile("PONG", PatternSubject::reply);
  ProbeResult r = probe_once(spec);
  check_class(r, FailureClass::refused, Phase::connect);
  CHECK_FALSE(r.exchange);
}
