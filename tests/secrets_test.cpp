// Secrets: header values (Authorization, cookies, API keys) from the config must never appear
// in logs at any level, in the history database, in metrics, in `faultline check` output or in
// config diagnostics, whatever way the probe fails; and `faultline config check` warns when a
// config holding them can be read by every user of the host.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <thread>

#include "tests/daemon_process.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/storage_test_support.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/test_proxy.hpp"

using namespace faultline::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// Unlikely to occur by chance in any log, page or file.
const std::string kBearer = "Zq8vK2pLm9Xw4-bearer-secret";
const std::string kCookie = "Hy7uT3rEw1Qa-cookie-secret";
const std::string kApiKey = "Mn5bV8cXz2Lk-api-key-secret";

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p))
    r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

void check_no_secret(const std::string& where, const std::string& text) {
  for (const std::string& secret : {kBearer, kCookie, kApiKey}) {
    CHECK_MESSAGE(text.find(secret) == std::string::npos, where << " holds " << secret);
  }
}

LoopbackServerOptions with(Behavior b) {
  LoopbackServerOptions o;
  o.behavior = b;
  return o;
}

}  // namespace

TEST_CASE("secrets: header values never reach logs, the database, metrics or check output") {
  const TestPki& pki = shared_test_pki();
  LoopbackServer ok(with(Behavior::http_ok));
  LoopbackServer unavailable(with(Behavior::http_status));
  LoopbackServer reset(with(Behavior::rst_after_request));
  LoopbackServer silent(with(Behavior::accept_never_answer));
  // A server that answers with our own secret as its (non-HTTP) reply: nothing it says may be
  // copied into a message.
  LoopbackServerOptions echo_options = with(Behavior::garbage);
  echo_options.garbage = "Authorization: Bearer " + kBearer + "\r\nCookie: session=" + kCookie +
                         "\r\nX-Api-Key: " + kApiKey + "\r\n\r\n";
  LoopbackServer echo(echo_options);
  LoopbackServer flood(with(Behavior::header_flood));
  LoopbackServerOptions untrusted_options = with(Behavior::tls_http_ok);
  untrusted_options.tls = pki.self_signed.material();
  LoopbackServer untrusted(untrusted_options);
  LoopbackServerOptions tls_options = with(Behavior::tls_http_ok);
  tls_options.tls = pki.good.material();
  LoopbackServer tls(tls_options);
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";

  const std::vector<std::pair<std::string, std::string>> targets = {
      {"ok", ok.url()},
      {"unavailable", unavailable.url()},
      {"reset", reset.url()},
      {"silent", silent.url()},
      {"echo", echo.url()},
      {"flood", flood.url()},
      {"refused", refused},
      {"untrusted", untrusted.url("https", "/")},
      {"tls", tls.url("https", "/")},
      {"nxdomain", "http://does-not-exist.invalid/"},
  };
  TempDir dir;
  std::string text = "storage: {path: " + dir.file("h.db") +
                     ", record_successes: true}\n"
                     "metrics: {listen: 127.0.0.1:0}\n"
                     "defaults:\n  interval: 500ms\n  timeout: 400ms\n  ca_file: " +
                     pki.ca_path + "\n  headers: {Authorization: " + quoted("Bearer " + kBearer) +
                     ", X-Api-Key: " + kApiKey + "}\ntargets:\n";
  for (const auto& [name, url] : targets) {
    text += "  - {name: " + name + ", url: '" + url +
            "', headers: {Cookie: " + quoted("session=" + kCookie) + "}}\n";
  }
  DaemonLaunch launch;
  launch.config = dir.write("faultline.yaml", text);
  chmod(launch.config.c_str(), 0600);
  launch.log_level = "trace";
  DaemonProcess daemon(launch);
  const int port = daemon.metrics_port();
  REQUIRE_MESSAGE(port > 0, daemon.log());
  // A few rounds of every failure, then a scrape.
  REQUIRE(
      eventually([&] { return unavailable.requests() >= 4 && echo.requests() >= 4; }, seconds(20)));
  std::this_thread::sleep_for(seconds(1));
  const HttpResponse scrape = http_get(port);
  CHECK(scrape.status == 200);
  CHECK(daemon.stop() == 0);

  // The secrets were really sent, so the checks below could have failed.
  const std::string request = ok.last_request();
  CHECK(request.find("Authorization: Bearer " + kBearer) != std::string::npos);
  CHECK(request.find("Cookie: session=" + kCookie) != std::string::npos);
  CHECK(request.find("X-Api-Key: " + kApiKey) != std::string::npos);

  const std::string log = daemon.log();
  CHECK(log.find("trace probe ") != std::string::npos);  // the engine's trace lines ran
  for (const char* cls : {"http/503", "reset/", "timeout/", "http/malformed", "refused/",
                          "tls/untrusted", "dns/nxdomain"}) {
    CHECK_MESSAGE(log.find(cls) != std::string::npos, "no " << cls << " failure was logged");
  }
  check_no_secret("the log", log);
  check_no_secret("the metrics", scrape.body);
  const std::string database = read_file(dir.file("h.db")) + read_file(dir.file("h.db-wal"));
  CHECK(database.size() > 4096);
  check_no_secret("the database", database);

  // faultline check, text and JSON, at trace level.
  for (const auto& [name, url] : targets) {
    for (const char* format : {"", " --json"}) {
      const CommandResult r =
          run_command(std::string(FAULTLINE_BINARY) + " --log-level trace check" + format +
                      " --timeout 800ms --ca-file " + pki.ca_path + " --header " +
                      quoted("Authorization: Bearer " + kBearer) + " --header " +
                      quoted("Cookie: session=" + kCookie) + " --header " +
                      quoted("X-Api-Key: " + kApiKey) + " " + url);
      check_no_secret("faultline check" + std::string(format) + " " + name, r.output);
    }
  }
}

