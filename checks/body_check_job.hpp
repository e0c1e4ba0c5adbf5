// check_body() (body_check.hpp) in libuv's thread pool: parsing a body of up to kMaxBodyLimit
// as JSON (about 35 ms per MiB, docs/BENCHMARKS.md) or a pattern searching to its match limit
// must not hold up the event loop, where every other probe is being timed.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "checks/probe_spec.hpp"
#include "checks/verdict.hpp"

namespace faultline {

// A queued check owns itself, as a DNS lookup does: libuv cannot take back work a pool thread
// has started, so a probe that ends first only detaches, and the job frees itself when the
// pool is done with it.
class BodyCheckJob {
 public:
  using Done = std::function<void(std::optional<Verdict>)>;

  // Queues check_body(*spec, body, cut, http_status, address); `done` runs on the loop thread
  // with its outcome, unless detach() came first. nullptr when libuv refused the work (nothing
  // was queued and `done` is never called).
  static BodyCheckJob* start(uv_loop_t* loop, std::shared_ptr<const ProbeSpec> spec,
                             std::string body, bool cut, int http_status, std::string address,
                             Done done);

  // `done` will not be called. The job is freed by the loop once the pool has finished with it;
  // the caller must not use the pointer again.
  void detach();

 private:
  BodyCheckJob() = default;
  static void run(uv_work_t* req);
  static void after(uv_work_t* req, int status);

  uv_work_t req_{};
  std::shared_ptr<const ProbeSpec> spec_;
  std::string body_;
  bool cut_ = false;
  int http_status_ = 0;
  std::string address_;
  std::optional<Verdict> verdict_;
  Done done_;
};

}  // namespace faultline
