// smtp(s)://, imap(s):// and pop3(s):// targets against real loopback mail servers
// (tests/support/mail_server): STARTTLS offered or not, implicit TLS, good, expired, untrusted
// and wrong-name certificates, greetings that refuse or belong to another protocol, silent and
// closing servers, each outcome asserted in the taxonomy.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "tests/probe_checks.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/mail_server.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kTimeout{3000};

struct Protocol {
  MailProtocol protocol;
  const char* plain;     // "smtp"
  const char* implicit;  // "smtps"
  const char* command;   // "STARTTLS"
};

constexpr Protocol kProtocols[] = {
    {MailProtocol::smtp, "smtp", "smtps", "STARTTLS"},
    {MailProtocol::imap, "imap", "imaps", "STARTTLS"},
    {MailProtocol::pop3, "pop3", "pop3s", "STLS"},
};

MailServerOptions serving(MailProtocol protocol, const TestCert& cert, bool offer = true) {
  MailServerOptions o;
  o.protocol = protocol;
  o.offer_starttls = offer;
  o.tls = cert.material();
  return o;
}

std::shared_ptr<ProbeSpec> mail_spec(const std::string& url) {
  auto spec = probe_spec_for(url, kTimeout);
  spec->ca_file = shared_test_pki().ca_path;
  return spec;
}

// Whether the server saw a command that is `word` or ends in " word" (IMAP's tag first).
bool saw(const MailServer& server, const std::string& word) {
  const std::vector<std::string> commands = server.commands();
  return std::any_of(commands.begin(), commands.end(), [&](const std::string& c) {
    return c == word || (c.size() > word.size() && c.ends_with(" " + word));
  });
}

}  // namespace

TEST_CASE("mail: STARTTLS offered is used and verified and the certificate facts reported") {
  const TestPki& pki = shared_test_pki();
  for (const Protocol& p : kProtocols) {
    CAPTURE(p.plain);
    MailServer server(serving(p.protocol, pki.good));
    ProbeResult r = probe(mail_spec(server.url(p.plain)));
    check_class(r, FailureClass::ok, Phase::none);
    CHECK(saw(server, p.command));
    CHECK(server.tls_handshakes() == 1);
    REQUIRE(r.tls);
    CHECK(r.tls->not_after == pki.good.not_after);
    CHECK(r.message.find(p.command) != std::string::npos);
    CHECK(r.timings.connect_ms.has_value());
    CHECK(r.timings.tls_ms.has_value());
  }
}

TEST_CASE("mail: a server that does not offer STARTTLS is protocol/no_starttls") {
  const TestPki& pki = shared_test_pki();
  for (const Protocol& p : kProtocols) {
    CAPTURE(p.plain);
    MailServer server(serving(p.protocol, pki.good, /*offer=*/false));
    ProbeResult r = probe(mail_spec(server.url(p.plain)));
    check_class(r, FailureClass::protocol, Phase::response, "no_starttls");
    CHECK(r.message.find("does not offer " + std::string(p.command)) != std::string::npos);
    CHECK_FALSE(saw(server, p.command));
    CHECK(server.tls_handshakes() == 0);
  }
}

TEST_CASE("mail: starttls false probes the greeting and capabilities in clear") {
  const TestPki& pki = shared_test_pki();
  for (const Protocol& p : kProtocols) {
    CAPTURE(p.plain);
    MailServer server(serving(p.protocol, pki.good));
    auto spec = mail_spec(server.url(p.plain));
    spec->starttls = false;
    ProbeResult r = probe(spec);
    check_class(r, FailureClass::ok, Phase::none);
    CHECK_FALSE(r.tls);
    CHECK_FALSE(saw(server, p.command));
    CHECK(server.tls_handshakes() == 0);
  }
}

TEST_CASE("mail: implicit TLS (smtps or imaps or pop3s) handshakes first and then greets") {
  const TestPki& pki = shared_test_pki();
  for (const Protocol& p : kProtocols) {
    CAPTURE(p.implicit);
    MailServerOptions o = serving(p.protocol, pki.good, /*offer=*/false);
    o.implicit_tls = true;
    MailServer server(o);
    ProbeResult r = probe(mail_spec(server.url(p.implicit)));
    check_class(r, FailureClass::ok, Phase::none);
    REQUIRE(r.tls);
    CHECK(r.tls->not_after == pki.good.not_after);
    CHECK(server.tls_handshakes() == 1);
    CHECK_FALSE(saw(server, p.command));
  }
}