TEST_CASE("secrets: config diagnostics never quote a header value") {
  TempDir dir;
  const std::vector<std::string> configs = {
      // The whole header written as one value.
      "targets:\n  - name: a\n    url: http://a/\n    headers: " +
          quoted("Authorization: Bearer " + kBearer) + "\n",
      // ... or as a key.
      "targets:\n  - name: a\n    url: http://a/\n    headers: {" +
          quoted("Authorization: Bearer " + kBearer) + ": x}\n",
      // A value with a line break.
      "defaults: {headers: {X-Api-Key: \"" + kApiKey + "\\r\\nX: y\"}}\ntargets: []\n",
      // A value that is a list.
      "targets:\n  - name: a\n    url: http://a/\n    headers: {Cookie: [" + kCookie + "]}\n",
  };
  for (const std::string& text : configs) {
    const std::string path = dir.write("bad.yaml", text);
    const CommandResult r = run_command(std::string(FAULTLINE_BINARY) + " config check " + path);
    INFO(r.output);
    CHECK(r.status == 1);
    check_no_secret("config check", r.output);
  }
}

TEST_CASE("secrets: config check warns when a config with header values is readable by others") {
  TempDir dir;
  const std::string with_headers =
      // Metrics on a port of the kernel's choice: a busy 9469 (another faultline, another test)
      // would add a warning of its own.
      "metrics: {listen: '127.0.0.1:0'}\ntargets:\n  - name: api\n    url: http://api.test/\n"
      "    headers: {Authorization: " +
      quoted("Bearer " + kBearer) + "}\n";
  const std::string path = dir.write("faultline.yaml", with_headers);
  const std::string check = std::string(FAULTLINE_BINARY) + " config check " + path;

  chmod(path.c_str(), 0644);
  CommandResult r = run_command(check);
  INFO(r.output);
  CHECK(r.status == 0);  // a warning, not an error
  CHECK(r.output.find(path + ": warning: " + path + " holds header values") != std::string::npos);
  CHECK(r.output.find("targets api") != std::string::npos);
  CHECK(r.output.find("mode 0644") != std::string::npos);
  CHECK(r.output.find("chmod 640 " + path) != std::string::npos);
  check_no_secret("the warning", r.output);

  chmod(path.c_str(), 0640);
  r = run_command(check);
  CHECK(r.status == 0);
  CHECK(r.output.find("warning") == std::string::npos);

  // No secrets, no warning, whatever the mode.
  const std::string plain = dir.write(
      "plain.yaml", "metrics: {listen: '127.0.0.1:0'}\ntargets:\n  - {name: a, url: http://a/}\n");
  chmod(plain.c_str(), 0644);
  r = run_command(std::string(FAULTLINE_BINARY) + " config check " + plain);
  CHECK(r.output.find("warning") == std::string::npos);

  // The metrics password file.
  const std::string password = dir.write("metrics.password", "hunter2\n");
  chmod(password.c_str(), 0644);
  const std::string auth =
      dir.write("auth.yaml",
                "metrics: {listen: '127.0.0.1:0', basic_auth: {username: prom, password_file: "
                "metrics.password}}\ntargets: []\n");
  chmod(auth.c_str(), 0600);
  r = run_command(std::string(FAULTLINE_BINARY) + " config check " + auth);
  CHECK(r.status == 0);
  CHECK(r.output.find("the metrics password file " + password + " can be read by every user") !=
        std::string::npos);
  chmod(password.c_str(), 0600);
  r = run_command(std::string(FAULTLINE_BINARY) + " config check " + auth);
  CHECK(r.output.find("warning") == std::string::npos);
}

