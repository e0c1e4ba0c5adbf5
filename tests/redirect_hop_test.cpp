// The rules of a redirect hop: method and body, credentials across origins, loops and limits.
#include "checks/redirect_hop.hpp"

#include <doctest/doctest.h>

using namespace faultline;

namespace {

ProbeSpec spec_at(const std::string& url) {
  ProbeSpec s;
  s.url = *parse_target_url(url);
  s.follow_redirects = 5;
  return s;
}

std::vector<HopRequest> made(const ProbeSpec& s) {
  return {{s.method, s.url.text}};
}

}  // namespace

TEST_CASE("redirect hop: which statuses are followed") {
  for (int status : {300, 301, 302, 303, 307, 308})
    CHECK(is_redirect_status(status));
  for (int status : {200, 304, 305, 306, 399, 404})
    CHECK_FALSE(is_redirect_status(status));
}

TEST_CASE("redirect hop: 303 turns POST into GET, 307 and 308 keep method and body") {
  ProbeSpec target = spec_at("http://127.0.0.1:8080/submit");
  target.method = "POST";
  target.body = "a=1";
  auto after303 = next_hop(target, target, 303, "http://127.0.0.1:8080/done", made(target), "x");
  REQUIRE(after303);
  CHECK(after303->method == "GET");
  CHECK_FALSE(after303->body);
  CHECK(after303->url.text == "http://127.0.0.1:8080/done");
  for (int status : {301, 302}) {
    auto r = next_hop(target, target, status, "http://127.0.0.1:8080/x", made(target), "x");
    REQUIRE(r);
    CHECK(r->method == "GET");
  }
  for (int status : {307, 308}) {
    auto r = next_hop(target, target, status, "http://127.0.0.1:8080/x", made(target), "x");
    REQUIRE(r);
    CHECK(r->method == "POST");
    CHECK(r->body == "a=1");
  }
  ProbeSpec put = target;
  put.method = "PUT";
  auto r = next_hop(put, put, 302, "http://127.0.0.1:8080/x", made(put), "x");
  REQUIRE(r);
  CHECK(r->method == "PUT");
  ProbeSpec head = spec_at("http://127.0.0.1:8080/");
  head.method = "HEAD";
  CHECK(next_hop(head, head, 303, "http://127.0.0.1:8080/x", made(head), "x")->method == "HEAD");
}

TEST_CASE("redirect hop: credentials go only to the target's origin, and come back with it") {
  ProbeSpec target = spec_at("http://127.0.0.1:8080/");
  target.headers = {{"Authorization", "Bearer t"}, {"cookie", "s=1"}, {"X-Trace", "1"}};
  target.auth = HttpAuth{HttpAuth::Kind::basic, "u", "p"};
  auto same = next_hop(target, target, 302, "http://127.0.0.1:8080/b", made(target), "x");
  REQUIRE(same);
  CHECK(same->headers == target.headers);
  CHECK(same->auth == target.auth);
  for (const char* other :
       {"http://127.0.0.2:8080/", "http://127.0.0.1:8081/", "https://127.0.0.1:8080/"}) {
    CAPTURE(other);
    auto r = next_hop(target, target, 302, other, made(target), "x");
    REQUIRE(r);
    CHECK(r->headers == std::vector<Header>{{"X-Trace", "1"}});
    CHECK_FALSE(r->auth);
  }
  auto away = *next_hop(target, target, 302, "http://127.0.0.2:8080/", made(target), "x");
  std::vector<HopRequest> two = {made(target)[0], {"GET", away.url.text}};
  auto back = next_hop(target, away, 302, "http://127.0.0.1:8080/c", two, "x");
  REQUIRE(back);
  CHECK(back->headers == target.headers);
  CHECK(back->auth == target.auth);
}

TEST_CASE("redirect hop: server_name stands for the target's host only") {
  // The target's address checked as its name; a redirect to another host is verified by that
  // host's own name, and a hop back to the target uses the server_name again.
  ProbeSpec target = spec_at("https://127.0.0.1:8443/");
  target.server_name = "api.example.com";
  auto same = next_hop(target, target, 302, "https://127.0.0.1:8443/b", made(target), "x");
  REQUIRE(same);
  CHECK(same->server_name == "api.example.com");
  auto away = next_hop(target, target, 302, "https://127.0.0.2:8443/", made(target), "x");
  REQUIRE(away);
  CHECK(away->server_name.empty());
  std::vector<HopRequest> two = {made(target)[0], {"GET", away->url.text}};
  auto back = next_hop(target, *away, 302, "https://127.0.0.1:8443/c", two, "x");
  REQUIRE(back);
  CHECK(back->server_name == "api.example.com");
}

TEST_CASE("redirect hop: the fragment is dropped, a kept connection is never reused") {
  ProbeSpec target = spec_at("http://127.0.0.1:8080/");
  target.reuse_connection = true;
  auto r = next_hop(target, target, 301, "http://127.0.0.1:8080/b?q=1#top", made(target), "x");
  REQUIRE(r);
  CHECK(r->url.text == "http://127.0.0.1:8080/b?q=1");
  CHECK_FALSE(r->reuse_connection);
}

TEST_CASE("redirect hop: loops, too many hops and unusable locations end the probe as http/3xx") {
  ProbeSpec target = spec_at("http://127.0.0.1:8080/a");
  auto loop =
      next_hop(target, target, 302, "http://127.0.0.1:8080/a", made(target), "127.0.0.1:8080");
  REQUIRE_FALSE(loop);
  CHECK(loop.error().cls == FailureClass::http);
  CHECK(loop.error().phase == Phase::response);
  CHECK(loop.error().detail == Detail::http_status);
  CHECK(loop.error().http_status == 302);
  CHECK(loop.error().message ==
        "HTTP 302 from 127.0.0.1:8080 redirects to 'http://127.0.0.1:8080/a', back to hop 1: a "
        "redirect loop");

  target.follow_redirects = 1;
  std::vector<HopRequest> two = {made(target)[0], {"GET", "http://127.0.0.1:8080/b"}};
  auto many = next_hop(target, target, 301, "http://127.0.0.1:8080/c", two, "127.0.0.1:8080");
  REQUIRE_FALSE(many);
  CHECK(many.error().http_status == 301);
  CHECK(many.error().message ==
        "HTTP 301 from 127.0.0.1:8080 redirects to 'http://127.0.0.1:8080/c': more redirects "
        "than follow_redirects (1) allows");

  auto ftp = next_hop(target, target, 302, "ftp://127.0.0.1/x", made(target), "127.0.0.1:8080");
  REQUIRE_FALSE(ftp);
  CHECK(ftp.error().message.find("which a probe cannot follow") != std::string::npos);
  auto tcp = next_hop(target, target, 302, "tcp://127.0.0.1:22", made(target), "127.0.0.1:8080");
  REQUIRE_FALSE(tcp);
  CHECK(tcp.error().message.find("not an http:// or https:// URL") != std::string::npos);
}
