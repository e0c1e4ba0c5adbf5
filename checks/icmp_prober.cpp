#include "checks/icmp_prober.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "checks/address_lookup.hpp"
#include "checks/dns_classifier.hpp"
#include "checks/icmp_classifier.hpp"
#include "checks/icmp_socket.hpp"
#include "checks/utc_time.hpp"
#include "checks/uv_timer.hpp"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// The addresses of `addresses` that `family` allows, in order.
std::vector<IcmpAddress> usable(const std::vector<std::string>& addresses, IpFamily family) {
  std::vector<IcmpAddress> out;
  for (const std::string& text : addresses) {
    IcmpAddress a;
    if (icmp_address_from_text(text, a) && family_allows(family, a.family())) out.push_back(a);
  }
  return out;
}

}  // namespace

class IcmpProber::Probe {
 public:
  Probe(IcmpProber& prober, ProbeId id, std::shared_ptr<const ProbeSpec> spec, ProbeCallback done)
      : prober_(prober),
        id_(id),
        spec_(std::move(spec)),
        done_(std::move(done)),
        started_(Clock::now()),
        deadline_(prober.loop_),
        pacer_(prober.loop_),
        socket_(prober.loop_),
        count_(std::clamp(spec_->icmp.count, 1, kMaxIcmpCount)),
        sent_at_(static_cast<std::size_t>(count_)),
        answered_(static_cast<std::size_t>(count_), false) {
    result_.started_at_ms = unix_now_ms();
  }

  ProbeCallback take_callback() { return std::move(done_); }

  void begin() {
    deadline_.start(static_cast<std::uint64_t>(spec_->timeout.count()), [this] { on_deadline(); });
    const TargetUrl& url = spec_->url;
    if (url.host_is_ip) {
      result_.timings.dns_ms = 0.0;
      result_.resolved = {url.host};
      // Deferred: a callback never runs inside start().
      pacer_.start(0, [this] { on_resolved(0, result_.resolved); });
      return;
    }
    const int rc = lookup_.start(prober_.loop_, url.host,
                                 [this](int status, std::vector<std::string> addresses) {
                                   on_resolved(status, std::move(addresses));
                                 });
    if (rc != 0) {
      const Verdict v = classify_dns_error(rc, url.host);
      pacer_.start(0, [this, v] { finish(v); });
    }
  }

 private:
  void on_resolved(int status, std::vector<std::string> addresses) {
    if (!spec_->url.host_is_ip) result_.timings.dns_ms = ms_between(started_, Clock::now());
    result_.resolved = addresses;
    const std::string& host = spec_->url.host;
    if (status != 0) return finish(classify_dns_error(status, host));
    const std::vector<IcmpAddress> candidates = usable(addresses, spec_->ip_family);
    if (candidates.empty()) {
      if (addresses.empty()) return finish(dns_no_usable_address(host));
      return finish(dns_no_address_in_family(host, spec_->ip_family, addresses));
    }
    ping(candidates.front());
  }

  void ping(const IcmpAddress& address) {
    address_ = address;
    stats_.address = icmp_address_text(address);
    result_.remote_addr = stats_.address;
    const int err = socket_.open(address.family(), [this](const IcmpMessage& m) { on_message(m); });
    if (err != 0) return finish(icmp_socket_failure(err, address.family()));
    send_next();
  }

  void send_next() {
    const auto index = static_cast<std::size_t>(stats_.sent);
    const int err = socket_.send_echo(address_, static_cast<std::uint16_t>(index + 1));
    if (err != 0) return finish(icmp_send_failure(err, stats_.address));
    sent_at_[index] = Clock::now();
    ++stats_.sent;
    if (stats_.sent < count_) {
      pacer_.start(static_cast<std::uint64_t>(spec_->icmp.packet_interval.count()),
                   [this] { send_next(); });
    }
  }

