// Decides when each target is probed: a fixed-rate schedule per target at a phase derived from
// its name, a global cap on probes in flight (excess waits in a queue, nothing is dropped), no
// second probe of a target while one is still running or waiting (that tick is skipped and
// counted), and schedule lag measured for every probe. It owns no timer: the daemon calls
// tick() when next_wake_ms() arrives, and tests call it after advancing a FakeClock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "checks/prober.hpp"
#include "daemon/clock.hpp"
#include "daemon/config.hpp"
#include "sinks/target_info.hpp"

namespace faultline {

// A configured target as the scheduler runs it. Lives at a stable address while it stays
// configured unchanged; its state lives with the ResultRouter, keyed by `id`.
struct MonitoredTarget {
  explicit MonitoredTarget(TargetConfig c);
  // Shares `c`, which must not change while the target runs (nothing changes a target's
  // settings once they are read).
  explicit MonitoredTarget(SharedTargetConfig c);
  MonitoredTarget(const MonitoredTarget&) = delete;
  MonitoredTarget& operator=(const MonitoredTarget&) = delete;

  // The one copy of the target's settings: `spec` shares it (a probe in flight keeps it alive
  // after a reload removes the target) rather than copying the probe settings, which at
  // 100,000 targets cost tens of megabytes.
  SharedTargetConfig shared_config;
  const TargetConfig& config;
  std::shared_ptr<const ProbeSpec> spec;
  TargetInfo info;
  // Names this target with these settings: no other MonitoredTarget of the process ever has
  // it, so state keyed on it cannot pass to a target built later at the same address.
  const std::uint64_t id;
};

// Hears of probes starting and finishing, on the loop thread.
class SchedulerListener {
 public:
  virtual ~SchedulerListener() = default;
  // `lag_ms` is actual start minus planned start (time spent waiting for the in-flight cap,
  // or a late timer).
  virtual void on_probe_started(const MonitoredTarget& target, std::int64_t lag_ms) = 0;
  virtual void on_probe_finished(const MonitoredTarget& target, const ProbeResult& result) = 0;
};

struct ReloadSummary {
  std::vector<std::string> added, removed, changed;
  std::size_t unchanged = 0;
};

class Scheduler {
 public:
  Scheduler(const Clock& clock, Prober& prober, SchedulerListener& listener,
            std::size_t max_in_flight);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Makes `targets` the configured set. Unchanged targets keep their phase, state and any
  // running probe; removed ones stop (a running probe is cancelled, its result never
  // arrives); changed ones restart from scratch with the new settings; new ones start.
  // A target is unchanged when its settings are the running ones (the same shared object, as a
  // reload hands them over) or equal to them. Takes the list, so the parser's objects are gone
  // when it returns, each freed once used.
  ReloadSummary set_targets(TargetList targets);
  void set_max_in_flight(std::size_t max_in_flight);

  // Starts every probe that is due, up to the in-flight cap.
  void tick();
  // When tick() next has work (monotonic ms); nullopt once stopped or with no targets.
  std::optional<std::int64_t> next_wake_ms() const;

  // Stops scheduling: no further ticks, queued probes are dropped; running ones finish.
  // `drained`, if given, is called once, right after the listener heard of the last running
  // probe's end (never from stop() itself, nor after cancel_running()).
  void stop(std::function<void()> drained = {});
  // Cancels every running probe; their results never arrive.
  void cancel_running();

  std::size_t in_flight() const { return in_flight_; }
  std::size_t queued() const { return queue_.size(); }
  std::size_t max_in_flight() const { return max_in_flight_; }
  // Ticks not started because the target's previous probe was still running or waiting, or
  // because the loop fell a whole interval behind.
  std::uint64_t skipped_total() const { return skipped_total_; }
  // The configured targets, in config order.
  std::vector<const TargetInfo*> targets() const;
  std::vector<const MonitoredTarget*> monitored() const;
  const MonitoredTarget* find(std::string_view name) const;

 private:
  struct Entry;
  // Heap and queue items name an entry by its generation, which is never reused: an item
  // left behind by a removed or replaced target simply finds nothing in live_.
  struct Due {
    std::int64_t at;
    std::uint64_t generation;
    bool operator>(const Due& o) const { return at > o.at; }
  };

  void add(SharedTargetConfig target);
  void remove(const std::string& name);
  void start(Entry& entry);
  void finished(Entry& entry, const ProbeResult& result);
  void drain_queue();
  Entry* live(std::uint64_t generation) const;

  const Clock& clock_;
  Prober& prober_;
  SchedulerListener& listener_;
  std::size_t max_in_flight_;
  std::size_t in_flight_ = 0;
  std::uint64_t skipped_total_ = 0;
  std::uint64_t next_generation_ = 1;
  bool stopped_ = false;
  std::function<void()> drained_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
  std::unordered_map<std::uint64_t, Entry*> live_;
  std::vector<std::string> order_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> heap_;
  std::deque<std::uint64_t> queue_;
};

}  // namespace faultline
