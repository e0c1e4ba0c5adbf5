// path_advice: what to check, from a trace's verdict, the hop and the host's answer to ping.
#include "checks/path_advice.hpp"

#include <doctest/doctest.h>

#include "fake_tracer.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("path advice: names the hop and what the host's ping says") {
  PathTrace t = dropped_after_hop_2();
  const std::string next_to_host = path_advice(t);
  CHECK(has(next_to_host, "no further than 10.0.2.1 (hop 2)"));
  CHECK(has(next_to_host, "its own firewall (or one in front of it) drops this port"));
  t.findings.host_hop = 7;
  CHECK(has(path_advice(t), "between hop 2 and the host"));
  t.findings.host_hop.reset();
  t.findings.host_answers_ping = false;
  CHECK(has(path_advice(t), "does not answer ping either"));
}

TEST_CASE("path advice: each verdict has its own, a trace that did not run none") {
  PathTrace t;
  t.findings.verdict = PathVerdict::local_drop;
  CHECK(has(path_advice(t), "This host's own firewall drops the SYNs"));
  t.findings.verdict = PathVerdict::unreachable_at_hop;
  t.findings.last_hop = LastHop{3, "10.0.2.2"};
  t.findings.unreachable_code = "net-unreachable";
  CHECK(has(path_advice(t), "10.0.2.2 (hop 3) answers net unreachable"));
  t.findings.verdict = PathVerdict::reached;
  CHECK(has(path_advice(t), "transient"));
  t.findings.verdict = PathVerdict::no_answer;
  CHECK(has(path_advice(t), "not even the first router"));
  t.local_error = "cannot open its TCP sockets";
  CHECK(path_advice(t).empty());
}