TEST_CASE("secrets: the daemon logs the same warning at start") {
  TempDir dir;
  DaemonLaunch launch;
  launch.config =
      dir.write("faultline.yaml", "storage: {path: " + dir.file("h.db") +
                                      "}\nmetrics: {listen: 127.0.0.1:0}\n"
                                      "targets:\n  - name: api\n    url: http://127.0.0.1:9/\n"
                                      "    interval: 1h\n    headers: {X-Api-Key: " +
                                      kApiKey + "}\n");
  chmod(launch.config.c_str(), 0644);
  launch.log_level = "info";
  DaemonProcess daemon(launch);
  CHECK(daemon.wait_for_log("holds header values", seconds(10)));
  REQUIRE(daemon.wait_for_log("monitoring 1 target ", seconds(10)));  // signal handlers are in
  check_no_secret("the log", daemon.log());
  CHECK(daemon.stop() == 0);
}

// --- #18: credentials from files (basic_auth, bearer_token_file) ----------------------------

namespace {

const std::string kPassword = "Pw7tRe3xQ-basic-password-secret";
const std::string kToken = "Tk4mNb6yV-bearer-file-secret";
// base64("monitor:" + kPassword), as the Authorization header carries it.
const std::string kBasicBase64 = "bW9uaXRvcjpQdzd0UmUzeFEtYmFzaWMtcGFzc3dvcmQtc2VjcmV0";

void check_no_credential(const std::string& where, const std::string& text) {
  for (const std::string& secret : {kPassword, kToken, kBasicBase64}) {
    CHECK_MESSAGE(text.find(secret) == std::string::npos, where << " holds " << secret);
  }
}

}  // namespace

