#include "daemon/scheduler.hpp"

#include <algorithm>
#include <atomic>
#include <unordered_set>
#include <utility>

#include "daemon/schedule_math.hpp"

namespace faultline {
namespace {

std::uint64_t next_target_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

MonitoredTarget::MonitoredTarget(TargetConfig c)
    : MonitoredTarget(std::make_shared<const TargetConfig>(std::move(c))) {}

MonitoredTarget::MonitoredTarget(SharedTargetConfig c)
    : shared_config(std::move(c)),
      config(*shared_config),
      spec(shared_config, &shared_config->probe),
      info{config.name, config.probe.url.text, config.probe.url.scheme, config.labels},
      id(next_target_id()) {}

struct Scheduler::Entry {
  std::unique_ptr<MonitoredTarget> target;
  std::uint64_t generation = 0;
  enum class Stage { idle, queued, running } stage = Stage::idle;
  std::int64_t planned_ms = 0;  // planned start of the queued or running probe
  ProbeId probe = 0;
};

Scheduler::Scheduler(const Clock& clock, Prober& prober, SchedulerListener& listener,
                     std::size_t max_in_flight)
    : clock_(clock),
      prober_(prober),
      listener_(listener),
      max_in_flight_(std::max<std::size_t>(1, max_in_flight)) {}

Scheduler::~Scheduler() {
  cancel_running();
}

Scheduler::Entry* Scheduler::live(std::uint64_t generation) const {
  auto it = live_.find(generation);
  return it == live_.end() ? nullptr : it->second;
}

ReloadSummary Scheduler::set_targets(TargetList list) {
  ReloadSummary summary;
  std::unordered_set<std::string_view> wanted;
  for (const TargetConfig& t : list)
    wanted.insert(t.name);
  for (const std::string& name : order_) {
    if (!wanted.count(name)) {
      remove(name);
      summary.removed.push_back(name);
    }
  }
  wanted.clear();
  order_.clear();
  for (SharedTargetConfig& shared : std::move(list).release()) {
    // Each of the parser's objects goes as soon as it has been compared: an unchanged target
    // keeps its running settings, a new or changed one takes these.
    const SharedTargetConfig t = std::move(shared);
    order_.push_back(t->name);
    auto it = entries_.find(t->name);
    if (it == entries_.end()) {
      summary.added.push_back(t->name);
      add(t);
    } else if (it->second->target->shared_config == t || it->second->target->config == *t) {
      ++summary.unchanged;
    } else {
      summary.changed.push_back(t->name);
      remove(t->name);
      add(t);
    }
  }
  return summary;
}

void Scheduler::set_max_in_flight(std::size_t max_in_flight) {
  max_in_flight_ = std::max<std::size_t>(1, max_in_flight);
  drain_queue();
}

void Scheduler::add(SharedTargetConfig target) {
  auto entry = std::make_unique<Entry>();
  entry->target = std::make_unique<MonitoredTarget>(std::move(target));
  const TargetConfig& config = entry->target->config;
  entry->generation = next_generation_++;
  const auto offset = start_offset(config.name, config.interval);
  const std::int64_t now_unix = clock_.unix_ms();
  const std::int64_t first_unix = first_due_unix_ms(now_unix, config.interval, offset);
  heap_.push({clock_.monotonic_ms() + (first_unix - now_unix), entry->generation});
  live_[entry->generation] = entry.get();
  entries_[config.name] = std::move(entry);
}

void Scheduler::remove(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  Entry& e = *it->second;
  if (e.stage == Entry::Stage::running) {
    prober_.cancel(e.probe);
    --in_flight_;
  }
  live_.erase(e.generation);
  entries_.erase(it);
}

void Scheduler::tick() {
  if (stopped_) return;
  const std::int64_t now = clock_.monotonic_ms();
  while (!heap_.empty() && heap_.top().at <= now) {
    const Due due = heap_.top();
    heap_.pop();
    Entry* e = live(due.generation);
    if (e == nullptr) continue;
    const std::int64_t interval = e->target->config.interval.count();
    // Fixed rate: the next tick is planned from this one, not from when it ran, so lag never
    // accumulates into drift. Whole intervals missed (a stalled loop) are skipped, not
    // crammed in.
    std::int64_t next = due.at + interval;
    if (next <= now) {
      const std::int64_t missed = (now - next) / interval + 1;
      next += missed * interval;
      skipped_total_ += static_cast<std::uint64_t>(missed);
    }
    heap_.push({next, due.generation});
    if (e->stage != Entry::Stage::idle) {
      ++skipped_total_;
      continue;
    }
    e->stage = Entry::Stage::queued;
    e->planned_ms = due.at;
    queue_.push_back(due.generation);
  }
  drain_queue();
}

void Scheduler::drain_queue() {
  while (in_flight_ < max_in_flight_ && !queue_.empty()) {
    Entry* e = live(queue_.front());
    queue_.pop_front();
    if (e != nullptr && e->stage == Entry::Stage::queued) start(*e);
  }
}

void Scheduler::start(Entry& e) {
  e.stage = Entry::Stage::running;
  ++in_flight_;
  listener_.on_probe_started(*e.target, clock_.monotonic_ms() - e.planned_ms);
  // Removing a target cancels its probe first, so the callback never sees a freed entry.
  Entry* entry = &e;
  e.probe = prober_.start(e.target->spec, [this, entry](ProbeResult r) { finished(*entry, r); });
}

void Scheduler::finished(Entry& e, const ProbeResult& result) {
  e.stage = Entry::Stage::idle;
  --in_flight_;
  listener_.on_probe_finished(*e.target, result);
  if (!stopped_) {
    drain_queue();
  } else if (in_flight_ == 0 && drained_) {
    std::exchange(drained_, {})();
  }
}

std::optional<std::int64_t> Scheduler::next_wake_ms() const {
  if (stopped_ || heap_.empty()) return std::nullopt;
  return heap_.top().at;
}

void Scheduler::stop(std::function<void()> drained) {
  stopped_ = true;
  drained_ = std::move(drained);
  for (std::uint64_t g : queue_) {
    if (Entry* e = live(g)) e->stage = Entry::Stage::idle;
  }
  queue_.clear();
}

void Scheduler::cancel_running() {
  for (auto& [name, e] : entries_) {
    if (e->stage == Entry::Stage::running) {
      prober_.cancel(e->probe);
      e->stage = Entry::Stage::idle;
      --in_flight_;
    }
  }
  drained_ = {};
}

std::vector<const TargetInfo*> Scheduler::targets() const {
  std::vector<const TargetInfo*> out;
  out.reserve(order_.size());
  for (const std::string& name : order_) {
    auto it = entries_.find(name);
    if (it != entries_.end()) out.push_back(&it->second->target->info);
  }
  return out;
}

std::vector<const MonitoredTarget*> Scheduler::monitored() const {
  std::vector<const MonitoredTarget*> out;
  out.reserve(order_.size());
  for (const std::string& name : order_) {
    auto it = entries_.find(name);
    if (it != entries_.end()) out.push_back(it->second->target.get());
  }
  return out;
}

const MonitoredTarget* Scheduler::find(std::string_view name) const {
  auto it = entries_.find(std::string(name));
  return it == entries_.end() ? nullptr : it->second->target.get();
}

}  // namespace faultline
