#include "checks/idle_bracket.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace faultline {
namespace {

using std::chrono::milliseconds;

bool failed(IdleOutcome o) {
  return o == IdleOutcome::reset || o == IdleOutcome::reset_while_idle ||
         o == IdleOutcome::closed_by_server || o == IdleOutcome::timeout;
}

// The idle time at which a failed step is known to have failed: when the experiment saw the
// connection end during the idle time, that moment; otherwise the whole idle time.
milliseconds failed_at(const IdleStepResult& s) {
  return s.ended_after ? std::min(*s.ended_after, s.request.idle) : s.request.idle;
}

std::string seconds_text(double s) {
  char buf[32];
  if (std::fabs(s - std::round(s)) < 0.05) {
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  }
  return buf;
}

double to_s(milliseconds ms) {
  return static_cast<double>(ms.count()) / 1000.0;
}

// The control itself (a connection reused at once) failed: idleness is not the cause, and what
// the server did to the control says whether it closes or resets.
void describe_control_failure(IdleFinding& f, bool closes) {
  f.kind = closes ? IdleFindingKind::server_close : IdleFindingKind::server_reset;
  f.threshold_low_s = 0;
  f.threshold_high_s = 0;
  if (closes) {
    f.summary = "the server closes every connection right after its response (no keep-alive)";
    f.advice =
        "The server does not keep connections alive, so there is no idle timeout to "
        "tune; clients open a new connection per request.";
  } else {
    f.summary =
        "connections are reset even when reused at once: the server (or a proxy in "
        "front of it) resets them, idleness is not the cause";
    f.advice =
        "Look at the server's and its proxy's logs and connection limits; TCP keepalive "
        "will not help here.";
  }
}

// The advice for a middlebox that forgets idle connections: a keepalive interval when some idle
// time survived, otherwise only an upper bound and the experiment that would measure it.
void advise_on_middlebox(IdleFinding& f, bool low_known, double keepalive_s,
                         const std::string& range) {
  if (low_known) {
    f.advice =
        "A NAT gateway, load balancer or stateful firewall forgets connections idle "
        "between " +
        range + ". Enable TCP keepalive on clients with an interval below " +
        seconds_text(f.threshold_low_s) +
        " (e.g. SO_KEEPALIVE with TCP_KEEPIDLE=" + seconds_text(keepalive_s) +
        " and TCP_KEEPINTVL=" + seconds_text(keepalive_s) +
        "; Linux's default of 7200 s is far too late), or make connection pools drop "
        "connections idle longer than " +
        seconds_text(f.threshold_low_s) + ".";
  } else {
    // Nothing idle survived: the threshold is known only to lie below the shortest failure,
    // so no interval can be named with confidence.
    f.advice = "A NAT gateway, load balancer or stateful firewall forgets connections idle for " +
               seconds_text(*f.threshold_high_s) +
               " or less; no shorter idle time was tried. Enable TCP keepalive on clients with an "
               "interval well below " +
               seconds_text(*f.threshold_high_s) +
               " (Linux's default of 7200 s is far too late), and run an idle_probe experiment "
               "with shorter ladder steps to measure the threshold and verify the interval.";
  }
}

// What a verification run with TCP keepalive showed, added to a middlebox finding.
void describe_keepalive_verification(IdleFinding& f) {
  if (f.keepalive_verified == KeepaliveVerdict::yes) {
    f.summary += "; TCP keepalive every " + seconds_text(*f.keepalive_interval_s) +
                 " fixed it in a verification run";
    f.advice += " Verified: with keepalive every " + seconds_text(*f.keepalive_interval_s) +
                " a connection idle " + seconds_text(*f.threshold_high_s) + " survived.";
  } else if (f.keepalive_verified == KeepaliveVerdict::no) {
    f.summary +=
        "; TCP keepalive every " + seconds_text(*f.keepalive_interval_s) + " did NOT fix it";
    f.advice += " Caution: keepalive every " + seconds_text(*f.keepalive_interval_s) +
                " did not keep the connection alive in a verification run; the middlebox may "
                "ignore keepalive probes.";
  }
}

}  // namespace