TEST_CASE("secrets: basic_auth and bearer_token_file never reach logs, database, metrics, check") {
  LoopbackServer ok(with(Behavior::http_ok));
  LoopbackServer unavailable(with(Behavior::http_status));
  // Each echoes the credentials it was sent (as httpbin's /headers does) in a body that fails
  // expect_body: the excerpt must not show them.
  LoopbackServerOptions echo_bearer_options = with(Behavior::http_ok);
  echo_bearer_options.body = "headers: Authorization: Bearer " + kToken + "\n";
  LoopbackServer echo_bearer(echo_bearer_options);
  LoopbackServerOptions echo_basic_options = with(Behavior::http_ok);
  echo_basic_options.body =
      "headers: Authorization: Basic " + kBasicBase64 + "\ndecoded: monitor:" + kPassword + "\n";
  LoopbackServer echo_basic(echo_basic_options);
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  TempDir dir;
  const std::string password = dir.write("password", kPassword + "\n");
  const std::string token = dir.write("token", kToken + "\n");
  chmod(password.c_str(), 0600);
  chmod(token.c_str(), 0600);
  const std::string basic = "{username: monitor, password_file: " + password + "}";
  DaemonLaunch launch;
  launch.config =
      dir.write("faultline.yaml",
                "storage: {path: " + dir.file("h.db") +
                    ", record_successes: true}\nmetrics: {listen: 127.0.0.1:0}\n"
                    "defaults:\n  interval: 500ms\n  timeout: 400ms\n  bearer_token_file: " +
                    token +
                    "\ntargets:\n"
                    "  - {name: ok, url: '" +
                    ok.url() + "', basic_auth: " + basic +
                    "}\n"
                    "  - {name: ok-bearer, url: '" +
                    ok.url() +
                    "/b'}\n"
                    "  - {name: unavailable, url: '" +
                    unavailable.url() + "', basic_auth: " + basic +
                    "}\n"
                    "  - {name: echo, url: '" +
                    echo_bearer.url() +
                    "', expect_body: never-there}\n"
                    "  - {name: echo-basic, url: '" +
                    echo_basic.url() +
                    "/b', expect_body: never-there, "
                    "basic_auth: " +
                    basic +
                    "}\n"
                    "  - {name: refused, url: '" +
                    refused + "', basic_auth: " + basic + "}\n");
  chmod(launch.config.c_str(), 0600);
  launch.log_level = "trace";
  DaemonProcess daemon(launch);
  const int port = daemon.metrics_port();
  REQUIRE_MESSAGE(port > 0, daemon.log());
  REQUIRE(eventually(
      [&] {
        return unavailable.requests() >= 4 && echo_bearer.requests() >= 4 &&
               echo_basic.requests() >= 4;
      },
      seconds(20)));
  const HttpResponse scrape = http_get(port);
  CHECK(scrape.status == 200);
  CHECK(daemon.stop() == 0);

  // The credentials were really sent and echoed, so the checks below could have failed.
  CHECK(ok.last_request().find("Authorization: ") != std::string::npos);
  const std::string log = daemon.log();
  CHECK(log.find("http/body_mismatch") != std::string::npos);
  CHECK(log.find("[redacted]") != std::string::npos);
  check_no_credential("the log", log);
  check_no_credential("the metrics", scrape.body);
  const std::string database = read_file(dir.file("h.db")) + read_file(dir.file("h.db-wal"));
  CHECK(database.find("body_mismatch") != std::string::npos);
  check_no_credential("the database", database);

  // faultline check, text and JSON, at trace level, both kinds of credentials.
  const std::string as_basic = "--user monitor --password-file " + password;
  const std::string as_bearer = "--bearer-token-file " + token;
  const std::vector<std::pair<std::string, std::string>> checks = {
      {ok.url(), as_basic},          {ok.url(), as_bearer},
      {unavailable.url(), as_basic}, {unavailable.url(), as_bearer},
      {echo_basic.url(), as_basic},  {echo_bearer.url(), as_bearer},
      {refused, as_basic},           {refused, as_bearer}};
  for (const auto& [url, credentials] : checks) {
    for (const std::string format : {"", " --json"}) {
      const CommandResult r =
          run_command(std::string(FAULTLINE_BINARY) + " --log-level trace check" + format +
                      " --timeout 800ms --expect-body never-there " + credentials + " " + url);
      INFO(url << format << " " << credentials << ": " << r.output);
      CHECK(r.status == 1);
      check_no_credential("faultline check", r.output);
    }
  }
  CHECK(echo_basic.last_request().find("Authorization: Basic " + kBasicBase64) !=
        std::string::npos);

  // A credential file the config refuses: the diagnostic names the file, never its content.
  const std::string split = dir.write("split", kPassword + "\n" + kToken + "\n");
  const std::string bad = dir.write(
      "bad.yaml", "targets:\n  - {name: a, url: 'http://a/', bearer_token_file: " + split + "}\n");
  const CommandResult r = run_command(std::string(FAULTLINE_BINARY) + " config check " + bad);
  CHECK(r.status == 1);
  CHECK(r.output.find(split) != std::string::npos);
  check_no_credential("config check", r.output);
}

TEST_CASE("secrets: config check warns when a credential file is readable by every user") {
  TempDir dir;
  const std::string token = dir.write("token", kToken + "\n");
  const std::string password = dir.write("password", kPassword + "\n");
  const std::string path =
      dir.write("faultline.yaml",
                "metrics: {listen: '127.0.0.1:0'}\ndefaults: {bearer_token_file: token}\ntargets:\n"
                "  - {name: api, url: 'http://api.test/'}\n"
                "  - {name: web, url: 'http://web.test/'}\n"
                "  - {name: admin, url: 'http://admin.test/', basic_auth: {username: u, "
                "password_file: password}}\n");
  chmod(path.c_str(), 0600);
  chmod(token.c_str(), 0644);
  chmod(password.c_str(), 0600);
  const std::string check = std::string(FAULTLINE_BINARY) + " config check " + path;
  CommandResult r = run_command(check);
  INFO(r.output);
  CHECK(r.status == 0);  // a warning, not an error
  CHECK(r.output.find("warning: the credential file " + token +
                      " (targets api, web) can be read by every user of this host (mode "
                      "0644); restrict it: `chmod 640 " +
                      token + "`") != std::string::npos);
  CHECK(r.output.find(password) == std::string::npos);
  check_no_credential("the warning", r.output);

  chmod(token.c_str(), 0640);
  r = run_command(check);
  CHECK(r.output.find("warning") == std::string::npos);
}

