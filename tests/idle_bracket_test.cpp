#include "checks/idle_bracket.hpp"

#include <doctest/doctest.h>

#include <functional>

using namespace faultline;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

using World = std::function<IdleStepResult(const IdleStepRequest&)>;

// Runs the whole experiment against a simulated network; returns the number of batches.
int run(IdleBracket& b, const World& world) {
  int batches = 0;
  while (!b.done()) {
    auto batch = b.next_batch();
    if (batch.empty()) break;
    ++batches;
    for (const auto& req : batch)
      b.record(world(req));
  }
  return batches;
}

// A middlebox that forgets connections idle >= t; keepalive below t keeps them alive.
World middlebox(milliseconds t, IdleOutcome how = IdleOutcome::reset,
                bool honours_keepalive = true) {
  return [=](const IdleStepRequest& r) {
    IdleStepResult s;
    s.request = r;
    const bool kept = r.keepalive && *r.keepalive < t && honours_keepalive;
    s.outcome = (r.idle >= t && !kept) ? how : IdleOutcome::survived;
    return s;
  };
}

std::vector<milliseconds> ladder(std::initializer_list<int> secs) {
  std::vector<milliseconds> out;
  for (int s : secs)
    out.push_back(seconds(s));
  return out;
}

}  // namespace

TEST_CASE("idle bracket: a middlebox threshold is bracketed and keepalive verified") {
  IdleBracket b(ladder({10, 30, 60}), {2, 3, milliseconds(1000), true});
  run(b, middlebox(seconds(20)));
  IdleFinding f = b.finding();
  CHECK(f.kind == IdleFindingKind::middlebox_reset);
  CHECK(f.threshold_low_s < 20.0);
  REQUIRE(f.threshold_high_s);
  CHECK(*f.threshold_high_s >= 20.0);
  CHECK(*f.threshold_high_s - f.threshold_low_s < 1.4);  // 20 s shrunk 4x twice, rounded
  CHECK(f.keepalive_verified == KeepaliveVerdict::yes);
  REQUIRE(f.keepalive_interval_s);
  CHECK(*f.keepalive_interval_s < f.threshold_low_s);
  CHECK(f.resets > 0);
  CHECK(f.summary.find("middlebox") != std::string::npos);
  CHECK(f.summary.find("fixed it") != std::string::npos);
}

TEST_CASE("idle bracket: the first batch is the control plus the whole ladder") {
  IdleBracket b(ladder({30, 120}), {});
  auto batch = b.next_batch();
  REQUIRE(batch.size() == 3);
  CHECK(batch[0].idle == milliseconds(0));
  CHECK(batch[1].idle == seconds(30));
  CHECK(batch[2].idle == seconds(120));
}

TEST_CASE("idle bracket: nothing fails, nothing found") {
  IdleBracket b(ladder({10, 30}), {2, 3, milliseconds(1000), true});
  CHECK(run(b, middlebox(seconds(3600))) == 1);
  IdleFinding f = b.finding();
  CHECK(f.kind == IdleFindingKind::none);
  CHECK(f.threshold_low_s == 30.0);
  CHECK_FALSE(f.threshold_high_s);
  CHECK(f.keepalive_verified == KeepaliveVerdict::untested);
}

TEST_CASE("idle bracket: the server closing idle connections is not a middlebox") {
  IdleBracket b(ladder({10, 30, 60}), {2, 3, milliseconds(1000), true});
  run(b, [](const IdleStepRequest& r) {
    IdleStepResult s;
    s.request = r;
    if (r.idle >= seconds(15)) {
      s.outcome = IdleOutcome::closed_by_server;
      s.ended_after = seconds(15);
    } else {
      s.outcome = IdleOutcome::survived;
    }
    return s;
  });
  IdleFinding f = b.finding();
  CHECK(f.kind == IdleFindingKind::server_close);
  REQUIRE(f.threshold_high_s);
  CHECK(*f.threshold_high_s == 15.0);
  CHECK(f.threshold_low_s >= 10.0);
  CHECK(f.keepalive_verified == KeepaliveVerdict::untested);  // keepalive cannot fix this
  CHECK(f.advice.find("pool idle timeout") != std::string::npos);
}

TEST_CASE("idle bracket: resets on immediate reuse are the server's, with no keepalive advice") {
  IdleBracket b(ladder({10, 30}), {2, 3, milliseconds(1000), true});
  CHECK(run(b, [](const IdleStepRequest& r) {
          IdleStepResult s;
          s.request = r;
          s.outcome = IdleOutcome::reset;
          return s;
        }) == 1);
  IdleFinding f = b.finding();
  CHECK(f.kind == IdleFindingKind::server_reset);
  CHECK(f.keepalive_verified == KeepaliveVerdict::untested);
  CHECK(f.advice.find("keepalive will not help") != std::string::npos);
}

TEST_CASE("idle bracket: a middlebox that drops, and ignores keepalive") {
  IdleBracket b(ladder({5, 40}), {1, 3, milliseconds(1000), true});
  run(b, middlebox(seconds(12), IdleOutcome::timeout, false));
  IdleFinding f = b.finding();
  CHECK(f.kind == IdleFindingKind::middlebox_reset);
  CHECK(f.timeouts > 0);
  CHECK(f.resets == 0);
  CHECK(f.keepalive_verified == KeepaliveVerdict::no);
  CHECK(f.summary.find("dropped") != std::string::npos);
}

TEST_CASE("idle bracket: errors of the first exchange count for nothing") {
  IdleBracket b(ladder({10}), {});
  b.next_batch();
  b.record({{milliseconds(0), std::nullopt}, IdleOutcome::survived, std::nullopt, ""});
  b.record({{seconds(10), std::nullopt}, IdleOutcome::error, std::nullopt, "refused"});
  IdleFinding f = b.finding();
  CHECK(f.kind == IdleFindingKind::none);
  CHECK(f.survived == 1);
}

TEST_CASE("idle bracket: keepalive interval is half the lower bound, at least 1 s") {
  CHECK(keepalive_interval_for(seconds(20)) == seconds(10));
  CHECK(keepalive_interval_for(seconds(3)) == seconds(1));
  CHECK(keepalive_interval_for(milliseconds(0)) == seconds(1));
  CHECK(keepalive_interval_for(seconds(350)) == seconds(175));
}
