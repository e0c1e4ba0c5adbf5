// The keys of some kinds of target: `expect` read by the target's scheme (records on dns://, a
// regex on tcp:// and tls://), `send`, and every misuse as an error at its file:line:col.
#include "daemon/config_kind_keys.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/config_file.hpp"
#include "daemon/config_loader.hpp"

using namespace faultline;

namespace {

std::vector<std::string> errors_of(const std::string& yaml) {
  std::vector<std::string> out;
  for (const Diagnostic& d : parse_config(yaml, "t.yaml").errors)
    out.push_back(d.to_string());
  return out;
}

std::string error_of(const std::string& yaml) {
  auto errors = errors_of(yaml);
  REQUIRE_MESSAGE(errors.size() == 1, "expected one error, got " << errors.size());
  return errors.front();
}

Config valid(const std::string& yaml) {
  ConfigLoad load = parse_config(yaml, "t.yaml");
  for (const Diagnostic& d : load.errors)
    FAIL_CHECK(d.to_string());
  REQUIRE(load.config.has_value());
  return *load.config;
}

}  // namespace

TEST_CASE("config: dns:// targets with expect, tcp:// and tls:// with send and expect") {
  Config c = valid(
      "targets:\n"
      "  - name: mx\n"
      "    url: dns://192.0.2.53/example.com?type=MX\n"
      "    expect: [\"10 Mail.Example.com.\", 20 backup.example.com]\n"
      "  - name: www\n"
      "    url: dns://192.0.2.53/www.example.com\n"
      "    expect: 192.0.2.10\n"
      "  - name: redis\n"
      "    url: tcp://127.0.0.1:6379\n"
      "    send: 'PING\\r\\n'\n"
      "    expect: '^\\+PONG'\n"
      "  - name: smtp-banner\n"
      "    url: tls://127.0.0.1:465\n"
      "    expect: ^220\n"
      "  - name: plain-dns\n"
      "    url: dns://192.0.2.53/example.com\n");
  REQUIRE(c.targets.size() == 5);
  CHECK(c.targets[0].probe.expect_answer ==
        std::vector<std::string>{"10 mail.example.com", "20 backup.example.com"});
  CHECK_FALSE(c.targets[0].probe.expect);
  CHECK(c.targets[1].probe.expect_answer == std::vector<std::string>{"192.0.2.10"});
  CHECK(c.targets[2].probe.send == "PING\r\n");
  REQUIRE(c.targets[2].probe.expect);
  CHECK(c.targets[2].probe.expect->text() == "^\\+PONG");
  CHECK(c.targets[2].probe.expect_answer.empty());
  CHECK(c.targets[3].probe.send.empty());
  CHECK(c.targets[3].probe.expect->text() == "^220");
  CHECK(c.targets[4].probe.expect_answer.empty());
  // A YAML double-quoted string has its own escapes; the result is the same bytes.
  Config quoted =
      valid("targets:\n  - name: r\n    url: tcp://127.0.0.1:6379\n    send: \"PING\\r\\n\"\n");
  CHECK(quoted.targets[0].probe.send == "PING\r\n");
}

TEST_CASE("config error: send and expect where they do not apply, at the key") {
  CHECK(error_of("targets:\n  - name: web\n    url: http://a/\n    send: x\n") ==
        "t.yaml:4:5: 'send' only applies to tcp:// and tls:// targets, and 'web' is http://");
  CHECK(error_of("targets:\n  - name: ns\n    url: dns://192.0.2.53/a.example\n    send: x\n") ==
        "t.yaml:4:5: 'send' only applies to tcp:// and tls:// targets, and 'ns' is dns://");
  CHECK(error_of("targets:\n  - name: web\n    url: https://a/\n    expect: ok\n") ==
        "t.yaml:4:5: 'expect' only applies to tcp://, tls:// and dns:// targets, and 'web' is "
        "https://");
  // Written before the url: still judged by the url.
  CHECK(error_of("targets:\n  - name: web\n    expect: ok\n    url: https://a/\n") ==
        "t.yaml:3:5: 'expect' only applies to tcp://, tls:// and dns:// targets, and 'web' is "
        "https://");
  CHECK(error_of("targets:\n  - name: ns\n    url: dns://192.0.2.53/a.example\n"
                 "    idle_probe: {ladder: [30s]}\n") ==
        "t.yaml:4:5: 'idle_probe' only applies to http://, https://, tcp:// and tls:// targets, "
        "and 'ns' is dns://");
  CHECK(error_of("targets:\n  - name: ns\n    url: dns://192.0.2.53/a.example\n"
                 "    headers: {X-A: b}\n") ==
        "t.yaml:4:5: 'headers' only applies to http:// and https:// targets, and 'ns' is dns://");
  // Not a default: a kind key in `defaults:` is an unknown key there.
  CHECK(error_of("defaults: {send: x}\ntargets: []\n").find("t.yaml:1:12: unknown key 'send'") ==
        0);
}

