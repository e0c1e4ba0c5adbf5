#include "daemon/path_trace_scheduler.hpp"

#include <algorithm>
#include <utility>

namespace faultline {

PathTraceScheduler::PathTraceScheduler(const Clock& clock, Tracer& tracer)
    : clock_(clock), tracer_(tracer) {}

PathTraceScheduler::~PathTraceScheduler() {
  for (const auto& [target, trace] : running_)
    tracer_.cancel(trace);
}

void PathTraceScheduler::configure(std::chrono::milliseconds interval, int max_concurrent) {
  interval_ = interval;
  max_concurrent_ = static_cast<std::size_t>(std::max(max_concurrent, 0));
}

bool PathTraceScheduler::request(std::uint64_t target_id, const TraceTarget& where, bool went_down,
                                 Done done) {
  if (max_concurrent_ == 0 || running_.count(target_id) != 0) return false;
  const bool is_waiting = std::any_of(waiting_.begin(), waiting_.end(),
                                      [&](const Request& r) { return r.target_id == target_id; });
  if (is_waiting) return false;
  const std::int64_t now = clock_.monotonic_ms();
  const auto last = last_request_ms_.find(target_id);
  if (!went_down && last != last_request_ms_.end() && now - last->second < interval_.count()) {
    return false;
  }
  last_request_ms_[target_id] = now;
  Request request{target_id, where, std::move(done)};
  if (running_.size() < max_concurrent_) {
    launch(std::move(request));
  } else {
    waiting_.push_back(std::move(request));
  }
  return true;
}

void PathTraceScheduler::forget(std::uint64_t target_id) {
  last_request_ms_.erase(target_id);
  std::erase_if(waiting_, [&](const Request& r) { return r.target_id == target_id; });
  const auto it = running_.find(target_id);
  if (it == running_.end()) return;
  tracer_.cancel(it->second);
  running_.erase(it);
  launch_waiting();
}

void PathTraceScheduler::launch(Request request) {
  const std::uint64_t target_id = request.target_id;
  const Tracer::TraceId id =
      tracer_.start(request.where.address, request.where.port, TraceOptions{},
                    [this, target_id, done = std::move(request.done)](PathTrace trace) {
                      finished(target_id, done, trace);
                    });
  running_[target_id] = id;
}

void PathTraceScheduler::launch_waiting() {
  while (running_.size() < max_concurrent_ && !waiting_.empty()) {
    Request next = std::move(waiting_.front());
    waiting_.pop_front();
    launch(std::move(next));
  }
}

void PathTraceScheduler::finished(std::uint64_t target_id, const Done& done,
                                  const PathTrace& trace) {
  running_.erase(target_id);
  // The next in line first: `done` may forget targets, which launches too.
  launch_waiting();
  done(trace);
}

}  // namespace faultline
