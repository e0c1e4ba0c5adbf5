// `proxy:` in the config and `check --proxy`: what is accepted, what is refused and where, what
// `check` shows of the proxy layer, and that the proxy's credentials are never shown.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/config_loader.hpp"
#include "tests/config_errors.hpp"
#include "tests/faultline_cli.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/test_proxy.hpp"

using namespace faultline;
using namespace faultline::testing;
using json = nlohmann::ordered_json;

namespace {

Config valid(const std::string& yaml) {
  ConfigLoad p = parse_config(yaml, "t.yaml");
  for (const Diagnostic& d : p.errors)
    FAIL_CHECK(d.to_string());
  REQUIRE(p.config);
  return *p.config;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("config: proxy per target, from defaults, and none to go direct") {
  Config c = valid(R"(defaults:
  proxy: http://user:pw@proxy.internal:3128
targets:
  - name: a
    url: https://a.example/
  - name: b
    url: tcp://b.example:22
    proxy: socks5h://[::1]:1080
  - name: c
    url: http://c.example/
    proxy: none
)");
  REQUIRE(c.targets.size() == 3);
  REQUIRE(c.targets[0].probe.proxy);
  CHECK(c.targets[0].probe.proxy->text == "http://proxy.internal:3128");
  CHECK(c.targets[0].probe.proxy->username == "user");
  CHECK(c.targets[0].probe.proxy->password == "pw");
  REQUIRE(c.targets[1].probe.proxy);
  CHECK(c.targets[1].probe.proxy->scheme == ProxyScheme::socks5h);
  CHECK_FALSE(c.targets[2].probe.proxy);
  CHECK_FALSE(valid("targets:\n  - name: a\n    url: http://a/\n").targets[0].probe.proxy);
}

TEST_CASE("config error: proxy values, with their position and never their credentials") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    proxy: ftp://p:21\n") ==
        "t.yaml:4:12: 'proxy': unsupported proxy scheme 'ftp://'; use http://, https://, "
        "socks5:// or socks5h://");
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    proxy: http://p\n") ==
        "t.yaml:4:12: 'proxy': proxy URL 'http://p' needs a port, e.g. http://p:3128");
  CHECK(error_of("defaults:\n  proxy: proxy.internal:3128\ntargets: []\n") ==
        "t.yaml:2:10: 'proxy': proxy URL 'proxy.internal:3128' has no scheme; use http://, "
        "https://, socks5:// or socks5h://");
  const std::string path =
      error_of("targets:\n  - name: a\n    url: http://a/\n    proxy: http://u:hunter2@p:1/x\n");
  CHECK(contains(path, "t.yaml:4:12: 'proxy': a proxy URL takes no path"));
  CHECK_FALSE(contains(path, "hunter2"));
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    proxy: \"\"\n")
            .rfind("t.yaml:4:12: 'proxy'", 0) == 0);
  // The proxy, not this host, resolves the name: ip_family could not be honoured.
  CHECK(error_of("targets:\n  - name: a\n    url: http://a.example/\n    ip_family: ipv6\n"
                 "    proxy: http://p:3128\n") ==
        "t.yaml:4:16: target 'a': ip_family ipv6 cannot apply through the http proxy "
        "http://p:3128, which resolves the target's name itself; use a socks5:// proxy to "
        "have this host resolve it");
  valid(
      "targets:\n  - name: a\n    url: http://a.example/\n    ip_family: ipv6\n"
      "    proxy: socks5://p:1080\n");
  // dns:// asks its server directly; a default proxy leaves it alone.
  CHECK(error_of("targets:\n  - name: d\n    url: dns://127.0.0.1/a.example\n"
                 "    proxy: http://p:3128\n") ==
        "t.yaml:4:5: 'proxy' only applies to http://, https://, tcp:// and tls:// targets, and "
        "'d' is dns://");
  Config c = valid(
      "defaults: {proxy: 'http://p:3128'}\ntargets:\n"
      "  - {name: d, url: 'dns://127.0.0.1/a.example'}\n");
  CHECK_FALSE(c.targets[0].probe.proxy);
}

TEST_CASE("check --proxy: the proxy is a layer of its own, in text and JSON") {
  LoopbackServer web(Behavior::http_ok);
  TestProxy proxy({.username = "probe", .password = "hunter2"});
  Run ok = run_faultline(
      {"check", "--proxy", proxy.url("http", "probe:hunter2"), web.url("http", "/health")});
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK(contains(ok.output, "PROXY"));
  CHECK(contains(ok.output, proxy.url("http") + " at 127.0.0.1:" + std::to_string(proxy.port()) +
                                ", CONNECT -> 200, tunnel up"));
  CHECK(contains(ok.output, "(resolved by the proxy)") == false);  // an IP literal URL
  CHECK_FALSE(contains(ok.output, "hunter2"));

  Run j = run_faultline(
      {"check", "--json", "--proxy", proxy.url("http", "probe:hunter2"), web.url("http")});
  CHECK(j.status == 0);
  CHECK_FALSE(contains(j.output, "hunter2"));
  json out = json::parse(j.output);
  CHECK(out["proxy"]["url"] == proxy.url("http"));
  CHECK(out["proxy"]["connect_status"] == 200);
  CHECK(out["proxy"]["tunnel_up"] == true);
  CHECK(out["proxy"]["resolves_target"] == true);

  // Wrong credentials: the proxy layer fails, the target's layers are not shown.
  Run bad = run_faultline(
      {"check", "--proxy", proxy.url("http", "probe:wrong-hunter3"), web.url("http")});
  INFO(bad.output);
  CHECK(bad.status == 1);
  CHECK(contains(bad.output, "http/407 (phase proxy)"));
  CHECK_FALSE(contains(bad.output, "wrong-hunter3"));
  CHECK_FALSE(contains(bad.output, "  ok   DNS"));
  CHECK(contains(bad.output, "credentials"));
}

TEST_CASE("check --proxy: a dead proxy fails in phase proxy and says the target was not tried") {
  LoopbackServer web(Behavior::http_ok);
  const std::string dead = "socks5h://127.0.0.1:" + std::to_string(closed_port());
  Run j = run_faultline({"check", "--json", "--proxy", dead, web.url("http")});
  CHECK(j.status == 1);
  json out = json::parse(j.output);
  CHECK(out["class"] == "refused");
  CHECK(out["phase"] == "proxy");
  CHECK(contains(out["advice"].get<std::string>(), "The target was not tried"));
  CHECK(web.connections() == 0);
}

TEST_CASE("check --proxy: bad values are usage errors, exit 2") {
  Run scheme = run_faultline({"check", "--proxy", "gopher://p:70", "http://127.0.0.1/"});
  CHECK(scheme.status == 2);
  CHECK(contains(scheme.output, "--proxy: unsupported proxy scheme 'gopher://'"));
  Run secret = run_faultline({"check", "--proxy", "http://u:hunter2@p", "http://127.0.0.1/"});
  CHECK(secret.status == 2);
  CHECK_FALSE(contains(secret.output, "hunter2"));
  Run family = run_faultline({"check", "-4", "--proxy", "http://p:3128", "http://localhost/"});
  CHECK(family.status == 2);
  CHECK(contains(family.output, "ip_family ipv4 cannot apply through the http proxy"));
}
