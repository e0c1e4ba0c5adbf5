// `faultline check` as a user runs it: the real binary, its exit status and its JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline::testing;
using json = nlohmann::ordered_json;

namespace {

struct Run {
  int status = -1;
  std::string output;
};

Run run_faultline(const std::vector<std::string>& args) {
  TempDir dir;
  std::vector<std::string> argv = {FAULTLINE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess p(argv, {}, dir.file("out"));
  auto status = p.wait(std::chrono::seconds(20));
  REQUIRE(status.has_value());
  return {*status, p.output()};
}

}  // namespace

TEST_CASE("check --json: exactly one object with the documented keys, exit 0 when ok") {
  LoopbackServer server(Behavior::http_ok);
  Run r = run_faultline({"check", "--json", server.url("http", "/healthz")});
  CHECK(r.status == 0);
  json j = json::parse(r.output);
  const std::vector<std::string> keys = {"target",      "class",   "phase",   "detail",
                                         "errno",       "message", "timings", "http_status",
                                         "remote_addr", "tls",     "advice"};
  std::vector<std::string> got;
  for (auto& [k, v] : j.items())
    got.push_back(k);
  CHECK(got == keys);
  CHECK(j["class"] == "ok");
  CHECK(j["phase"] == "");
  CHECK(j["detail"] == "");
  CHECK(j["errno"].is_null());
  CHECK(j["http_status"] == 200);
  CHECK(j["tls"].is_null());
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
