// Recording test doubles for the daemon's seams: a prober that never touches the network,
// sinks (per target and for the process's own numbers) that remember what they were told, and a
// notifier that records messages.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "checks/prober.hpp"
#include "daemon/notifier.hpp"
#include "daemon/process_sink.hpp"
#include "sinks/result_sink.hpp"

namespace faultline::testing {

class FakeProber final : public Prober {
 public:
  struct Started {
    ProbeId id;
    std::shared_ptr<const ProbeSpec> spec;
    ProbeCallback done;
  };

  ProbeId start(std::shared_ptr<const ProbeSpec> spec, ProbeCallback done) override {
    ProbeId id = next_++;
    running_[id] = Started{id, std::move(spec), std::move(done)};
    started.push_back(running_[id].spec->url.text);
    return id;
  }
  void cancel(ProbeId id) override {
    if (running_.erase(id)) cancelled.push_back(id);
  }
  std::size_t in_flight() const override { return running_.size(); }

  // Finishes the oldest running probe of `url` (or any, if empty) with `result`.
  bool finish(const std::string& url, ProbeResult result) {
    for (auto it = running_.begin(); it != running_.end(); ++it) {
      if (url.empty() || it->second.spec->url.text == url) {
        auto done = std::move(it->second.done);
        running_.erase(it);
        done(std::move(result));
        return true;
      }
    }
    return false;
  }
  std::vector<ProbeId> running_ids() const {
    std::vector<ProbeId> ids;
    for (const auto& [id, s] : running_)
      ids.push_back(id);
    return ids;
  }

  std::vector<std::string> started;  // URL of every probe started, in order
  std::vector<ProbeId> cancelled;

 private:
  ProbeId next_ = 1;
  std::map<ProbeId, Started> running_;
};

// Remembers every call. Sinks that share a `journal` write one line per call there too
// ("LABEL result NAME", "LABEL change NAME down", ...), so a test sees the order across sinks.
class RecordingSink final : public ResultSink {
 public:
  RecordingSink() = default;
  RecordingSink(std::string label, std::vector<std::string>& journal)
      : label_(std::move(label)), journal_(&journal) {}

  void on_targets(const std::vector<const TargetInfo*>& targets) override {
    target_sets.emplace_back();
    for (const TargetInfo* t : targets)
      target_sets.back().push_back(t->name);
    note("targets");
  }
  void on_result(const TargetInfo& target, const ProbeResult& result) override {
    results.emplace_back(target.name, result);
    note("result " + target.name);
  }
  void on_state_change(const TargetInfo& target, const StateChange& change) override {
    changes.emplace_back(target.name, change);
    note("change " + target.name + " " + std::string(to_string(change.to)));
  }
  void on_idle_finding(const TargetInfo& target, const IdleFinding& finding,
                       std::int64_t) override {
    idle_findings.emplace_back(target.name, finding);
    note("idle " + target.name);
  }
  void on_path_trace(const TargetInfo& target, const PathTrace& trace) override {
    path_traces.emplace_back(target.name, trace);
    note("path " + target.name);
  }
  void flush(std::chrono::milliseconds budget) override {
    ++flushes;
    flush_budgets.push_back(budget);
    note("flush");
    // A slow store: the time it takes is the budget the sinks after it no longer have.
    if (flush_takes.count() > 0) std::this_thread::sleep_for(flush_takes);
  }

  std::vector<std::vector<std::string>> target_sets;
  std::vector<std::pair<std::string, IdleFinding>> idle_findings;
  std::vector<std::pair<std::string, ProbeResult>> results;
  std::vector<std::pair<std::string, StateChange>> changes;
  std::vector<std::pair<std::string, PathTrace>> path_traces;
  int flushes = 0;
  std::vector<std::chrono::milliseconds> flush_budgets;
  std::chrono::milliseconds flush_takes{0};

 private:
  void note(const std::string& what) {
    if (journal_ != nullptr) journal_->push_back(label_ + " " + what);
  }
  std::string label_;
  std::vector<std::string>* journal_ = nullptr;
};

class RecordingProcessSink final : public ProcessSink {
 public:
  void on_schedule_lag(std::int64_t lag_ms) override { lags.push_back(lag_ms); }
  void on_reload(bool ok, std::int64_t unix_seconds) override {
    reloads.emplace_back(ok, unix_seconds);
  }
  void on_stats(const SchedulerStats& s) override { stats.push_back(s); }

  std::vector<std::int64_t> lags;
  std::vector<std::pair<bool, std::int64_t>> reloads;
  std::vector<SchedulerStats> stats;
};

class RecordingNotifier final : public Notifier {
 public:
  void ready(const std::string&) override { messages.push_back("READY=1"); }
  void reloading() override { messages.push_back("RELOADING=1"); }
  void stopping() override { messages.push_back("STOPPING=1"); }
  void watchdog() override { messages.push_back("WATCHDOG=1"); }
  void status(const std::string&) override {}
  std::optional<std::chrono::milliseconds> watchdog_period() const override { return std::nullopt; }

  std::vector<std::string> messages;
};

inline ProbeResult ok_result() {
  return ProbeResult{};
}

inline ProbeResult failed(FailureClass cls, Phase phase = Phase::connect) {
  ProbeResult r;
  r.cls = cls;
  r.phase = phase;
  r.message = "test failure";
  return r;
}

}  // namespace faultline::testing
