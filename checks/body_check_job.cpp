#include "checks/body_check_job.hpp"

#include <exception>

#include "checks/body_check.hpp"

namespace faultline {

BodyCheckJob* BodyCheckJob::start(uv_loop_t* loop, std::shared_ptr<const ProbeSpec> spec,
                                  std::string body, bool cut, int http_status, std::string address,
                                  Done done) {
  std::unique_ptr<BodyCheckJob> job(new BodyCheckJob);
  job->req_.data = job.get();
  job->spec_ = std::move(spec);
  job->body_ = std::move(body);
  job->cut_ = cut;
  job->http_status_ = http_status;
  job->address_ = std::move(address);
  job->done_ = std::move(done);
  if (uv_queue_work(loop, &job->req_, &BodyCheckJob::run, &BodyCheckJob::after) != 0) {
    return nullptr;
  }
  return job.release();
}

void BodyCheckJob::detach() {
  done_ = nullptr;
  // Spares the pool the work when no thread has taken it yet; harmless otherwise.
  uv_cancel(reinterpret_cast<uv_req_t*>(&req_));
}

void BodyCheckJob::run(uv_work_t* req) {
  auto* job = static_cast<BodyCheckJob*>(req->data);
  // Nothing may leave a pool thread as an exception; only memory can run out here.
  try {
    job->verdict_ =
        check_body(*job->spec_, job->body_, job->cut_, job->http_status_, job->address_);
  } catch (const std::exception& e) {
    Verdict v;
    v.cls = FailureClass::local;
    v.phase = Phase::body;
    v.message = std::string("this host could not check the body: ") + e.what();
    job->verdict_ = v;
  }
}

void BodyCheckJob::after(uv_work_t* req, int status) {
  std::unique_ptr<BodyCheckJob> job(static_cast<BodyCheckJob*>(req->data));
  // UV_ECANCELED only follows detach(), so there is nobody left to tell.
  if (status == 0 && job->done_) job->done_(std::move(job->verdict_));
}

}  // namespace faultline
