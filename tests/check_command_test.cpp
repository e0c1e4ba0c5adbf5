// `faultline check` as a user runs it: the real binary, its exit status and its JSON.
#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon/check_report.hpp"
#include "daemon/config_loader.hpp"
#include "tests/faultline_cli.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/fake_dns_server.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/mail_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline::testing;
using json = nlohmann::ordered_json;

namespace {

struct SplitRun {
  int status = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// As run_faultline, with stdout and stderr apart (ChildProcess interleaves them, so the shell
// sends stderr to a file of its own).
SplitRun run_split(const std::vector<std::string>& args) {
  TempDir dir;
  const std::string err_path = dir.file("err");
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\"$ERR_PATH\"",
                                   FAULTLINE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess p(argv, {"ERR_PATH=" + err_path}, dir.file("out"));
  auto status = p.wait(std::chrono::seconds(20));
  REQUIRE(status.has_value());
  std::ifstream in(err_path);
  std::ostringstream err;
  err << in.rdbuf();
  return {*status, p.output(), err.str()};
}

// The message of the one error a config text gives, without "t.yaml:LINE:COL: ".
std::string config_message(const std::string& yaml) {
  auto load = faultline::parse_config(yaml, "t.yaml");
  REQUIRE(load.errors.size() == 1);
  return load.errors[0].message;
}

}  // namespace

TEST_CASE("check --json: exactly one object with the documented keys, exit 0 when ok") {
  LoopbackServer server(Behavior::http_ok);
  Run r = run_faultline({"check", "--json", server.url("http", "/healthz")});
  CHECK(r.status == 0);
  json j = json::parse(r.output);
  const std::vector<std::string> keys = {
      "target",      "class",       "phase",       "detail", "errno", "message", "timings",
      "http_status", "remote_addr", "server_name", "tls",    "proxy", "slow",    "redirects",
      "dns",         "exchange",    "icmp",        "grpc",   "path",  "advice"};
  std::vector<std::string> got;
  for (auto& [k, v] : j.items())
    got.push_back(k);
  CHECK(got == keys);
  CHECK(j["redirects"] == json::array());  // none followed without --location
  CHECK(j["slow"] == false);               // no --degraded-after
  CHECK(j["class"] == "ok");
  CHECK(j["phase"].is_null());
  CHECK(j["detail"].is_null());
  CHECK(j["errno"].is_null());
  CHECK(j["http_status"] == 200);
  CHECK(j["tls"].is_null());
  CHECK(j["proxy"].is_null());  // no --proxy
  CHECK(j["dns"].is_null());
  CHECK(j["exchange"].is_null());
  CHECK(j["server_name"].is_null());
  CHECK(j["icmp"].is_null());
  CHECK(j["grpc"].is_null());
  CHECK(j["path"].is_null());  // ok: no trace without --trace
  CHECK(j["advice"].is_null());
  for (const char* t : {"dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "total_ms"}) {
    CHECK(j["timings"].contains(t));
  }
  CHECK(j["timings"]["tls_ms"].is_null());
  CHECK(j["timings"]["connect_ms"].is_number());
}

TEST_CASE("check --json: a refused port is class refused with errno and advice, exit 1") {
  Run r = run_faultline({"check", "--json", "tcp://127.0.0.1:" + std::to_string(closed_port())});
  CHECK(r.status == 1);
  json j = json::parse(r.output);
  CHECK(j["class"] == "refused");
  CHECK(j["phase"] == "connect");
  CHECK(j["errno"] == "ECONNREFUSED");
  CHECK(j["advice"].get<std::string>().find("port") != std::string::npos);
}

TEST_CASE("check: the text report stops at the failed layer and names class, errno and advice") {
  LoopbackServer server(Behavior::rst_after_request);
  Run r = run_faultline({"check", server.url()});
  CHECK(r.status == 1);
  CHECK(r.output.find(" ok   DNS") != std::string::npos);
  CHECK(r.output.find(" ok   TCP") != std::string::npos);
  CHECK(r.output.find("FAIL  HTTP") != std::string::npos);
  CHECK(r.output.find("reset (phase response) ECONNRESET") != std::string::npos);
  CHECK(r.output.find("What to check:") != std::string::npos);
  CHECK(r.output.find("\033[") == std::string::npos);  // no colour when not a terminal
}

TEST_CASE("check: usage errors exit 2 with a message") {
  CHECK(run_faultline({"check", "ftp://x/"}).status == 2);
  CHECK(run_faultline({"check", "--timeout", "5", "http://127.0.0.1/"}).status == 2);
  CHECK(run_faultline({"check", "--expect-status", "700", "http://127.0.0.1/"}).status == 2);
  CHECK(run_faultline({"check", "--header", "nocolon", "http://127.0.0.1/"}).status == 2);
  CHECK(run_faultline({"check", "--method", "HEAD", "tcp://127.0.0.1:1"}).status == 2);
  CHECK(run_faultline({"check", "--idle", "30s,10s", "http://127.0.0.1/"}).status == 2);
  CHECK(run_faultline({"check"}).status == 2);
  CHECK(run_faultline({"bogus"}).status == 2);
  Run help = run_faultline({"check", "--help"});
  CHECK(help.status == 0);
  CHECK(help.output.find("--expect-status") != std::string::npos);
}

TEST_CASE("check: an option with '=' and no value says so, not that the target is missing") {
  // CLI11 alone took the target as the value of `--method=` and asked for a target.
  LoopbackServer server(Behavior::http_ok);
  for (const std::string option : {"--method=", "--header=", "--timeout="}) {
    CAPTURE(option);
    Run r = run_faultline({"check", option, server.url()});
    CHECK(r.status == 2);
    CHECK(r.output.find(option.substr(0, option.size() - 1) + ": has no value after '='") !=
          std::string::npos);
    CHECK(r.output.find("TARGET is required") == std::string::npos);
  }
  CHECK(server.connections() == 0);
  CHECK(run_faultline({"check", "--method=HEAD", server.url()}).status == 0);
}

// #22 item 3: what the config refuses, check refuses too, in the same words, before it sends
// anything: the server would count the connection.
TEST_CASE("check: request injection through --method and --header is refused, nothing is sent") {
  LoopbackServer server(Behavior::http_ok);
  struct Case {
    std::vector<std::string> args;
    std::string check_message;   // after "faultline check: "
    std::string config_yaml;     // the same value in a config
    std::string config_message;  // what the config says about it
  };
  const std::vector<Case> cases = {
      {{"--header", "X: a\r\nInjected: b"},
       "--header: header 'X' has a line break in its value",
       "defaults: {headers: {X: \"a\\r\\nInjected: b\"}}\ntargets: []\n",
       "header 'X' has a line break in its value"},
      {{"--method", "GE\r\nT"},
       "--method must be an HTTP method such as GET or HEAD, not 'GE\\r\\nT'",
       "defaults: {method: \"GE\\r\\nT\"}\ntargets: []\n",
       "'method' must be an HTTP method such as GET or HEAD, not 'GE\\r\\nT'"},
      {{"--method", ""},
       "--method must not be empty",
       "defaults: {method: ''}\ntargets: []\n",
       "'method' must not be empty"},
      {{"--header", "Bad Header: x"},
       "--header: header name 'Bad Header' is not a valid HTTP header name",
       "defaults: {headers: {\"Bad Header\": x}}\ntargets: []\n",
       "header name 'Bad Header' is not a valid HTTP header name"},
  };
  for (const Case& c : cases) {
    CHECK(config_message(c.config_yaml) == c.config_message);
    std::vector<std::string> args = {"check"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.push_back(server.url("http", "/path"));
    SplitRun r = run_split(args);
    CHECK_MESSAGE(r.status == 2, c.check_message);
    CHECK(r.err == "faultline check: " + c.check_message + "\n");
    CHECK(r.out.empty());
  }
  // probe_once finishes its exchange before the process exits, so a request sent would have
  // been accepted by now.
  CHECK(server.connections() == 0);
}

TEST_CASE("check: a duplicate header, a missing colon and an unreadable --ca-file are refused") {
  SplitRun r =
      run_split({"check", "--header", "X-A: 1", "--header", "x-a: 2", "http://127.0.0.1:1/"});
  CHECK(r.status == 2);
  CHECK(r.err == "faultline check: --header: duplicate header 'x-a'\n");
  // The text may be a credential written without its colon: never echoed.
  r = run_split({"check", "--header", "Authorization Bearer s3cret", "http://127.0.0.1:1/"});
  CHECK(r.status == 2);
  CHECK(r.err.find("s3cret") == std::string::npos);
  CHECK(r.err ==
        "faultline check: --header must look like 'Name: value' (not shown: it may hold "
        "a secret)\n");
  r = run_split({"check", "--ca-file", "/dev/null", "https://127.0.0.1:1/"});
  CHECK(r.status == 2);
  CHECK(r.err ==
        "faultline check: --ca-file: /dev/null is not a regular file (a device, pipe or "
        "socket)\n");
}

// #22 item 13: zero needs no unit to be refused for what it is.
TEST_CASE("check: --timeout 0 and 0s both say the timeout must be positive") {
  for (const char* zero : {"0", "0s"}) {
    SplitRun r = run_split({"check", "--timeout", zero, "http://127.0.0.1:1/"});
    CHECK(r.status == 2);
    CHECK(r.err == "faultline check: --timeout must be positive, got 0s\n");
  }
}

// #22 item 12.
TEST_CASE("check --json: a usage error is one JSON object with 'error' on stdout, exit 2") {
  SplitRun r = run_split({"check", "--json", "--method", "", "http://127.0.0.1:1/"});
  CHECK(r.status == 2);
  CHECK(r.err == "faultline check: --method must not be empty\n");
  json j = json::parse(r.out);
  CHECK(j == json{{"error", "--method must not be empty"}});

  // Also for what the command line parser itself refuses.
  r = run_split({"check", "--json"});
  CHECK(r.status == 2);
  CHECK(r.err.find("TARGET is required") != std::string::npos);
  CHECK(json::parse(r.out) == json{{"error", "TARGET is required"}});

  // Without --json, stdout stays empty.
  r = run_split({"check", "--method", "", "http://127.0.0.1:1/"});
  CHECK(r.status == 2);
  CHECK(r.out.empty());
}

TEST_CASE("check --json: keys that do not apply are null, also on a failure without detail") {
  Run r = run_faultline({"check", "--json", "tcp://127.0.0.1:" + std::to_string(closed_port())});
  json j = json::parse(r.output);
  CHECK(j["class"] == "refused");
  CHECK(j["detail"].is_null());
  CHECK(j["http_status"].is_null());
  CHECK(j["tls"].is_null());
}

// #22 item 13.
TEST_CASE("cli: an unknown command is named, with the commands there are, exit 2") {
  SplitRun r = run_split({"bogus"});
  CHECK(r.status == 2);
  CHECK(r.err ==
        "faultline: unknown command 'bogus'; commands: run, check, report, config, version\n"
        "Run with --help for more information.\n");
  r = run_split({"--log-level", "debug", "chek", "http://127.0.0.1/"});
  CHECK(r.status == 2);
  CHECK(
      r.err.starts_with("faultline: unknown command 'chek' (did you mean 'check'?); commands: "
                        "run, check, report, config, version\n"));
  r = run_split({"config", "chek", "x.yaml"});
  CHECK(r.status == 2);
  CHECK(
      r.err.starts_with("faultline: unknown command 'config chek' (did you mean 'check'?); "
                        "commands: config check\n"));
  r = run_split({});
  CHECK(r.status == 2);
  CHECK(
      r.err.starts_with("faultline: a command is required; commands: run, check, report, "
                        "config, version\n"));
  CHECK(run_split({"--help"}).status == 0);
}

// #16: one list of level names; "warning" is accepted as "warn" by the command line and the
// config alike.
TEST_CASE("cli: --log-level takes the config's names, warning too, and says which it takes") {
  CHECK(run_split({"--log-level", "warning", "version"}).status == 0);
  SplitRun r = run_split({"--log-level", "inf", "version"});
  CHECK(r.status == 2);
  CHECK(
      r.err.starts_with("--log-level: must be one of trace, debug, info, warn, error, critical, "
                        "off; not 'inf' (did you mean 'info'?)\n"));
}

// #22 item 14: the steps of the experiment ran in parallel and were printed in the order they
// ended (idle 0 s, 2 s, 1 s for --idle 1s,2s against a server that closes every connection).
TEST_CASE("check --idle: steps are shown by idle time, in text and JSON alike") {
  using std::chrono::milliseconds;
  faultline::IdleReport report;
  report.finding.kind = faultline::IdleFindingKind::server_close;
  for (int ms : {0, 2000, 1000}) {
    faultline::IdleStepResult step;
    step.request.idle = milliseconds(ms);
    step.outcome = faultline::IdleOutcome::closed_by_server;
    step.message = "closed after " + std::to_string(ms);
    report.steps.push_back(step);
  }
  faultline::IdleStepResult keepalive;
  keepalive.request.idle = milliseconds(1000);
  keepalive.request.keepalive = milliseconds(500);
  keepalive.outcome = faultline::IdleOutcome::survived;
  keepalive.message = "kept alive";
  report.steps.insert(report.steps.begin(), keepalive);

  const std::string text = faultline::render_idle_text(report, false);
  const auto at = [&](const std::string& s) { return text.find(s); };
  REQUIRE(at("closed after 0") != std::string::npos);
  CHECK(at("closed after 0") < at("closed after 1000"));
  CHECK(at("closed after 1000") < at("kept alive"));
  CHECK(at("kept alive") < at("closed after 2000"));

  const json steps = faultline::idle_json(report)["steps"];
  REQUIRE(steps.size() == 4);
  CHECK(steps[0]["idle_s"] == 0.0);
  CHECK(steps[1]["idle_s"] == 1.0);
  CHECK(steps[1]["keepalive_s"].is_null());
  CHECK(steps[2]["keepalive_s"] == 0.5);
  CHECK(steps[3]["idle_s"] == 2.0);
}

TEST_CASE("check: a SIGTERM stops it at once, the daemon's held signals are released for it") {
  // main() holds SIGTERM from exec on for `faultline run`; every other command must get it back,
  // or a hanging check would ignore the stop until its own timeout.
  LoopbackServer server(Behavior::silent_after_client_hello);
  TempDir dir;
  ChildProcess p({FAULTLINE_BINARY, "check", "--timeout", "30s", server.url("tls", "")}, {},
                 dir.file("out"));
  REQUIRE(server.wait_for_connections(1, std::chrono::seconds(10)));
  const auto sent = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  const auto status = p.wait(std::chrono::seconds(10));
  REQUIRE(status.has_value());
  CHECK(*status == 128 + SIGTERM);
  CHECK(std::chrono::steady_clock::now() - sent < std::chrono::seconds(5));
}

TEST_CASE("check: --server-name, --tls-min, -4 and -6 reach the probe") {
  const TestPki& pki = shared_test_pki();
  LoopbackServerOptions o;
  o.behavior = Behavior::tls_http_ok;
  o.tls = pki.wrong_name.material();  // SAN DNS:wrong.example only
  o.tls_max_version = TLS1_2_VERSION;
  LoopbackServer server(o);
  const std::string url = server.url("https");
  CHECK(run_faultline({"check", "--ca-file", pki.ca_path, url}).status == 1);
  Run named = run_faultline(
      {"check", "--json", "--ca-file", pki.ca_path, "--server-name", "wrong.example", url});
  CHECK(named.status == 0);
  CHECK(json::parse(named.output)["tls"]["version"] == "TLSv1.2");
  Run v13 = run_faultline({"check", "--json", "--ca-file", pki.ca_path, "--server-name",
                           "wrong.example", "--tls-min", "1.3", url});
  CHECK(v13.status == 1);
  json j = json::parse(v13.output);
  CHECK(j["class"] == "tls");
  CHECK(j["detail"] == "handshake");
  CHECK(j["message"].get<std::string>().find("does not speak TLS 1.3") != std::string::npos);
  CHECK(run_faultline(
            {"check", "-4", "--ca-file", pki.ca_path, "--server-name", "wrong.example", url})
            .status == 0);
}

TEST_CASE("check: the TLS line and --json name the server_name used for SNI and the check") {
  const TestPki& pki = shared_test_pki();
  LoopbackServerOptions o;
  o.behavior = Behavior::tls_http_ok;
  o.tls = pki.wrong_name.material();  // SAN DNS:wrong.example only
  LoopbackServer server(o);
  const std::string url = server.url("https");
  Run text =
      run_faultline({"check", "--ca-file", pki.ca_path, "--server-name", "wrong.example", url});
  INFO(text.output);
  CHECK(text.status == 0);
  CHECK(text.output.find(" ok   TLS  SNI wrong.example, TLSv1.3") != std::string::npos);
  // A failed handshake names it too: the name is what the certificate failed against.
  Run other =
      run_faultline({"check", "--ca-file", pki.ca_path, "--server-name", "other.example", url});
  INFO(other.output);
  CHECK(other.status == 1);
  CHECK(other.output.find("FAIL  TLS  SNI other.example") != std::string::npos);
  Run j = run_faultline(
      {"check", "--json", "--ca-file", pki.ca_path, "--server-name", "wrong.example", url});
  CHECK(json::parse(j.output)["server_name"] == "wrong.example");
  // Without server_name the URL's host is the name, and there is nothing more to say.
  Run plain = run_faultline({"check", "--ca-file", pki.ca_path, url});
  CHECK(plain.output.find("TLS  SNI") == std::string::npos);
  CHECK(plain.output.find("TLS  TLSv1.3") != std::string::npos);
  CHECK(json::parse(
            run_faultline({"check", "--json", "--ca-file", pki.ca_path, url}).output)["server_name"]
            .is_null());
}

TEST_CASE("check: bad --server-name, --tls-min, -4/-6 say what the config says, exit 2") {
  SplitRun tls = run_split({"check", "--tls-min", "1.1", "https://127.0.0.1/"});
  CHECK(tls.status == 2);
  CHECK(tls.err.find("--tls-min must be \"1.2\" or \"1.3\", not '1.1'") != std::string::npos);
  CHECK(config_message("defaults: {tls_min_version: 1.1}\ntargets: []\n") ==
        "'tls_min_version' must be \"1.2\" or \"1.3\", not '1.1'");
  SplitRun sni = run_split({"check", "--server-name", "a b", "https://127.0.0.1/"});
  CHECK(sni.status == 2);
  CHECK(sni.err.find("--server-name must be a DNS name") != std::string::npos);
  SplitRun six = run_split({"check", "-6", "http://127.0.0.1/"});
  CHECK(six.status == 2);
  CHECK(six.err.find("ip_family: ipv6 excludes the URL's address '127.0.0.1'") !=
        std::string::npos);
  CHECK(run_faultline({"check", "-4", "-6", "http://localhost/"}).status == 2);
  CHECK(run_faultline({"check", "--tls-min", "1.2", "http://127.0.0.1/"}).status == 2);
}

TEST_CASE("check: --cert and --key answer a server that demands a client certificate") {
  const TestPki& pki = shared_test_pki();
  LoopbackServerOptions o;
  o.behavior = Behavior::tls_http_ok;
  o.tls = pki.good.material();
  o.client_ca_path = pki.ca_path;
  LoopbackServer server(o);
  const std::string url = server.url("https");
  Run none = run_faultline({"check", "--json", "--ca-file", pki.ca_path, url});
  CHECK(none.status == 1);
  json j = json::parse(none.output);
  CHECK(j["class"] == "tls");
  CHECK(j["detail"] == "client_certificate");
  CHECK(j["advice"].get<std::string>().find("client_cert") != std::string::npos);
  CHECK(run_faultline({"check", "--ca-file", pki.ca_path, "--cert", pki.client.cert_path, "--key",
                       pki.client.key_path, url})
            .status == 0);
  SplitRun half = run_split({"check", "--cert", pki.client.cert_path, url});
  CHECK(half.status == 2);
  CHECK(half.err.find("--cert and --key go together") != std::string::npos);
  SplitRun missing =
      run_split({"check", "--cert", "/nonexistent/c.pem", "--key", pki.client.key_path, url});
  CHECK(missing.status == 2);
  CHECK(missing.err.find("--cert: cannot read /nonexistent/c.pem") != std::string::npos);
}

TEST_CASE("check: a proxy in the environment is not used behind the user's back") {
  LoopbackServer server(Behavior::http_ok);
  const std::string dead = "http://127.0.0.1:" + std::to_string(closed_port());
  TempDir dir;
  ChildProcess p(
      {FAULTLINE_BINARY, "check", "--json", server.url()},
      {"http_proxy=" + dead, "HTTPS_PROXY=" + dead, "ALL_PROXY=" + dead, "all_proxy=" + dead},
      dir.file("out"));
  auto status = p.wait(std::chrono::seconds(20));
  REQUIRE(status.has_value());
  INFO(p.output());
  CHECK(*status == 0);
  CHECK(json::parse(p.output())["remote_addr"] == "127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("check: --key of another certificate is refused before anything is sent, exit 2") {
  const TestPki& pki = shared_test_pki();
  SplitRun r = run_split({"check", "--cert", pki.client.cert_path, "--key",
                          pki.other_client.key_path, "https://127.0.0.1/"});
  CHECK(r.status == 2);
  CHECK(r.err.find("does not match client_cert") != std::string::npos);
}

TEST_CASE("check dns://: --json shows the records, TTL, server and transport - text too") {
  FakeDnsServer dns;
  dns.mx("mail.test", 10, "mx1.mail.test", 300).mx("mail.test", 20, "mx2.mail.test", 120);
  const std::string server = "127.0.0.1:" + std::to_string(dns.port());
  const std::string url = "dns://" + server + "/mail.test?type=MX";
  Run r = run_faultline({"check", "--json", "--expect-answer", "10 MX1.mail.test.", url});
  CHECK(r.status == 0);
  json j = json::parse(r.output);
  CHECK(j["class"] == "ok");
  CHECK(j["remote_addr"] == server);
  CHECK(j["dns"]["question"] == "MX mail.test");
  CHECK(j["dns"]["server"] == server);
  CHECK(j["dns"]["rcode"] == "NOERROR");
  CHECK(j["dns"]["records"] == json::array({"10 mx1.mail.test", "20 mx2.mail.test"}));
  CHECK(j["dns"]["ttl"] == 120);
  CHECK(j["dns"]["transport"] == "udp");
  CHECK(j["dns"]["response_ms"].is_number());
  CHECK(j["timings"]["dns_ms"].is_number());
  CHECK(j["timings"]["connect_ms"].is_null());

  Run text = run_faultline({"check", url});
  CHECK(text.status == 0);
  CHECK(text.output.find("DNS  MX mail.test @" + server + " over UDP") != std::string::npos);
  CHECK(text.output.find("        10 mx1.mail.test\n        20 mx2.mail.test\n") !=
        std::string::npos);
  CHECK(text.output.find("NOERROR, TTL 120 s") != std::string::npos);
  CHECK(text.output.find("TCP") == std::string::npos);

  Run mismatch = run_faultline({"check", "--json", "--expect-answer", "30 mx3.mail.test", url});
  CHECK(mismatch.status == 1);
  json m = json::parse(mismatch.output);
  CHECK(m["class"] == "dns");
  CHECK(m["phase"] == "dns");
  CHECK(m["detail"] == "answer_mismatch");
  CHECK(m["advice"].get<std::string>().find("expect") != std::string::npos);
}

TEST_CASE("check tcp://: --send and --expect hold a conversation - a wrong reply exits 1") {
  LoopbackServerOptions o;
  o.behavior = Behavior::line_reply;
  o.reply = "+PONG\r\n";
  LoopbackServer redis(o);
  const std::string url = redis.url("tcp", "");
  Run ok = run_faultline({"check", "--send", "PING\\r\\n", "--expect", "^\\+PONG$", url});
  CHECK(ok.status == 0);
  CHECK(redis.last_request() == "PING\r\n");
  CHECK(ok.output.find("APP  sent 'PING\\r\\n', expect '^\\+PONG$', got '+PONG\\r\\n'") !=
        std::string::npos);

  Run wrong = run_faultline(
      {"check", "--json", "--timeout", "600ms", "--send", "PING\\r\\n", "--expect", "^-ERR", url});
  CHECK(wrong.status == 1);
  json j = json::parse(wrong.output);
  CHECK(j["class"] == "protocol");
  CHECK(j["phase"] == "response");
  CHECK(j["detail"] == "expect_mismatch");
  CHECK(j["exchange"]["sent"] == 6);
  CHECK(j["exchange"]["received"] == 7);
  CHECK(j["exchange"]["reply"] == "+PONG\r\n");
  CHECK(j["message"].get<std::string>().find("'+PONG\\r\\n'") != std::string::npos);
}

TEST_CASE("check: --send, --expect and --expect-answer are validated as the config's keys") {
  const std::string dns = "dns://127.0.0.1:53/a.test";
  const std::string tcp = "tcp://127.0.0.1:" + std::to_string(closed_port());
  struct Bad {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {{"--send", "x", dns}, "--send and --expect only apply to tcp:// and tls:// targets"},
      {{"--expect", "x", "http://127.0.0.1:1/"},
       "--send and --expect only apply to tcp:// and tls:// targets"},
      {{"--expect-answer", "192.0.2.1", tcp}, "--expect-answer only applies to dns:// targets"},
      {{"--idle", "10s", dns},
       "--idle only applies to http://, https://, tcp:// and tls:// targets"},
      {{"--send", "a\\q", tcp}, "--send: unknown escape '\\q'; use \\r, \\n, \\t, \\\\ or \\xNN"},
      {{"--expect", "a(b", tcp},
       "--expect: pattern 'a(b' is not a valid regular expression: at character 4, missing "
       "closing parenthesis"},
      {{"--expect-answer", "::1", dns}, "--expect-answer (type A): '::1' is not an IPv4 address"},
  };
  for (const Bad& bad : cases) {
    std::vector<std::string> args = {"check"};
    args.insert(args.end(), bad.args.begin(), bad.args.end());
    SplitRun r = run_split(args);
    CAPTURE(bad.message);
    CHECK(r.status == 2);
    CHECK(r.err == "faultline check: " + bad.message + "\n");
    CHECK(r.out.empty());
  }
  // The config says the same about the same values.
  CHECK(config_message("targets:\n  - name: a\n    url: " + tcp + "\n    expect: 'a(b'\n") ==
        "'expect': pattern 'a(b' is not a valid regular expression: at character 4, missing "
        "closing parenthesis");
}

TEST_CASE("check smtp://: greeting, STARTTLS and the certificate in text and JSON") {
  const TestPki& pki = shared_test_pki();
  MailServerOptions o;
  o.protocol = MailProtocol::smtp;
  o.tls = pki.good.material();
  MailServer server(o);
  const std::string url = server.url("smtp");
  Run text = run_faultline({"check", "--ca-file", pki.ca_path, url});
  INFO(text.output);
  CHECK(text.status == 0);
  CHECK(text.output.find("SMTP greeting, capabilities, STARTTLS") != std::string::npos);
  CHECK(text.output.find("TLS  TLSv1.3") != std::string::npos);
  // The mail layer comes before the TLS it negotiates.
  CHECK(text.output.find("SMTP greeting") < text.output.find("TLS  TLSv1.3"));

  Run j = run_faultline({"check", "--json", "--ca-file", pki.ca_path, url});
  CHECK(j.status == 0);
  json out = json::parse(j.output);
  CHECK(out["class"] == "ok");
  CHECK(out["tls"]["version"] == "TLSv1.3");
  CHECK(out["tls"]["not_after"].is_string());
  CHECK(out["message"].get<std::string>().find("started TLSv1.3 with STARTTLS") !=
        std::string::npos);

  MailServerOptions bare = o;
  bare.offer_starttls = false;
  MailServer plain(bare);
  Run none = run_faultline({"check", "--json", "--ca-file", pki.ca_path, plain.url("smtp")});
  CHECK(none.status == 1);
  json fail = json::parse(none.output);
  CHECK(fail["class"] == "protocol");
  CHECK(fail["phase"] == "response");
  CHECK(fail["detail"] == "no_starttls");

  Run clear = run_faultline({"check", "--no-starttls", plain.url("smtp")});
  CHECK(clear.status == 0);
  CHECK(clear.output.find("SMTP greeting, capabilities ") != std::string::npos);
  CHECK(clear.output.find("TLS ") == std::string::npos);

  Run misuse = run_faultline({"check", "--no-starttls", plain.url("smtps")});
  CHECK(misuse.status == 2);
  CHECK(misuse.output.find("--no-starttls only applies to smtp://, imap:// and pop3:// targets") !=
        std::string::npos);
}
