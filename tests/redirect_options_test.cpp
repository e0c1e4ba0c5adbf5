// follow_redirects as users write it (config, with file:line:col errors) and check --location
// (text and JSON), and the HTTP exchange options of issue 18 in `faultline run`: what a probe
// finds reaches the metrics and the history database with its class, phase and detail.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/config_loader.hpp"
#include "tests/config_errors.hpp"
#include "tests/daemon_process.hpp"
#include "tests/faultline_cli.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;
using json = nlohmann::json;
using std::chrono::seconds;

namespace {

// A server answering every request with `status` and a Location of `to`.
LoopbackServerOptions redirecting(const std::string& to, int status = 302) {
  LoopbackServerOptions o;
  o.behavior = Behavior::http_status;
  o.status = status;
  o.extra_headers = "Location: " + to + "\r\n";
  return o;
}

// What the sqlite3 shell prints for `sql` on `db`.
std::string sqlite(const std::string& db, const std::string& sql) {
  std::string out;
  FILE* p = popen(("sqlite3 '" + db + "' \"" + sql + "\" 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p))
    out.append(buf.data(), n);
  pclose(p);
  return out;
}

}  // namespace

TEST_CASE("config: follow_redirects on a target and under defaults, 0 to 10") {
  ConfigLoad load = parse_config(
      "defaults: {follow_redirects: 3}\ntargets:\n"
      "  - {name: a, url: 'http://127.0.0.1/'}\n"
      "  - {name: b, url: 'https://127.0.0.1/', follow_redirects: 10}\n"
      "  - {name: c, url: 'http://127.0.0.1/', follow_redirects: 0}\n"
      "  - {name: d, url: 'tcp://127.0.0.1:22'}\n",
      "t.yaml");
  REQUIRE(load.config);
  CHECK(load.config->targets[0].probe.follow_redirects == 3);
  CHECK(load.config->targets[1].probe.follow_redirects == 10);
  CHECK(load.config->targets[2].probe.follow_redirects == 0);
  CHECK(load.config->targets[3].probe.follow_redirects == 0);
  ConfigLoad none = parse_config("targets:\n  - {name: a, url: 'http://127.0.0.1/'}\n", "t.yaml");
  REQUIRE(none.config);
  CHECK(none.config->targets[0].probe.follow_redirects == 0);  // as before: one request

  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    follow_redirects: 11\n")
            .find("t.yaml:4:23: 'follow_redirects' must be") == 0);
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    follow_redirects: yes\n")
            .find("t.yaml:4:23: 'follow_redirects' must be") == 0);
  CHECK(error_of("targets:\n  - name: db\n    url: tcp://db:5432\n    follow_redirects: 2\n") ==
        "t.yaml:4:5: 'follow_redirects' only applies to http:// and https:// targets, and 'db' "
        "is tcp://");
}

TEST_CASE("check --location: the hops in text and JSON, and a failure names its hop") {
  LoopbackServerOptions o;
  o.routes["/a"] = {301, "Location: /b\r\n", ""};
  o.routes["/b"] = {302, "Location: /health\r\n", ""};
  o.routes["/health"] = {200, "", R"({"status":"UP"})"};
  LoopbackServer server(o);
  auto [status, out] =
      check_json({"--location", "--expect-json", "status=UP", server.url("http", "/a")});
  CHECK(status == 0);
  CHECK(out["class"] == "ok");
  CHECK(out["http_status"] == 200);
  CHECK(out["redirects"] ==
        json::parse(R"([{"url": ")" + server.url("http", "/a") + R"(", "status": 301}, {"url": ")" +
                    server.url("http", "/b") + R"(", "status": 302}])"));

  Run text = run_faultline({"check", "--location", server.url("http", "/a")});
  INFO(text.output);
  CHECK(text.status == 0);
  CHECK(text.output.find("REDIR " + server.url("http", "/a") + " -> 301") != std::string::npos);
  CHECK(text.output.find("REDIR " + server.url("http", "/b") + " -> 302") != std::string::npos);
  CHECK(text.output.find("HTTP /health -> 200") != std::string::npos);

  // Without --location the redirect is the answer, as before.
  auto plain = check_json({server.url("http", "/a")});
  CHECK(plain.first == 0);
  CHECK(plain.second["http_status"] == 301);
  CHECK(plain.second["redirects"] == json::array());

  // To a refusing port: refused/connect on hop 2, which the message names.
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x";
  LoopbackServer to_refused(redirecting(refused));
  auto r = check_json({"--location", to_refused.url()});
  CHECK(r.first == 1);
  CHECK(r.second["class"] == "refused");
  CHECK(r.second["phase"] == "connect");
  CHECK(std::string(r.second["message"]).ends_with(" on hop 2 (" + refused + ")"));
  REQUIRE(r.second["redirects"].size() == 1);
  CHECK(r.second["redirects"][0]["status"] == 302);

  // A loop: http/302 at once.
  LoopbackServerOptions loop;
  loop.routes["/a"] = {302, "Location: /b\r\n", ""};
  loop.routes["/b"] = {302, "Location: /a\r\n", ""};
  LoopbackServer looping(loop);
  auto l = check_json({"--location", looping.url("http", "/a")});
  CHECK(l.first == 1);
  CHECK(l.second["class"] == "http");
  CHECK(l.second["detail"] == "302");
  CHECK(std::string(l.second["message"]).find("a redirect loop on hop 2") != std::string::npos);
  CHECK(std::string(l.second["advice"]).starts_with("The server redirects: "));
  CHECK(looping.requests() == 2);

  // A change of scheme to a certificate nobody trusts: tls/untrusted on hop 2.
  LoopbackServerOptions tls_options;
  tls_options.behavior = Behavior::tls_http_ok;
  tls_options.tls = shared_test_pki().self_signed.material();
  LoopbackServer tls(tls_options);
  LoopbackServer to_tls(redirecting(tls.url("https", "/secure"), 308));
  auto t = check_json({"--location", to_tls.url()});
  CHECK(t.first == 1);
  CHECK(t.second["class"] == "tls");
  CHECK(t.second["detail"] == "untrusted");
  CHECK(std::string(t.second["message"]).find("on hop 2 (" + tls.url("https", "/secure") + ")") !=
        std::string::npos);
  CHECK(run_faultline({"check", "--location", "tcp://127.0.0.1:1"}).status == 2);
}

