// The idle-reset experiment's plan and verdict, as pure logic: which idle times to try next
// (a control with no idle time, the configured ladder, then bisection between the longest idle
// time that survived and the shortest that failed), when to verify TCP keepalive, and what the
// outcomes mean (a middlebox forgetting idle connections, the server closing them, the server
// resetting connections regardless of idleness, or nothing found).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

// How the second use of a connection that sat idle went.
enum class IdleOutcome : std::uint8_t {
  survived,          // the second exchange worked on the same connection
  reset,             // RST in answer to our packet after the idle time (a forgotten connection)
  reset_while_idle,  // the RST arrived during the idle time
  closed_by_server,  // orderly FIN during the idle time: the server's own keep-alive timeout
  timeout,           // our packet after the idle time got no answer (silently dropped)
  error,             // the first exchange failed; the step says nothing about idleness
};

std::string_view to_string(IdleOutcome o);

// Contract words of the idle_findings table and the JSON output.
enum class IdleFindingKind : std::uint8_t { none, middlebox_reset, server_close, server_reset };
std::string_view to_string(IdleFindingKind k);

enum class KeepaliveVerdict : std::uint8_t { untested, yes, no };
std::string_view to_string(KeepaliveVerdict v);

struct IdleStepRequest {
  std::chrono::milliseconds idle{0};
  // Set for the keepalive verification: TCP keepalive every this long while idle.
  std::optional<std::chrono::milliseconds> keepalive;

  bool operator==(const IdleStepRequest&) const = default;
};

struct IdleStepResult {
  IdleStepRequest request;
  IdleOutcome outcome = IdleOutcome::error;
  // For closed_by_server / reset_while_idle: how long the connection had been idle when it
  // ended, when the experiment saw it happen.
  std::optional<std::chrono::milliseconds> ended_after;
  std::string message;
};

struct IdleFinding {
  IdleFindingKind kind = IdleFindingKind::none;
  // Idle times bracketing the threshold T: low survived (or 0), high failed. For `none`, low is
  // the longest idle time that survived and high is empty.
  double threshold_low_s = 0;
  std::optional<double> threshold_high_s;
  KeepaliveVerdict keepalive_verified = KeepaliveVerdict::untested;
  std::optional<double> keepalive_interval_s;
  int survived = 0, resets = 0, closes = 0, timeouts = 0;  // evidence counts
  // Where the evidence came from: an experiment that ended now, and how many normal probes of
  // a reuse_connection target since the last report took up their kept connection.
  bool from_experiment = true;
  int probe_observations = 0;
  std::string advice;
  // One line for the log, e.g. "connections idle >= 20 s are reset by a middlebox ...".
  std::string summary;
};

struct IdleBracketOptions {
  int bisection_rounds = 2;
  int points_per_round = 3;  // tried in parallel; the bracket shrinks 4x per round
  std::chrono::milliseconds precision{1000};
  bool keepalive_check = false;
};

class IdleBracket {
 public:
  // `ladder` is ascending (as the config loader guarantees).
  IdleBracket(std::vector<std::chrono::milliseconds> ladder, IdleBracketOptions options);

  // The steps to run next, all at once; empty when the experiment is over. Each batch must be
  // completed (every step recorded) before asking for the next.
  std::vector<IdleStepRequest> next_batch();
  void record(const IdleStepResult& step);
  bool done() const { return stage_ == Stage::done; }

  // The verdict from everything recorded so far.
  IdleFinding finding() const;
  const std::vector<IdleStepResult>& steps() const { return steps_; }

 private:
  enum class Stage { control, ladder, bisect, keepalive, done };
  std::optional<std::chrono::milliseconds> longest_survived() const;
  std::optional<std::chrono::milliseconds> shortest_failed() const;
  bool control_failed() const;

  std::vector<std::chrono::milliseconds> ladder_;
  IdleBracketOptions options_;
  Stage stage_ = Stage::control;
  int rounds_done_ = 0;
  std::vector<IdleStepResult> steps_;
};

// Adds one outcome to the evidence counts of `f` (survived, resets, closes, timeouts); an
// error counts nowhere.
void count_outcome(IdleFinding& f, IdleOutcome o);

// TCP keepalive interval that the verification uses for a threshold whose lower bound is
// `low`: half of it, at least 1 s.
std::chrono::milliseconds keepalive_interval_for(std::chrono::milliseconds low);

}  // namespace faultline
