// `faultline check` traces the path after a connect timeout or an unreachable: the table and
// verdict under the failed layer, --json's `path`, --no-trace and --trace. The binary runs in
// the client namespace of tests/support/path_topology (client - router 1 - router 2 - server).
// Needs root; skipped otherwise.
#include <doctest/doctest.h>

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/path_topology.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"

using namespace faultline::testing;
using json = nlohmann::json;

namespace {

using Node = PathTopology::Node;

const std::string kTarget = "tcp://10.31.3.2:" + std::to_string(PathTopology::kServerPort);

// What `faultline ARGS` printed (stdout and stderr); `status` gets its exit status.
std::string run_binary(const std::string& args, int& status) {
  const std::string command = std::string("'") + FAULTLINE_BINARY + "' " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {};
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;)
    out.append(buf, n);
  const int raw = pclose(pipe);
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

int fail(const std::string& what, const std::string& output) {
  std::printf("FAILED %s:\n%s\n", what.c_str(), output.c_str());
  return 1;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void in_topology(const std::function<bool(const PathTopology&)>& fault,
                 const std::function<int()>& body) {
  NetnsOptions options;
  options.timeout = std::chrono::seconds(60);
  NetnsResult result = run_in_netns(
      [&] {
        PathTopology topology;
        if (const std::string why = topology.build(); !why.empty()) return fail(why, "");
        if (!fault(topology)) return 1;
        return body();
      },
      options);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}

bool drop_at_router2(const PathTopology& t) {
  return t.run(Node::router2,
               PathTopology::nft_rule(
                   "forward", "tcp dport " + std::to_string(PathTopology::kServerPort) + " drop"));
}

}  // namespace

TEST_CASE("check path: a connect timeout shows where the SYNs stop, in text and --json") {
  in_topology(drop_at_router2, [] {
    int failures = 0;
    int status = -1;
    const std::string text = run_binary("check --timeout 1s " + kTarget, status);
    const bool table = contains(text, "Path to 10.31.3.2 port 8443") &&
                       contains(text, "2    10.31.2.2") && contains(text, "time_exceeded") &&
                       contains(text, "10.31.3.2 (echo reply)");
    if (status != 1 || !table ||
        !contains(text,
                  "Path: packets to port 8443 stop after hop 2 (10.31.2.2); the host "
                  "answers ping at hop 3.") ||
        text.find("Path:") > text.find("What to check:") ||
        !contains(text, "What to check: SYNs to this port get no further than 10.31.2.2 (hop 2)")) {
      failures += fail("text report, status " + std::to_string(status), text);
    }
    const std::string out = run_binary("check --json --timeout 1s " + kTarget, status);
    const json j = json::parse(out, nullptr, false);
    const json& p = j.is_object() ? j["path"] : json();
    const bool good =
        status == 1 && j["class"] == "timeout" && j["phase"] == "connect" && p.is_object() &&
        p["verdict"] == "dropped_after_hop" && p["last_hop"]["ttl"] == 2 &&
        p["last_hop"]["address"] == "10.31.2.2" && p["host_answers_ping"] == true &&
        p["host_hop"] == 3 && p["hops"].size() == 30 && p["hops"][0]["ttl"] == 1 &&
        p["hops"][0]["address"] == "10.31.1.2" && p["hops"][0]["reply"] == "time_exceeded" &&
        p["hops"][0]["rtt_ms"].is_number() && p["hops"][2]["reply"] == "none" &&
        p["hops"][2]["address"].is_null() && p["hops"][2]["rtt_ms"].is_null() &&
        j["advice"].get<std::string>().starts_with("SYNs to this port get no further than");
    if (!good) failures += fail("--json path, status " + std::to_string(status), out);
    const std::string skipped =
        run_binary("check --json --no-trace --timeout 1s " + kTarget, status);
    const json none = json::parse(skipped, nullptr, false);
    if (status != 1 || !none.is_object() || !none["path"].is_null()) {
      failures += fail("--no-trace", skipped);
    }
    return failures;
  });
}

TEST_CASE("check path: an ok result traces only with --trace") {
  in_topology(
      [](const PathTopology&) { return true; },
      [] {
        int failures = 0;
        int status = -1;
        const std::string plain = run_binary("check --json " + kTarget, status);
        const json j = json::parse(plain, nullptr, false);
        if (status != 0 || !j.is_object() || !j["path"].is_null()) {
          failures += fail("no trace by default", plain);
        }
        const std::string traced = run_binary("check --trace " + kTarget, status);
        if (status != 0 || !contains(traced, "Path: port 8443 answers at hop 3 (10.31.3.2) now")) {
          failures += fail("--trace", traced);
        }
        return failures;
      });
}

TEST_CASE("check path: an unreachable from a router names it") {
  const auto fault = [](const PathTopology& t) {
    return t.run(Node::router1, "ip route del 10.31.3.0/24; ip route add unreachable 10.31.3.0/24");
  };
  in_topology(fault, [] {
    int status = -1;
    const std::string out = run_binary("check --json --timeout 2s " + kTarget, status);
    const json j = json::parse(out, nullptr, false);
    const bool good = status == 1 && j.is_object() && j["class"] == "unreachable" &&
                      j["path"]["verdict"] == "unreachable_at_hop" &&
                      j["path"]["last_hop"]["address"] == "10.31.1.2" &&
                      j["path"]["host_answers_ping"] == false && j["path"]["host_hop"].is_null();
    return good ? 0 : fail("unreachable", out);
  });
}

TEST_CASE("check path: --trace and --no-trace exclude each other") {
  int status = -1;
  const std::string out = run_binary("check --trace --no-trace tcp://127.0.0.1:9", status);
  CHECK(status == 2);
  CHECK(contains(out, "excludes"));
}