namespace {

const std::string kProxyPassword = "Px9wQ2nB-proxy-password-secret";
// base64("probe:" + kProxyPassword), as the Proxy-Authorization header carries it.
const std::string kProxyBase64 = "cHJvYmU6UHg5d1EybkItcHJveHktcGFzc3dvcmQtc2VjcmV0";

void check_no_proxy_credential(const std::string& where, const std::string& text) {
  for (const std::string& secret : {kProxyPassword, kProxyBase64}) {
    CHECK_MESSAGE(text.find(secret) == std::string::npos, where << " holds " << secret);
  }
}

}  // namespace

TEST_CASE("secrets: proxy credentials never reach logs, database, metrics or check output") {
  LoopbackServer ok(with(Behavior::http_ok));
  TestProxy proxy({.username = "probe", .password = kProxyPassword});
  TestProxy socks({.kind = ProxyKind::socks5, .username = "probe", .password = kProxyPassword});
  const std::string dead = "127.0.0.1:" + std::to_string(closed_port());
  const std::string right = "probe:" + kProxyPassword + "@";
  const std::vector<std::pair<std::string, std::string>> proxies = {
      {"through", "http://" + right + "127.0.0.1:" + std::to_string(proxy.port())},
      {"wrong-user",
       "http://other:" + kProxyPassword + "@127.0.0.1:" + std::to_string(proxy.port())},
      {"socks", "socks5://" + right + "127.0.0.1:" + std::to_string(socks.port())},
      {"dead", "socks5h://" + right + dead},
      {"dead-http", "http://" + right + dead},
  };
  TempDir dir;
  std::string text = "storage: {path: " + dir.file("h.db") +
                     ", record_successes: true}\nmetrics: {listen: 127.0.0.1:0}\n"
                     "defaults:\n  interval: 500ms\n  timeout: 400ms\ntargets:\n";
  for (const auto& [name, url] : proxies)
    text += "  - {name: " + name + ", url: '" + ok.url() + "', proxy: '" + url + "'}\n";
  DaemonLaunch launch;
  launch.config = dir.write("faultline.yaml", text);
  chmod(launch.config.c_str(), 0600);
  launch.log_level = "trace";
  DaemonProcess daemon(launch);
  const int port = daemon.metrics_port();
  REQUIRE_MESSAGE(port > 0, daemon.log());
  // The credentials were really sent and accepted, so the checks below could have failed.
  REQUIRE(eventually([&] { return proxy.tunnels() >= 2 && socks.tunnels() >= 2; }, seconds(20)));
  std::this_thread::sleep_for(seconds(1));
  const HttpResponse scrape = http_get(port);
  CHECK(scrape.status == 200);
  CHECK(daemon.stop() == 0);
  const std::string log = daemon.log();
  for (const char* verdict : {"http/407", "refused/"}) {
    CHECK_MESSAGE(log.find(verdict) != std::string::npos, "no " << verdict << " was logged");
  }
  check_no_proxy_credential("the log", log);
  check_no_proxy_credential("the metrics", scrape.body);
  const std::string database = read_file(dir.file("h.db")) + read_file(dir.file("h.db-wal"));
  CHECK(database.size() > 4096);
  check_no_proxy_credential("the database", database);
  // Each proxy's failure is stored as the proxy's, under the target that went through it.
  {
    TestDb db(dir.file("h.db"));
    const auto rows =
        db.rows("SELECT DISTINCT target, class, phase, detail FROM failure_log ORDER BY target");
    const std::vector<std::vector<std::string>> want = {{"dead", "refused", "proxy", "NULL"},
                                                        {"dead-http", "refused", "proxy", "NULL"},
                                                        {"wrong-user", "http", "proxy", "407"}};
    CHECK(rows == want);
  }

  for (const auto& [name, url] : proxies) {
    for (const char* format : {"", " --json"}) {
      const CommandResult r =
          run_command(std::string(FAULTLINE_BINARY) + " --log-level trace check" + format +
                      " --timeout 800ms --proxy '" + url + "' " + ok.url());
      check_no_proxy_credential("faultline check" + std::string(format) + " " + name, r.output);
    }
  }

  // A config holding proxy credentials that every user can read is worth a warning.
  chmod(launch.config.c_str(), 0644);
  const CommandResult warned =
      run_command(std::string(FAULTLINE_BINARY) + " config check " + launch.config);
  CHECK(warned.output.find("holds proxy credentials (targets ") != std::string::npos);
  check_no_proxy_credential("config check", warned.output);
}
