#include "checks/dns_prober.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "checks/address_lookup.hpp"
#include "checks/dns_answer_classifier.hpp"
#include "checks/dns_classifier.hpp"
#include "checks/dns_query.hpp"
#include "checks/utc_time.hpp"
#include "checks/uv_timer.hpp"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

class DnsProber::Probe {
 public:
  Probe(DnsProber& prober, ProbeId id, std::shared_ptr<const ProbeSpec> spec, ProbeCallback done)
      : prober_(prober),
        id_(id),
        spec_(std::move(spec)),
        done_(std::move(done)),
        started_(Clock::now()),
        timer_(prober.loop_) {
    result_.started_at_ms = unix_now_ms();
    const TargetUrl& url = spec_->url;
    question_ = std::string(to_string(url.dns_type)) + " " + url.dns_name;
  }

  ProbeCallback take_callback() { return std::move(done_); }

  void begin() {
    const TargetUrl& url = spec_->url;
    if (url.host_is_ip) {
      ask(url.host);
      return;
    }
    // The server's own name first, through this host's resolver, within the same deadline.
    const int rc = lookup_.start(prober_.loop_, url.host,
                                 [this](int status, std::vector<std::string> addresses) {
                                   timer_.stop();
                                   on_server_resolved(status, std::move(addresses));
                                 });
    if (rc != 0) {
      const Verdict v = classify_dns_error(rc, url.host);
      timer_.start(0, [this, v] { finish(v); });
      return;
    }
    timer_.start(static_cast<std::uint64_t>(spec_->timeout.count()),
                 [this] { finish(dns_timeout(spec_->url.host, spec_->timeout.count())); });
  }

 private:
  void on_server_resolved(int status, std::vector<std::string> addresses) {
    result_.resolved = addresses;
    if (status != 0) {
      finish(classify_dns_error(status, spec_->url.host));
      return;
    }
    if (addresses.empty()) {
      finish(dns_no_usable_address(spec_->url.host));
      return;
    }
    ask(addresses.front());
  }

  void ask(const std::string& address) {
    DnsQueryRequest request;
    request.server = address;
    request.port = spec_->url.port;
    request.name = spec_->url.dns_name;
    request.type = spec_->url.dns_type;
    const auto spent =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_);
    request.timeout = std::max(std::chrono::milliseconds(1), spec_->timeout - spent);
    server_ = bracket_host(address) + ":" + std::to_string(spec_->url.port);
    query_ = std::make_unique<DnsQuery>(
        prober_.loop_, std::move(request),
        [this](DnsQueryOutcome outcome) { on_answer(std::move(outcome)); });
    query_->start();
  }

  void on_answer(DnsQueryOutcome outcome) {
    DnsQueryFacts facts;
    facts.question = question_;
    facts.server = server_;
    facts.outcome = std::move(outcome);
    if (facts.outcome.status == ARES_SUCCESS) {
      facts.reply = parse_dns_reply(facts.outcome.answer, spec_->url.dns_type);
    }
    facts.expect = &spec_->expect_answer;
    facts.timeout_ms = spec_->timeout.count();
    result_.dns = describe_dns_answer(facts);
    result_.remote_addr = server_;
    // The query's own time, as a lookup's is the dns layer of other probes; a failed query's
    // is the time it took to fail.
    result_.timings.dns_ms = facts.outcome.elapsed_ms;
    finish(classify_dns_answer(facts));
  }

  void finish(const Verdict& v) {
    result_.cls = v.cls;
    result_.phase = v.cls == FailureClass::ok ? Phase::none : v.phase;
    result_.detail = v.cls == FailureClass::ok ? Detail::none : v.detail;
    result_.sys_errno = v.sys_errno;
    result_.message = v.message;
    result_.timings.total_ms = ms_since(started_);
    if (!result_.dns) {
      DnsAnswer asked;
      asked.question = question_;
      asked.server = server_;
      result_.dns = asked;
    }
    // Last: this destroys the probe.
    prober_.complete(id_, std::move(result_));
  }

  DnsProber& prober_;
  ProbeId id_;
  std::shared_ptr<const ProbeSpec> spec_;
  ProbeCallback done_;
  Clock::time_point started_;
  std::string question_;
  std::string server_;
  UvTimer timer_;
  AddressLookup lookup_;
  std::unique_ptr<DnsQuery> query_;
  ProbeResult result_;
};

DnsProber::DnsProber(uv_loop_t* loop) : loop_(loop) {}

DnsProber::~DnsProber() {
  probes_.clear();
}

ProbeId DnsProber::start(std::shared_ptr<const ProbeSpec> spec, ProbeCallback done) {
  return probes_.start([&](ProbeId id) {
    return std::make_unique<Probe>(*this, id, std::move(spec), std::move(done));
  });
}

void DnsProber::cancel(ProbeId id) {
  probes_.cancel(id);
}

void DnsProber::complete(ProbeId id, ProbeResult result) {
  probes_.complete(id, std::move(result));
}

}  // namespace faultline
