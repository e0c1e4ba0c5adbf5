// judge_path and path_sentence on hand-made hops: the verdict rules without a network.
#include "checks/path_verdict.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>

#include <vector>

#include "checks/path_trace.hpp"

using namespace faultline;

namespace {

PathHop hop(int ttl, HopReply reply, const std::string& address = "", int answered = 1) {
  PathHop h;
  h.ttl = ttl;
  h.reply = reply;
  h.address = reply == HopReply::none ? "" : address;
  h.sent = 2;
  h.answered = reply == HopReply::none ? 0 : answered;
  return h;
}

PathTrace trace_of(std::vector<PathHop> tcp, std::vector<PathHop> echo) {
  PathTrace t;
  t.address = "10.0.0.5";
  t.port = 443;
  t.hops = std::move(tcp);
  t.echo_hops = std::move(echo);
  t.findings = judge_path(t.hops, t.echo_hops);
  return t;
}

const std::vector<PathHop> kEchoToHop3 = {hop(1, HopReply::time_exceeded, "10.0.1.1"),
                                          hop(2, HopReply::time_exceeded, "10.0.2.1"),
                                          hop(3, HopReply::echo_reply, "10.0.0.5")};

}  // namespace

TEST_CASE("path verdict: names round-trip") {
  for (auto v : {PathVerdict::dropped_after_hop, PathVerdict::local_drop,
                 PathVerdict::unreachable_at_hop, PathVerdict::reached, PathVerdict::no_answer}) {
    CHECK(path_verdict_from_string(to_string(v)) == v);
  }
  CHECK(to_string(PathVerdict::dropped_after_hop) == "dropped_after_hop");
  CHECK_FALSE(path_verdict_from_string("dropped"));
}

TEST_CASE("path verdict: silence after hop 2 is dropped_after_hop at hop 2") {
  const PathTrace t = trace_of(
      {hop(1, HopReply::time_exceeded, "10.0.1.1"), hop(2, HopReply::time_exceeded, "10.0.2.1"),
       hop(3, HopReply::none), hop(4, HopReply::none)},
      kEchoToHop3);
  CHECK(t.findings.verdict == PathVerdict::dropped_after_hop);
  CHECK(t.findings.last_hop == LastHop{2, "10.0.2.1"});
  CHECK(t.findings.host_hop == 3);
  CHECK(t.findings.host_answers_ping);
  CHECK_FALSE(t.findings.max_hops_reached);
  CHECK(path_sentence(t) ==
        "packets to port 443 stop after hop 2 (10.0.2.1); the host answers ping at hop 3");
}

TEST_CASE("path verdict: a silent hop before an answering one does not end the path") {
  const PathTrace t = trace_of(
      {hop(1, HopReply::none), hop(2, HopReply::time_exceeded, "10.0.2.1"), hop(3, HopReply::none)},
      {});
  CHECK(t.findings.verdict == PathVerdict::dropped_after_hop);
  CHECK(t.findings.last_hop == LastHop{2, "10.0.2.1"});
  CHECK_FALSE(t.findings.host_answers_ping);
  CHECK_FALSE(t.findings.host_hop);
}

TEST_CASE("path verdict: the port's answer is reached, the nearest one counts") {
  const PathTrace t =
      trace_of({hop(1, HopReply::time_exceeded, "10.0.1.1"), hop(2, HopReply::rst, "10.0.0.5"),
                hop(3, HopReply::syn_ack, "10.0.0.5")},
               kEchoToHop3);
  CHECK(t.findings.verdict == PathVerdict::reached);
  CHECK(t.findings.last_hop == LastHop{2, "10.0.0.5"});
  CHECK(path_sentence(t) ==
        "port 443 answers at hop 2 (10.0.0.5) now; the host answers ping at "
        "hop 3");
}

TEST_CASE("path verdict: unreachable names the router and the code") {
  PathHop unreachable = hop(2, HopReply::unreachable, "10.0.2.1");
  unreachable.code = "net-unreachable";
  const PathTrace t =
      trace_of({hop(1, HopReply::time_exceeded, "10.0.1.1"), unreachable, hop(3, HopReply::none)},
               {hop(1, HopReply::time_exceeded, "10.0.1.1"), hop(2, HopReply::none)});
  CHECK(t.findings.verdict == PathVerdict::unreachable_at_hop);
  CHECK(t.findings.last_hop == LastHop{2, "10.0.2.1"});
  CHECK(t.findings.unreachable_code == "net-unreachable");
  CHECK(path_sentence(t) ==
        "10.0.2.1 at hop 2 answers net unreachable; the host does not answer ping");
}

TEST_CASE("path verdict: TCP silence with hop 1 answering ping is a local drop") {
  const std::vector<PathHop> silent = {hop(1, HopReply::none), hop(2, HopReply::none)};
  const PathTrace local = trace_of(silent, kEchoToHop3);
  CHECK(local.findings.verdict == PathVerdict::local_drop);
  CHECK_FALSE(local.findings.last_hop);
  const PathTrace nothing = trace_of(silent, {hop(1, HopReply::none), hop(2, HopReply::none)});
  CHECK(nothing.findings.verdict == PathVerdict::no_answer);
  CHECK(path_sentence(nothing) ==
        "nothing on the path to port 443 answers; the host does not answer ping");
  const PathTrace no_echo = trace_of(silent, {});
  CHECK(no_echo.findings.verdict == PathVerdict::no_answer);
  // Hop 1 is the host itself: its silence on the port and a drop here look alike.
  const PathTrace adjacent = trace_of(silent, {hop(1, HopReply::echo_reply, "10.0.0.5")});
  CHECK(adjacent.findings.verdict == PathVerdict::no_answer);
  CHECK(adjacent.findings.host_hop == 1);
}

TEST_CASE("path verdict: an answer at the last TTL traced says max_hops") {
  const PathTrace t = trace_of(
      {hop(1, HopReply::time_exceeded, "10.0.1.1"), hop(2, HopReply::time_exceeded, "10.0.2.1")},
      {});
  CHECK(t.findings.verdict == PathVerdict::dropped_after_hop);
  CHECK(t.findings.max_hops_reached);
  CHECK(path_sentence(t).find("the last hop traced (max_hops)") != std::string::npos);
}

TEST_CASE("path verdict: a trace that could not run says why") {
  PathTrace t;
  t.local_errno = 24;
  t.local_error = "cannot open its TCP sockets: Too many open files (EMFILE)";
  CHECK_FALSE(t.ran());
  CHECK(path_sentence(t) ==
        "the path trace could not run: cannot open its TCP sockets: Too many open files (EMFILE)");
}

TEST_CASE("path hop: unreachable codes under nftables' names") {
  CHECK(unreachable_code_name(AF_INET, 0) == "net-unreachable");
  CHECK(unreachable_code_name(AF_INET, 13) == "admin-prohibited");
  CHECK(unreachable_code_name(AF_INET6, 3) == "addr-unreachable");
  CHECK(unreachable_code_name(AF_INET, 42) == "code-42");
  CHECK(unreachable_code_words("host-unreachable") == "host unreachable");
}
