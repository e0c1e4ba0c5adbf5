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
        "unsupported scheme 'ftp://'; use http://, https://, tcp://host:port, tls://host:port, "
        "dns://SERVER/NAME, icmp://host, smtp://host, smtps://host, imap://host, imaps://host, "
        "pop3://host, pop3s://host, "
        "grpc://host:port or grpcs://host:port");
  CHECK(parse_target_url("example.com").error() ==
        "'example.com' has no scheme; use http://, https://, tcp://host:port, tls://host:port, "
        "dns://SERVER/NAME, icmp://host, smtp://host, smtps://host, imap://host, imaps://host, "
        "pop3://host, pop3s://host, "
        "grpc://host:port or grpcs://host:port");
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

TEST_CASE("target URLs: dns://SERVER[:PORT]/NAME?type=TYPE") {
  auto u = parse_target_url("dns://192.0.2.53/Example.COM.");
  REQUIRE(u);
  CHECK(u->scheme == Scheme::dns);
  CHECK(u->host == "192.0.2.53");
  CHECK(u->port == 53);
  CHECK(u->dns_name == "example.com");
  CHECK(u->dns_type == DnsType::a);
  CHECK(u->path.empty());
  CHECK(u->text == "dns://192.0.2.53/example.com");
  CHECK_FALSE(u->uses_tls());
  CHECK_FALSE(u->is_http());

  auto mx = parse_target_url("dns://[::1]:5353/example.com?type=mx");
  REQUIRE(mx);
  CHECK(mx->host == "::1");
  CHECK(mx->port == 5353);
  CHECK(mx->dns_type == DnsType::mx);
  CHECK(mx->text == "dns://[::1]:5353/example.com?type=MX");
  // The default type and port are left out of the normalised text, which parses back the same.
  auto a = parse_target_url("dns://ns1.example.net:53/www.example.com?type=A");
  REQUIRE(a);
  CHECK(a->text == "dns://ns1.example.net/www.example.com");
  CHECK(*parse_target_url(a->text) == *a);
  CHECK(*parse_target_url(mx->text) == *mx);

  CHECK(parse_target_url("dns://192.0.2.53").error() ==
        "dns:// targets name what to ask for: dns://192.0.2.53/NAME?type=TYPE");
  CHECK(parse_target_url("dns://192.0.2.53/").error() ==
        "dns:// targets name what to ask for: dns://192.0.2.53/NAME?type=TYPE");
  CHECK(parse_target_url("dns://192.0.2.53/example.com?type=PTR").error() ==
        "unknown DNS record type 'PTR'; use one of A|AAAA|CNAME|MX|TXT|NS|SOA");
  CHECK(parse_target_url("dns://192.0.2.53/example.com?class=IN").error() ==
        "dns:// targets take only ?type=A|AAAA|CNAME|MX|TXT|NS|SOA after the name, not "
        "'?class=IN'");
  CHECK(parse_target_url("dns://192.0.2.53/a/b").error().find("one name") != std::string::npos);
  CHECK(parse_target_url("dns://192.0.2.53/a..b").error().find("not a domain name") !=
        std::string::npos);
}

TEST_CASE("target URLs: icmp, mail and grpc URLs parse by their rows' rules") {
  auto icmp = parse_target_url("icmp://[2001:db8::1]");
  REQUIRE(icmp);
  CHECK(icmp->scheme == Scheme::icmp);
  CHECK(icmp->port == 0);
  CHECK(icmp->text == "icmp://[2001:db8::1]");
  CHECK(parse_target_url("icmp://host:7").error() ==
        "icmp:// targets take no port; write icmp://host");
  CHECK(parse_target_url("icmp://host/x").error() ==
        "icmp:// targets take no path or query; write icmp://host");

  struct Mail {
    const char* url;
    Scheme scheme;
    std::uint16_t port;
    bool tls;
  };
  for (const Mail& m : {Mail{"smtp://m.example", Scheme::smtp, 25, false},
                        Mail{"smtps://m.example", Scheme::smtps, 465, true},
                        Mail{"imap://m.example", Scheme::imap, 143, false},
                        Mail{"imaps://m.example", Scheme::imaps, 993, true},
                        Mail{"pop3://m.example", Scheme::pop3, 110, false},
                        Mail{"pop3s://m.example", Scheme::pop3s, 995, true}}) {
    CAPTURE(m.url);
    auto u = parse_target_url(m.url, SchemeUse::any);
    REQUIRE(u);
    CHECK(u->scheme == m.scheme);
    CHECK(u->port == m.port);
    CHECK(u->uses_tls() == m.tls);
    CHECK(u->text == m.url);
  }
  CHECK(parse_target_url("smtp://m.example:2525", SchemeUse::any)->text == "smtp://m.example:2525");
  CHECK(parse_target_url("smtp://m.example/x", SchemeUse::any).error() ==
        "smtp:// targets take no path or query; write smtp://host");

  auto grpc = parse_target_url("grpcs://api.example.com:443/my.pkg.Service", SchemeUse::any);
  REQUIRE(grpc);
  CHECK(grpc->path == "/my.pkg.Service");
  CHECK(grpc->uses_tls());
  CHECK(grpc->text == "grpcs://api.example.com:443/my.pkg.Service");
  CHECK(parse_target_url("grpc://api.example.com:50051")->path.empty());
  CHECK(parse_target_url("grpcs://api.example.com:443/my.pkg.Service")->scheme == Scheme::grpcs);
  CHECK(parse_target_url("grpc://api.example.com", SchemeUse::any).error() ==
        "grpc:// targets need a port: grpc://api.example.com:PORT");
  CHECK(parse_target_url("grpc://api:1/a/b", SchemeUse::any).error() ==
        "grpc:// targets take at most a service name after the port: grpc://host:port/SERVICE");
}

TEST_CASE("target URLs: every scheme's name is its to_string, the kind in storage") {
  for (const SchemeRow& row : kSchemes) {
    CHECK(to_string(row.scheme) == row.name);
    CHECK(&scheme_row(row.scheme) == &row);
  }
}

TEST_CASE("target URLs: the mail schemes are accepted, with their default ports") {
  const std::pair<const char*, std::uint16_t> rows[] = {
      {"smtp://mail.example.com", 25},  {"smtps://mail.example.com", 465},
      {"imap://mail.example.com", 143}, {"imaps://mail.example.com", 993},
      {"pop3://mail.example.com", 110}, {"pop3s://mail.example.com", 995}};
  for (const auto& [url, port] : rows) {
    CAPTURE(url);
    auto parsed = parse_target_url(url);
    REQUIRE(parsed);
    CHECK(parsed->port == port);
    CHECK(parsed->text == url);
  }
}
