#include "checks/target_url.hpp"

#include <doctest/doctest.h>

using namespace faultline;

TEST_CASE("target URLs: default ports and paths") {
  auto u = parse_target_url("https://api.example.com/healthz?full=1");
  REQUIRE(u);
  CHECK(u->scheme == Scheme::https);
  CHECK(u->host == "api.example.com");
  CHECK(u->port == 443);
  CHECK(u->path == "/healthz?full=1");
  CHECK_FALSE(u->host_is_ip);
  CHECK(u->text == "https://api.example.com/healthz?full=1");

  auto h = parse_target_url("http://example.com");
  REQUIRE(h);
  CHECK(h->port == 80);
  CHECK(h->path == "/");
  CHECK(h->text == "http://example.com/");

  auto custom = parse_target_url("http://example.com:8080/x");
  REQUIRE(custom);
  CHECK(custom->port == 8080);
  CHECK(custom->text == "http://example.com:8080/x");
}

TEST_CASE("target URLs: IPv6 literals") {
  auto u = parse_target_url("tls://[::1]:443");
  REQUIRE(u);
  CHECK(u->scheme == Scheme::tls);
  CHECK(u->host == "::1");
  CHECK(u->port == 443);
  CHECK(u->host_is_ip);
  CHECK(u->authority() == "[::1]:443");
  CHECK(u->text == "tls://[::1]:443");

  auto h = parse_target_url("http://[2001:db8::1]/");
  REQUIRE(h);
  CHECK(h->host == "2001:db8::1");
  CHECK(h->port == 80);
  CHECK(h->text == "http://[2001:db8::1]/");
}

TEST_CASE("target URLs: bracket_host brackets IPv6 literals only") {
  CHECK(bracket_host("::1") == "[::1]");
  CHECK(bracket_host("2001:db8::1") == "[2001:db8::1]");
  CHECK(bracket_host("::ffff:127.0.0.1") == "[::ffff:127.0.0.1]");
  CHECK(bracket_host("127.0.0.1") == "127.0.0.1");
  CHECK(bracket_host("api.example.com") == "api.example.com");
  CHECK(bracket_host("") == "");
  auto u = parse_target_url("http://[::1]:8080/");
  REQUIRE(u);
  CHECK(bracket_host(u->host) + ":8080" == u->authority());
}

TEST_CASE("target URLs: tcp and tls need a port and take no path") {
  auto t = parse_target_url("tcp://127.0.0.1:5432");
  REQUIRE(t);
  CHECK(t->scheme == Scheme::tcp);
  CHECK(t->port == 5432);
  CHECK(t->path.empty());
  CHECK(t->host_is_ip);
  CHECK(parse_target_url("tcp://db.internal").error() ==
        "tcp:// targets need a port: tcp://db.internal:PORT");
  CHECK(parse_target_url("tls://[::1]").error() == "tls:// targets need a port: tls://[::1]:PORT");
  CHECK(parse_target_url("tcp://db:5432/x").error() ==
        "tcp:// targets take no path or query; write tcp://host:port");
}

TEST_CASE("target URLs: rejected with a reason") {
  CHECK(parse_target_url("https://user:pw@example.com/").error() ==
        "credentials in the URL are not supported (they would leak into logs, metrics and the "
        "database); send them with `headers:` instead");
  CHECK(parse_target_url("ftp://example.com/").error() ==
        "unsupported scheme 'ftp://'; use http://, https://, tcp://host:port or tls://host:port");
  CHECK(parse_target_url("example.com").error() ==
        "'example.com' has no scheme; use http://, https://, tcp://host:port or tls://host:port");
  CHECK(parse_target_url("http://example.com/#top").error() ==
        "URL fragments ('#...') are never sent to the server; remove it");
  CHECK(parse_target_url("http://example.com:0/").error() == "port 0 cannot be probed");
  CHECK_FALSE(parse_target_url("http://example.com:99999/").has_value());
  CHECK_FALSE(parse_target_url("http://exa mple.com/").has_value());
}

// Found by tests/fuzz (parse_target_url): "http://%35" normalised to "http://5/", which parses
// as a different target, 0.0.0.5.
TEST_CASE("target URLs: a percent-encoded host is rejected, it did not parse back the same") {
  for (const char* url : {"http://%35", "https://exa%6dple.com/", "tcp://host:%32%32"}) {
    auto parsed = parse_target_url(url);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().find("percent-encoded") != std::string::npos);
  }
  CHECK(parse_target_url("http://example.com/a%20b?q=%41"));  // in the path and query: fine
  auto zoned = parse_target_url("http://[fe80::1%25eth0]/");
  REQUIRE_FALSE(zoned);
  CHECK(zoned.error().find("zone") != std::string::npos);
}