std::string_view to_string(IdleOutcome o) {
  switch (o) {
    case IdleOutcome::survived:
      return "survived";
    case IdleOutcome::reset:
      return "reset";
    case IdleOutcome::reset_while_idle:
      return "reset_while_idle";
    case IdleOutcome::closed_by_server:
      return "closed_by_server";
    case IdleOutcome::timeout:
      return "timeout";
    case IdleOutcome::error:
      return "error";
  }
  return "error";
}

std::string_view to_string(IdleFindingKind k) {
  switch (k) {
    case IdleFindingKind::none:
      return "none";
    case IdleFindingKind::middlebox_reset:
      return "middlebox_reset";
    case IdleFindingKind::server_close:
      return "server_close";
    case IdleFindingKind::server_reset:
      return "server_reset";
  }
  return "none";
}

std::string_view to_string(KeepaliveVerdict v) {
  switch (v) {
    case KeepaliveVerdict::untested:
      return "untested";
    case KeepaliveVerdict::yes:
      return "yes";
    case KeepaliveVerdict::no:
      return "no";
  }
  return "untested";
}

void count_outcome(IdleFinding& f, IdleOutcome o) {
  switch (o) {
    case IdleOutcome::survived:
      ++f.survived;
      break;
    case IdleOutcome::reset:
    case IdleOutcome::reset_while_idle:
      ++f.resets;
      break;
    case IdleOutcome::closed_by_server:
      ++f.closes;
      break;
    case IdleOutcome::timeout:
      ++f.timeouts;
      break;
    case IdleOutcome::error:
      break;
  }
}

milliseconds keepalive_interval_for(milliseconds low) {
  // Whole seconds: that is what TCP_KEEPIDLE and TCP_KEEPINTVL take.
  const auto half = std::chrono::duration_cast<std::chrono::seconds>(low / 2);
  return std::max<milliseconds>(milliseconds(1000), half);
}

IdleBracket::IdleBracket(std::vector<milliseconds> ladder, IdleBracketOptions options)
    : ladder_(std::move(ladder)), options_(options) {}

std::optional<milliseconds> IdleBracket::shortest_failed() const {
  std::optional<milliseconds> best;
  for (const auto& s : steps_) {
    if (s.request.keepalive || !failed(s.outcome) || s.request.idle.count() == 0) continue;
    const milliseconds at = failed_at(s);
    if (!best || at < *best) best = at;
  }
  return best;
}

std::optional<milliseconds> IdleBracket::longest_survived() const {
  const auto limit = shortest_failed();
  std::optional<milliseconds> best;
  for (const auto& s : steps_) {
    if (s.request.keepalive || s.outcome != IdleOutcome::survived) continue;
    if (limit && s.request.idle >= *limit) continue;  // noise above a failure says nothing
    if (!best || s.request.idle > *best) best = s.request.idle;
  }
  return best;
}

bool IdleBracket::control_failed() const {
  return std::any_of(steps_.begin(), steps_.end(), [](const IdleStepResult& s) {
    return s.request.idle.count() == 0 && !s.request.keepalive && failed(s.outcome);
  });
}