  // The request a message is about, or nullopt for one this probe did not send or has had its
  // answer to already (a duplicate).
  std::optional<std::size_t> open_request(std::uint16_t sequence) const {
    if (sequence == 0 || sequence > stats_.sent) return std::nullopt;
    const std::size_t index = sequence - 1u;
    if (answered_[index]) return std::nullopt;
    return index;
  }

  void on_message(const IcmpMessage& message) {
    if (const auto* reply = std::get_if<IcmpEchoReply>(&message)) {
      const auto index = open_request(reply->sequence);
      if (!index) return;
      answered_[*index] = true;
      ++stats_.received;
      rtts_.push_back(ms_between(sent_at_[*index], reply->received_at));
    } else if (const auto* error = std::get_if<IcmpErrorReport>(&message)) {
      const auto index = open_request(error->sequence);
      if (!index) return;
      answered_[*index] = true;
      ++stats_.errors;
      if (!first_error_) first_error_ = *error;
    }
    if (stats_.sent == count_ && stats_.received + stats_.errors == stats_.sent) {
      finish_counted();
    }
  }

  void on_deadline() {
    if (stats_.address.empty()) {
      return finish(dns_timeout(spec_->url.host, spec_->timeout.count()));
    }
    finish_counted();
  }

  void finish_counted() {
    const auto waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_);
    finish(
        icmp_outcome(stats_, spec_->icmp, first_error_ ? &*first_error_ : nullptr, waited.count()));
  }

  void record_rtts() {
    if (rtts_.empty()) return;
    double sum = 0;
    for (double rtt : rtts_)
      sum += rtt;
    stats_.min_ms = *std::min_element(rtts_.begin(), rtts_.end());
    stats_.max_ms = *std::max_element(rtts_.begin(), rtts_.end());
    stats_.avg_ms = sum / static_cast<double>(rtts_.size());
    // The echo's round trip is the icmp:// probe's "connect": reaching the host and back.
    result_.timings.connect_ms = stats_.avg_ms;
  }

  void finish(const Verdict& v) {
    result_.cls = v.cls;
    result_.phase = v.cls == FailureClass::ok ? Phase::none : v.phase;
    result_.detail = v.cls == FailureClass::ok ? Detail::none : v.detail;
    result_.sys_errno = v.sys_errno;
    result_.message = v.message;
    record_rtts();
    result_.timings.total_ms = ms_between(started_, Clock::now());
    result_.icmp = stats_;
    // Last: this destroys the probe.
    prober_.complete(id_, std::move(result_));
  }

  IcmpProber& prober_;
  ProbeId id_;
  std::shared_ptr<const ProbeSpec> spec_;
  ProbeCallback done_;
  Clock::time_point started_;
  UvTimer deadline_;
  UvTimer pacer_;  // the next request; also defers an early failure out of start()
  AddressLookup lookup_;
  IcmpSocket socket_;
  IcmpAddress address_;
  IcmpStats stats_;
  // spec_->icmp.count, within the limits the config and `check` enforce (a spec built by hand
  // may not be).
  const int count_;
  std::vector<Clock::time_point> sent_at_;  // by sequence - 1
  std::vector<bool> answered_;              // by sequence - 1: a reply or an error came
  std::vector<double> rtts_;
  std::optional<IcmpErrorReport> first_error_;
  ProbeResult result_;
};

IcmpProber::IcmpProber(uv_loop_t* loop) : loop_(loop) {}

IcmpProber::~IcmpProber() {
  probes_.clear();
}

ProbeId IcmpProber::start(std::shared_ptr<const ProbeSpec> spec, ProbeCallback done) {
  return probes_.start([&](ProbeId id) {
    return std::make_unique<Probe>(*this, id, std::move(spec), std::move(done));
  });
}

void IcmpProber::cancel(ProbeId id) {
  probes_.cancel(id);
}

void IcmpProber::complete(ProbeId id, ProbeResult result) {
  probes_.complete(id, std::move(result));
}

}  // namespace faultline