TEST_CASE("run: body assertions, credentials and redirects reach metrics and the database") {
  TempDir dir;
  LoopbackServerOptions down_options;
  down_options.body = R"({"status":"DOWN","checks":{"db":{"status":"UP"}}})";
  LoopbackServer down(down_options);
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  LoopbackServer to_refused(redirecting(refused));
  LoopbackServer up(Behavior::http_ok);
  LoopbackServer to_up(redirecting(up.url("http", "/final"), 301));
  const std::string token = dir.write("token", "tok-run\n");
  chmod(token.c_str(), 0600);
  DaemonLaunch launch;
  launch.config =
      dir.write("faultline.yaml",
                "storage: {path: " + dir.file("h.db") +
                    "}\nmetrics: {listen: 127.0.0.1:0}\n"
                    "defaults: {interval: 300ms, timeout: 250ms, failure_threshold: 1}\ntargets:\n"
                    "  - {name: health, url: '" +
                    down.url() +
                    "', expect_json: {status: UP}}\n"
                    "  - {name: nested, url: '" +
                    down.url() +
                    "', expect_json: {checks.db.status: UP}}\n"
                    "  - {name: hop, url: '" +
                    to_refused.url() +
                    "', follow_redirects: 2}\n"
                    "  - {name: moved, url: '" +
                    to_up.url() +
                    "', follow_redirects: 2, "
                    "bearer_token_file: " +
                    token + ", method: POST, body: ping}\n");
  chmod(launch.config.c_str(), 0600);
  DaemonProcess daemon(launch);
  const int port = daemon.metrics_port();
  REQUIRE_MESSAGE(port > 0, daemon.log());
  REQUIRE(
      eventually([&] { return down.requests() >= 6 && to_refused.requests() >= 3; }, seconds(20)));
  const auto samples = parse_exposition(http_get(port).body);
  auto probes = [&](const std::string& target, const std::string& cls) {
    return value_of(samples, "faultline_probes_total", {{"target", target}, {"class", cls}})
        .value_or(0);
  };
  CHECK(probes("health", "http") >= 1);
  CHECK(probes("health", "ok") == 0);
  CHECK(probes("nested", "ok") >= 1);
  CHECK(probes("hop", "refused") >= 1);
  CHECK(probes("moved", "ok") >= 1);
  CHECK(daemon.stop() == 0);

  // The redirect to another origin was followed as curl -L does: a 301 turns the POST into a
  // GET without the body, and the token stays with the target's own origin.
  CHECK(up.last_request().starts_with("GET /final HTTP/1.1\r\n"));
  CHECK(up.last_request().find("Authorization") == std::string::npos);
  CHECK(to_up.last_request().find("Authorization: Bearer tok-run\r\n") != std::string::npos);
  CHECK(to_up.last_request_body() == "ping");

  const std::string db = dir.file("h.db");
  const std::string health =
      sqlite(db,
             "SELECT DISTINCT f.class||'/'||f.phase||'/'||f.detail||' '||f.message FROM failures f "
             "JOIN targets t ON t.id = f.target_id WHERE t.name = 'health'");
  CHECK(health == "http/body/body_mismatch expect_json does not hold for the body from " +
                      down.authority() + ": 'status' is \"DOWN\", expected \"UP\"\n");
  const std::string hop =
      sqlite(db,
             "SELECT DISTINCT f.class||'/'||f.phase||' '||f.message FROM failures f "
             "JOIN targets t ON t.id = f.target_id WHERE t.name = 'hop'");
  CHECK(hop.starts_with("refused/connect "));
  CHECK(hop.find(" on hop 2 (" + refused + ")\n") != std::string::npos);
}