TEST_CASE("mail: certificate failures after STARTTLS are tls failures") {
  const TestPki& pki = shared_test_pki();
  struct Row {
    const TestCert* cert;
    const char* detail;
  };
  const Row rows[] = {{&pki.expired, "expired"},
                      {&pki.self_signed, "untrusted"},
                      {&pki.wrong_name, "hostname_mismatch"}};
  for (const Protocol& p : kProtocols) {
    for (const Row& row : rows) {
      CAPTURE(p.plain);
      CAPTURE(row.detail);
      MailServer server(serving(p.protocol, *row.cert));
      ProbeResult r = probe(mail_spec(server.url(p.plain)));
      check_class(r, FailureClass::tls, Phase::tls, row.detail);
      CHECK(saw(server, p.command));
    }
  }
}

TEST_CASE("mail: an expired certificate on implicit TLS is tls/expired") {
  MailServerOptions o = serving(MailProtocol::smtp, shared_test_pki().expired, false);
  o.implicit_tls = true;
  MailServer server(o);
  ProbeResult r = probe(mail_spec(server.url("smtps")));
  check_class(r, FailureClass::tls, Phase::tls, "expired");
}

TEST_CASE("mail: a greeting of another protocol is protocol/unexpected_reply at once") {
  for (const Protocol& p : kProtocols) {
    CAPTURE(p.plain);
    MailServerOptions o = serving(p.protocol, shared_test_pki().good);
    o.greeting = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
    MailServer server(o);
    ProbeResult r = probe(mail_spec(server.url(p.plain)));
    check_class(r, FailureClass::protocol, Phase::response, "unexpected_reply");
    CHECK(r.message.find("'SSH-2.0-OpenSSH_9.2p1 Debian-2'") != std::string::npos);
    // Not the deadline: the first line decided it.
    REQUIRE(r.timings.total_ms);
    CHECK(*r.timings.total_ms < kTimeout.count() / 2);
  }
}

TEST_CASE("mail: a refusing greeting (554 or BYE or -ERR) is protocol/unexpected_reply") {
  const std::pair<MailProtocol, std::string> rows[] = {
      {MailProtocol::smtp, "554 5.3.2 no service here"},
      {MailProtocol::imap, "* BYE too busy, come back later"},
      {MailProtocol::pop3, "-ERR too busy, come back later"},
  };
  const char* schemes[] = {"smtp", "imap", "pop3"};
  for (std::size_t i = 0; i < std::size(rows); ++i) {
    CAPTURE(schemes[i]);
    MailServerOptions o = serving(rows[i].first, shared_test_pki().good);
    o.greeting = rows[i].second + "\r\n";
    MailServer server(o);
    ProbeResult r = probe(mail_spec(server.url(schemes[i])));
    check_class(r, FailureClass::protocol, Phase::response, "unexpected_reply");
    CHECK(r.message.find("'" + rows[i].second + "'") != std::string::npos);
  }
}

TEST_CASE("mail: a long greeting line is quoted to 80 characters") {
  MailServerOptions o = serving(MailProtocol::smtp, shared_test_pki().good);
  const std::string line = "554 " + std::string(200, 'x');
  o.greeting = line + "\r\n";
  MailServer server(o);
  ProbeResult r = probe(mail_spec(server.url("smtp")));
  check_class(r, FailureClass::protocol, Phase::response, "unexpected_reply");
  CHECK(r.message.find("'" + line.substr(0, 80) + "'") != std::string::npos);
  CHECK(r.message.find(line.substr(0, 81)) == std::string::npos);
}

TEST_CASE("mail: refused or silent or closing servers are classified as any TCP connection") {
  SUBCASE("refused") {
    ProbeResult r = probe(mail_spec("smtp://127.0.0.1:" + std::to_string(closed_port())));
    check_class(r, FailureClass::refused, Phase::connect);
  }
  SUBCASE("accepts and never greets") {
    LoopbackServer silent(Behavior::tcp_accept_hold);
    auto spec = mail_spec(silent.url("imap", ""));
    spec->timeout = milliseconds(800);
    ProbeResult r = probe(spec);
    check_class(r, FailureClass::timeout, Phase::response);
    CHECK(r.message.find("no greeting") != std::string::npos);
  }
  SUBCASE("closes without a greeting") {
    LoopbackServerOptions o;
    o.behavior = Behavior::line_reply;
    o.greet_first = true;
    o.reply = "";
    o.after_reply = AfterReply::close;
    LoopbackServer closing(o);
    ProbeResult r = probe(mail_spec(closing.url("pop3", "")));
    check_class(r, FailureClass::closed, Phase::response);
  }
  SUBCASE("resets without a greeting") {
    LoopbackServerOptions o;
    o.behavior = Behavior::line_reply;
    o.greet_first = true;
    o.reply = "";
    o.after_reply = AfterReply::reset;
    LoopbackServer resetting(o);
    ProbeResult r = probe(mail_spec(resetting.url("smtp", "")));
    check_class(r, FailureClass::reset, Phase::response);
  }
}