TEST_CASE("config error: bad send and expect values, at the value") {
  CHECK(error_of("targets:\n  - name: r\n    url: tcp://127.0.0.1:6379\n    send: 'PING\\q'\n") ==
        "t.yaml:4:11: 'send': unknown escape '\\q'; use \\r, \\n, \\t, \\\\ or \\xNN");
  CHECK(error_of("targets:\n  - name: r\n    url: tcp://127.0.0.1:6379\n    send: 'a\\x4'\n") ==
        "t.yaml:4:11: 'send': unknown escape '\\x4'; use \\r, \\n, \\t, \\\\ or \\xNN");
  CHECK(error_of("targets:\n  - name: r\n    url: tcp://127.0.0.1:6379\n    send: ''\n") ==
        "t.yaml:4:11: 'send' must not be empty");
  CHECK(error_of("targets:\n  - name: r\n    url: tcp://127.0.0.1:6379\n    expect: 'a(b'\n") ==
        "t.yaml:4:13: 'expect': pattern 'a(b' is not a valid regular expression: at character 4, "
        "missing closing parenthesis");
  CHECK(error_of("targets:\n  - name: r\n    url: tcp://127.0.0.1:6379\n    send: [a]\n")
            .starts_with("t.yaml:4:11: "));
}

TEST_CASE("config error: dns expect values that are not records of the URL's type") {
  CHECK(error_of("targets:\n  - name: ns\n    url: dns://192.0.2.53/a.example\n"
                 "    expect: [192.0.2.1, '2001:db8::1']\n") ==
        "t.yaml:4:25: 'expect' (type A): '2001:db8::1' is not an IPv4 address");
  CHECK(error_of("targets:\n  - name: ns\n    url: dns://192.0.2.53/a.example?type=MX\n"
                 "    expect: [mail.example.com]\n") ==
        "t.yaml:4:14: 'expect' (type MX): an MX value is 'PREFERENCE NAME', e.g. '10 "
        "mail.example.com', not 'mail.example.com'");
  CHECK(error_of("targets:\n  - name: ns\n    url: dns://192.0.2.53/a.example\n"
                 "    expect: []\n") ==
        "t.yaml:4:13: 'expect' must list at least one A record, e.g. [192.0.2.1]");
  CHECK(error_of("targets:\n  - name: ns\n    url: dns://192.0.2.53/a.example\n"
                 "    expect: [{a: b}]\n") ==
        "t.yaml:4:14: 'expect' must be a single value, not a mapping");
}

TEST_CASE("config: mail targets, starttls true by default and false where written") {
  Config c = valid(
      "targets:\n"
      "  - name: mx\n"
      "    url: smtp://127.0.0.1\n"
      "  - name: pop\n"
      "    url: pop3://127.0.0.1\n"
      "    starttls: false\n"
      "  - name: imaps\n"
      "    url: imaps://127.0.0.1\n");
  REQUIRE(c.targets.size() == 3);
  CHECK(c.targets[0].probe.url.port == 25);
  CHECK(c.targets[0].probe.starttls);
  CHECK(c.targets[0].probe.negotiates_tls());
  CHECK(c.targets[1].probe.url.port == 110);
  CHECK_FALSE(c.targets[1].probe.starttls);
  CHECK_FALSE(c.targets[1].probe.negotiates_tls());
  CHECK(c.targets[2].probe.url.port == 993);
  CHECK(c.targets[2].probe.negotiates_tls());
}

TEST_CASE("config error: starttls where it does not apply, or not a boolean") {
  CHECK(error_of("targets:\n  - name: s\n    url: smtps://127.0.0.1\n    starttls: true\n") ==
        "t.yaml:4:5: 'starttls' only applies to smtp://, imap:// and pop3:// targets, and 's' "
        "is smtps://");
  CHECK(error_of("targets:\n  - name: t\n    url: tcp://127.0.0.1:25\n    starttls: true\n") ==
        "t.yaml:4:5: 'starttls' only applies to smtp://, imap:// and pop3:// targets, and 't' "
        "is tcp://");
  CHECK(error_of("targets:\n  - name: s\n    url: smtp://127.0.0.1\n    starttls: maybe\n")
            .find("t.yaml:4:15: ") == 0);
  const std::string proxy = error_of(
      "targets:\n  - name: s\n    url: smtp://127.0.0.1\n    proxy: http://127.0.0.1:3128\n");
  CHECK(proxy.find("t.yaml:4:") == 0);
  CHECK(proxy.find("'proxy' only applies to http://, https://, tcp:// and tls:// targets") !=
        std::string::npos);
}