std::vector<IdleStepRequest> IdleBracket::next_batch() {
  std::vector<IdleStepRequest> batch;
  if (stage_ == Stage::control) {
    // The control (reuse at once) runs beside the ladder: it tells "resets only after idling"
    // from "resets anyway" without costing a round.
    batch.push_back({milliseconds(0), std::nullopt});
    for (milliseconds step : ladder_)
      batch.push_back({step, std::nullopt});
    stage_ = Stage::ladder;
    return batch;
  }
  if (stage_ == Stage::done) return batch;
  if (control_failed()) {
    stage_ = Stage::done;
    return batch;
  }
  const auto high = shortest_failed();
  if (!high) {
    stage_ = Stage::done;
    return batch;
  }
  const milliseconds low = longest_survived().value_or(milliseconds(0));
  if ((stage_ == Stage::ladder || stage_ == Stage::bisect) &&
      rounds_done_<options_.bisection_rounds&& * high - low> options_.precision) {
    stage_ = Stage::bisect;
    ++rounds_done_;
    const int n = options_.points_per_round;
    for (int k = 1; k <= n; ++k) {
      milliseconds point = low + (*high - low) * k / (n + 1);
      point = milliseconds(point.count() / 100 * 100);  // tenths of a second are plenty
      const bool tried = std::any_of(steps_.begin(), steps_.end(), [&](const IdleStepResult& s) {
        return !s.request.keepalive && s.request.idle == point;
      });
      if (point > low && point < *high && !tried) batch.push_back({point, std::nullopt});
    }
    if (!batch.empty()) return batch;
  }
  const IdleFinding f = finding();
  if (stage_ != Stage::keepalive && options_.keepalive_check &&
      f.kind == IdleFindingKind::middlebox_reset) {
    stage_ = Stage::keepalive;
    batch.push_back({*high, keepalive_interval_for(low)});
    return batch;
  }
  stage_ = Stage::done;
  return batch;
}

void IdleBracket::record(const IdleStepResult& step) {
  steps_.push_back(step);
}

IdleFinding IdleBracket::finding() const {
  IdleFinding f;
  for (const auto& s : steps_) {
    if (s.request.keepalive) {
      f.keepalive_interval_s = to_s(*s.request.keepalive);
      if (s.outcome == IdleOutcome::survived) f.keepalive_verified = KeepaliveVerdict::yes;
      if (failed(s.outcome)) f.keepalive_verified = KeepaliveVerdict::no;
      continue;
    }
    count_outcome(f, s.outcome);
  }

  if (control_failed()) {
    const bool closes = std::any_of(steps_.begin(), steps_.end(), [](const IdleStepResult& s) {
      return s.request.idle.count() == 0 && s.outcome == IdleOutcome::closed_by_server;
    });
    describe_control_failure(f, closes);
    return f;
  }

  const auto high = shortest_failed();
  const auto low = longest_survived();
  if (!high) {
    f.kind = IdleFindingKind::none;
    f.threshold_low_s = low ? to_s(*low) : 0;
    f.summary = "connections survived " + seconds_text(f.threshold_low_s) +
                " idle; no idle timeout below that";
    f.advice = "No idle-connection timeout up to " + seconds_text(f.threshold_low_s) +
               "; extend the ladder to look further.";
    return f;
  }
  f.threshold_low_s = to_s(low.value_or(milliseconds(0)));
  f.threshold_high_s = to_s(*high);
  const bool server_closes = f.closes > 0 && f.closes >= f.resets + f.timeouts;
  const std::string range =
      seconds_text(f.threshold_low_s) + " and " + seconds_text(*f.threshold_high_s);
  if (server_closes) {
    f.kind = IdleFindingKind::server_close;
    f.summary = "the server closes connections idle between " + range +
                " (its keep-alive timeout; not a middlebox)";
    f.advice = "Set clients' connection-pool idle timeout below " +
               seconds_text(f.threshold_low_s) +
               " so they never send a request on a connection the server is closing; TCP "
               "keepalive does not change an application's keep-alive timeout.";
    return f;
  }
  f.kind = IdleFindingKind::middlebox_reset;
  const double ka = to_s(keepalive_interval_for(low.value_or(milliseconds(0))));
  const std::string how = f.resets >= f.timeouts ? "reset (RST to a forgotten connection)"
                                                 : "dropped (packets of a forgotten connection "
                                                   "vanish)";
  // A lower bound of 0 is only the control (reuse at once, or a fresh connection).
  const bool low_known = low && low->count() > 0;
  f.summary = "connections idle >= " + seconds_text(*f.threshold_high_s) + " are " + how +
              " by a middlebox; " +
              (low_known ? "idle " + seconds_text(f.threshold_low_s) + " survived"
                         : std::string("no shorter idle time was tried"));
  advise_on_middlebox(f, low_known, ka, range);
  describe_keepalive_verification(f);
  return f;
}

}  // namespace faultline
