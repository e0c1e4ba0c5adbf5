#include "checks/probe_engine.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "checks/body_check_job.hpp"
#include "checks/curl_transfer.hpp"
#include "checks/dns_classifier.hpp"
#include "checks/exchange_classifier.hpp"
#include "checks/grpc_health.hpp"
#include "checks/redirect_hop.hpp"
#include "checks/target_url.hpp"
#include "checks/tcp_exchange.hpp"
#include "checks/tls_client_verdict.hpp"
#include "checks/transfer_classifier.hpp"
#include "checks/utc_time.hpp"
#include "checks/uv_timer.hpp"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

// Past the deadline libcurl enforces itself; this only catches a transfer that failed to end.
constexpr std::chrono::milliseconds kDeadlineGrace{500};

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string numeric_host(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (sa->sa_family == AF_INET) {
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(sa), buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(sa), buf, sizeof buf);
  }
  return buf;
}

std::string with_port(const std::string& ip, int port) {
  return bracket_host(ip) + ":" + std::to_string(port);
}

double us_to_ms(curl_off_t us) {
  return static_cast<double>(us) / 1000.0;
}

// A transfer that could not start, for want of an epoll set (`err`) or because libcurl refused
// it (`err` 0): this host's failure either way, never the target's.
Verdict transfer_not_started(int err, const std::string& remote) {
  Verdict v;
  v.cls = FailureClass::local;
  v.phase = Phase::connect;
  v.sys_errno = err;
  v.message = err == 0
                  ? "libcurl refused to start a transfer"
                  : "this host could not watch a connection to " + remote +
                        ": epoll_create1: " + std::strerror(err) + " (" + errno_name(err) + ")";
  return v;
}

// A pending getaddrinfo outlives an abandoned probe: libuv cannot stop a lookup that a pool
// thread is already running, so the request owns itself and the probe merely detaches.
struct DnsLookup {
  uv_getaddrinfo_t req{};
  std::function<void(int, addrinfo*)> on_done;
};

}  // namespace

class ProbeEngine::Probe final : public TransferOwner {
 public:
  Probe(ProbeEngine& engine, ProbeId id, std::shared_ptr<const ProbeSpec> spec, ProbeCallback done)
      : engine_(engine),
        id_(id),
        spec_(std::move(spec)),
        done_(std::move(done)),
        started_(Clock::now()),
        deadline_(started_ + spec_->timeout),
        timer_(engine.loop_) {
    result_.started_at_ms = unix_now_ms();
  }

  ~Probe() override {
    detach_lookup();
    if (body_job_ != nullptr) body_job_->detach();
    exchange_.reset();  // before the transfer: its watch is on the transfer's socket
    abandon_transfer();
    if (kept_ != nullptr) kept_->unclaim();
  }

  ProbeCallback take_callback() { return std::move(done_); }

  void begin() {
    if (spec_->reuse_connection && spec_->url.is_http()) kept_ = engine_.kept_connection_for(spec_);
    // Deferred so that the callback never runs inside Prober::start().
    start_probe();
  }

  // tcp:// and tls:// with send or expect keep the connection for the exchange, mail targets so
  // that the probe closes it (ProbeSpec::holds_connection), and a tls://
  // handshake over TLS 1.3 in which the server asked for a client certificate keeps it until the
  // server's verdict (tls_client_verdict.hpp).
  bool keep_after_done() const override {
    return spec_->holds_connection() || awaiting_client_verdict();
  }

  void on_transfer_done(CURL* easy, CURLcode code) override {
    if (awaiting_client_verdict() && await_client_verdict(easy, code)) return;
    transfer_->finish(code);
    timer_.stop();
    // CONNECT_ONLY succeeded: connected, and for tls:// the handshake verified.
    if (code == CURLE_OK && spec_->converses()) {
      start_exchange();
      return;
    }
    end_transfer();
    const TransferFacts& facts = transfer_->facts();
    const std::string remote = remote_of_attempt();
    Verdict verdict = classify_transfer(facts, *hop_spec_, remote, unix_now_ms() / 1000);
    if (spdlog::should_log(spdlog::level::trace)) {
      spdlog::trace(
          "probe {} {}: curl={} errno={} socket={} rx={} request={} connect={}us "
          "appconnect={}us headers_done={} -> {}",
          hop_spec_->url.text, remote, static_cast<int>(facts.code), facts.os_errno,
          facts.socket ? static_cast<int>(facts.socket->end) : -1,
          facts.socket ? facts.socket->bytes_received : 0, facts.request_size, facts.connect_us,
          facts.appconnect_us, facts.headers_done, to_string(verdict.cls));
    }
    record_attempt(facts, remote, verdict);
    if (hop_spec_->url.is_grpc() && facts.headers_done) record_grpc_health(facts);
    if (attempt_ == 1 && pickup_ && first_hop()) record_kept_use(facts);

    // The next address is worth a try when this one refused at once, as a client would: the
    // next proxy address after the proxy's refusal, the next target address after the target's.
    const Phase tried = through_proxy_addresses_ ? Phase::proxy : Phase::connect;
    const bool fast_connect_failure =
        verdict.phase == tried &&
        (verdict.cls == FailureClass::refused || verdict.cls == FailureClass::unreachable);
    // A response with a status line, accepted or not: what it says may lead on.
    const bool answered = verdict.cls == FailureClass::ok || verdict.detail == Detail::http_status;
    const int status = static_cast<int>(facts.http_status);
    const std::string location = facts.redirect_url;
    const bool cut = facts.body_limit_hit;
    std::string body = transfer_->take_body();
    transfer_.reset();
    if (fast_connect_failure && attempt_ < addresses_.size() && remaining_ms() > 0) {
      next_attempt();
      return;
    }
    if (answered && spec_->follow_redirects > 0 && is_redirect_status(status) &&
        !location.empty()) {
      follow_redirect(status, location, remote);
      return;
    }
    if (verdict.cls == FailureClass::ok && spec_->checks_body()) {
      check_body_then_finish(std::move(body), cut, status, remote, verdict);
      return;
    }
    finish(verdict);
  }

 private:
  enum class Defer { no, yes };

  // Hands the connection back: the driver forgets it, libcurl closes it (removing a
  // CONNECT_ONLY handle that keep_after_done() kept in the multi handle closes it), and the
  // handle goes back to the pool, so the socket facts are final.
  void end_transfer() {
    engine_.transfer_ended(multi_);
    if (spec_->holds_connection()) multi_->remove(transfer_->easy());
    multi_ = nullptr;
    transfer_->release();
  }

  void start_exchange() {
    const std::string remote = remote_of_attempt();
    Verdict connected;
    record_attempt(transfer_->facts(), remote, connected);
    exchange_ = std::make_unique<TcpExchange>(
        engine_.loop_, transfer_->easy(), *spec_, deadline_,
        [this, remote](ExchangeFacts facts) { on_exchange_done(remote, std::move(facts)); });
    exchange_->start();
  }

  void on_exchange_done(const std::string& remote, ExchangeFacts facts) {
    const Verdict verdict = classify_exchange(facts, *spec_, remote);
    result_.timings.first_byte_ms = facts.first_byte_ms;
    Exchange shown;
    shown.sent = facts.sent;
    shown.received = facts.received;
    shown.reply = facts.reply.substr(0, kReplyExcerptBytes);
    result_.exchange = std::move(shown);
    exchange_.reset();  // done was its last act
    end_transfer();
    transfer_.reset();
    finish(verdict);
  }

  // A tls:// handshake over TLS 1.3 in which the server asked for a client certificate, not yet
  // waited on. A conversation (send/expect) reads the server's verdict itself.
  bool awaiting_client_verdict() const {
    return !spec_->converses() && transfer_ != nullptr && client_verdict_ == nullptr &&
           awaits_client_verdict(*hop_spec_, transfer_->facts().tls);
  }

  // Waits for the server's verdict on the client certificate of a kept tls:// transfer, then
  // ends the transfer with the verdict's code. False (the handle removed) when the transfer
  // failed anyway.
  bool await_client_verdict(CURL* easy, CURLcode code) {
    if (code != CURLE_OK) {
      multi_->remove(easy);
      return false;
    }
    const TlsFacts& tls = transfer_->facts().tls;
    const auto window = client_verdict_window(tls, std::chrono::milliseconds(remaining_ms()));
    client_verdict_ = std::make_unique<ClientVerdictWait>(engine_.loop_, easy, tls, window,
                                                          [this, easy](CURLcode verdict) {
                                                            multi_->remove(easy);
                                                            on_transfer_done(easy, verdict);
                                                          });
    return true;
  }

  // Hop 1 is the target's own URL; each redirect followed starts another (redirect_hop.hpp).
  // Before hop 1 (the proxy's name being resolved) there is no hop yet, and no hop_spec_.
  bool first_hop() const { return made_.size() <= 1; }

  // Starts the probe once its proxy's name, if it has one, is resolved: a proxy's name is a
  // layer of its own, resolved here like a target's so that its failures are told apart the
  // same way, and blamed on the proxy (phase proxy).
  void start_probe() {
    if (!spec_->proxy) {
      start_hop(spec_, Defer::yes);
      return;
    }
    const ProxyUrl& proxy = *spec_->proxy;
    result_.proxy = ProxyUse{};
    result_.proxy->url = proxy.text;
    result_.proxy->resolves_target = proxy.resolves_target_name();
    if (proxy.host_is_ip) {
      proxy_addresses_.push_back(proxy.host);
      start_hop(spec_, Defer::yes);
      return;
    }
    lookup(proxy.host, Lookup::proxy);
  }

  // Starts a hop: the hop's name resolved (unless it is an address, or the proxy resolves it),
  // then its addresses tried in order. Every layer of the result describes the latest hop;
  // total_ms the whole probe.
  void start_hop(std::shared_ptr<const ProbeSpec> hop, Defer defer) {
    hop_spec_ = std::move(hop);
    hop_started_ = Clock::now();
    made_.push_back({hop_spec_->method, hop_spec_->url.text});
    addresses_.clear();
    attempt_ = 0;
    result_.resolved.clear();
    result_.remote_addr.clear();
    result_.timings = Timings{};
    const TargetUrl& url = hop_spec_->url;
    // Through a proxy that resolves the target's name, the attempts try the proxy's addresses.
    through_proxy_addresses_ = hop_spec_->proxy && hop_spec_->proxy->resolves_target_name();
    if (through_proxy_addresses_ || url.host_is_ip) {
      if (through_proxy_addresses_) {
        addresses_ = proxy_addresses_;
      } else {
        result_.timings.dns_ms = 0.0;
        addresses_.push_back(url.host);
        result_.resolved = addresses_;
      }
      if (defer == Defer::yes) {
        timer_.start(0, [this] { next_attempt(); });
      } else {
        next_attempt();
      }
      return;
    }
    lookup(url.host, Lookup::target);
  }

  enum class Lookup { proxy, target };

  // Resolves `host` in libuv's thread pool, within the probe's deadline; on_resolved follows.
  void lookup(const std::string& host, Lookup what) {
    looking_up_ = what;
    lookup_started_ = Clock::now();
    lookup_ = new DnsLookup;
    lookup_->req.data = lookup_;
    lookup_->on_done = [this](int status, addrinfo* res) { on_resolved(status, res); };
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    int rc = uv_getaddrinfo(
        engine_.loop_, &lookup_->req,
        [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
          auto* lookup = static_cast<DnsLookup*>(req->data);
          if (lookup->on_done) {
            lookup->on_done(status, res);
          } else if (res != nullptr) {
            uv_freeaddrinfo(res);
          }
          delete lookup;
        },
        host.c_str(), nullptr, &hints);
    if (rc != 0) {
      delete lookup_;
      lookup_ = nullptr;
      Verdict v = for_lookup(lookup_failure(rc, host));
      timer_.start(0, [this, v] { finish(v); });
      return;
    }
    timer_.start(remaining_ms(), [this, host] {
      detach_lookup();
      finish(for_lookup(dns_timeout(host, spec_->timeout.count())));
    });
  }

  // A verdict about a name, blamed on the proxy when it was the proxy's name.
  Verdict for_lookup(Verdict v) const {
    if (looking_up_ != Lookup::proxy) return v;
    v.phase = Phase::proxy;
    v.message = "the proxy " + spec_->proxy->text + ": " + v.message;
    return v;
  }

  // Follows a redirect as its own hop, or ends the probe on it (too many, a loop, a Location
  // that is no http(s) URL).
  void follow_redirect(int status, const std::string& location, const std::string& remote) {
    auto next = next_hop(*spec_, *hop_spec_, status, location, made_, remote);
    if (!next) {
      finish(next.error());
      return;
    }
    result_.redirects.push_back(
        {hop_spec_->url.text, status, ms_between(hop_started_, Clock::now())});
    start_hop(std::make_shared<const ProbeSpec>(std::move(*next)), Defer::no);
  }

  // The body assertions run in the thread pool (body_check_job.hpp). The probe's time ends at
  // the last byte: the check is this host's work, not the target's.
  void check_body_then_finish(std::string body, bool cut, int status, const std::string& remote,
                              const Verdict& ok) {
    result_.timings.total_ms = ms_between(started_, Clock::now());
    body_job_ = BodyCheckJob::start(engine_.loop_, spec_, std::move(body), cut, status, remote,
                                    [this, ok](std::optional<Verdict> mismatch) {
                                      body_job_ = nullptr;
                                      finish(mismatch ? *mismatch : ok);
                                    });
    if (body_job_ == nullptr) {
      Verdict v;
      v.cls = FailureClass::local;
      v.phase = Phase::body;
      v.message = "this host could not queue the check of the body from " + remote;
      finish(v);
    }
  }

  long long remaining_ms() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::max<long long>(0, left.count());
  }

  // A lookup that failed as `dns` while this process is short of descriptors was most likely
  // failed by the shortage (see dns_without_descriptors). The lookup ran on a pool thread, so
  // a descriptor may have been freed since: a probe that failed for want of one in the last
  // second counts as well as a dup() failing now. Only failed lookups pay for the check.
  Verdict lookup_failure(int uv_status, std::string_view host) const {
    Verdict v = classify_dns_error(uv_status, host);
    if (v.cls != FailureClass::dns) return v;
    if (Clock::now() - engine_.last_descriptor_shortage_ < std::chrono::seconds(1)) {
      return dns_without_descriptors(uv_status, host);
    }
    const int fd = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
    if (fd >= 0) {
      ::close(fd);
      return v;
    }
    return errno == EMFILE || errno == ENFILE ? dns_without_descriptors(uv_status, host) : v;
  }

  void on_resolved(int status, addrinfo* res) {
    lookup_ = nullptr;  // the request frees itself after this call
    timer_.stop();
    const bool for_proxy = looking_up_ == Lookup::proxy;
    const std::string& host = for_proxy ? spec_->proxy->host : hop_spec_->url.host;
    if (!for_proxy) result_.timings.dns_ms = ms_between(lookup_started_, Clock::now());
    if (status != 0) {
      if (res != nullptr) uv_freeaddrinfo(res);
      finish(for_lookup(lookup_failure(status, host)));
      return;
    }
    // ip_family filters after the lookup (not through the hints), so that its message can say
    // what it removed. It applies to the target's addresses; a proxy is reached however it can.
    const IpFamily family = for_proxy ? IpFamily::any : hop_spec_->ip_family;
    std::vector<std::string> found, excluded;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
      std::string ip = numeric_host(ai->ai_addr);
      if (ip.empty()) continue;
      (family_allows(family, ai->ai_family) ? found : excluded).push_back(std::move(ip));
    }
    uv_freeaddrinfo(res);
    if (found.empty()) {
      finish(for_lookup(excluded.empty() ? dns_no_usable_address(host)
                                         : dns_no_address_in_family(host, family, excluded)));
      return;
    }
    if (remaining_ms() == 0) {
      finish(for_lookup(dns_timeout(host, spec_->timeout.count())));
      return;
    }
    if (for_proxy) {
      proxy_addresses_ = std::move(found);
      result_.proxy->resolved = proxy_addresses_;
      start_hop(spec_, Defer::no);
      return;
    }
    addresses_ = std::move(found);
    result_.resolved = addresses_;
    next_attempt();
  }

  void next_attempt() {
    const std::string& address = addresses_[attempt_++];
    const auto budget = std::chrono::milliseconds(std::max<long long>(1, remaining_ms()));
    // Only the first address of the first hop can meet the kept connection; a later one gets a
    // fresh one there, and a redirect goes elsewhere.
    KeptConnection* kept = first_hop() ? kept_ : nullptr;
    if (attempt_ == 1 && kept != nullptr) pickup_ = kept->pick_up();
    const bool expect_reuse = pickup_ && !pickup_->ended_while_idle && attempt_ == 1;
    const std::string target_address = through_proxy_addresses_ ? std::string() : address;
    std::string proxy_address;
    if (through_proxy_addresses_) {
      proxy_address = address;
    } else if (!proxy_addresses_.empty()) {
      proxy_address = proxy_addresses_.front();
    }
    transfer_ = std::make_unique<CurlTransfer>(engine_.handles_, *hop_spec_, target_address, budget,
                                               kept, expect_reuse, proxy_address);
    Expected<CurlMultiDriver*, int> added = Unexpected<int>{0};
    if (kept != nullptr) {
      CurlMultiDriver& kept_driver = kept->driver();
      if (kept_driver.add(transfer_->easy(), this)) {
        added = &kept_driver;
      } else {
        added = Unexpected<int>{kept_driver.epoll_errno()};
      }
    } else {
      added = engine_.add_transfer(transfer_->easy(), this);
    }
    if (!added) {
      transfer_.reset();
      finish(transfer_not_started(added.error(), remote_of_attempt()));
      return;
    }
    multi_ = *added;
    timer_.start(static_cast<std::uint64_t>((budget + kDeadlineGrace).count()), [this] {
      // libcurl should have ended the transfer at its own timeout; treat it as the deadline.
      CURL* easy = transfer_->easy();
      multi_->remove(easy);
      on_transfer_done(easy, CURLE_OPERATION_TIMEDOUT);
    });
  }

  // The target as this attempt's messages name it: its address, and the proxy it went through.
  std::string remote_of_attempt() const {
    const std::string& address = addresses_[attempt_ - 1];
    const TargetUrl& url = hop_spec_->url;
    if (!hop_spec_->proxy) return with_port(address, url.port);
    const std::string target =
        through_proxy_addresses_ ? url.authority() : with_port(address, url.port);
    return target + " through the proxy " + hop_spec_->proxy->text;
  }

  void record_proxy_use(const TransferFacts& f) {
    ProxyUse& proxy = *result_.proxy;
    if (f.socket_opened) proxy.address = f.proxy_address;
    proxy.connect_status = static_cast<int>(f.proxy_connect_code);
    proxy.tunnel_up = f.tunnel_up;
    if (!f.tunnel_up) return;
    // The target's own address when this host chose it (socks5), else its name.
    result_.remote_addr = through_proxy_addresses_
                              ? hop_spec_->url.authority()
                              : with_port(addresses_[attempt_ - 1], hop_spec_->url.port);
  }

  void record_attempt(const TransferFacts& f, const std::string& remote, const Verdict& v) {
    Timings& t = result_.timings;
    if (result_.proxy) {
      record_proxy_use(f);
    } else if (f.socket_opened || f.reused) {
      result_.remote_addr = remote;
    }
    if (f.tls.cert) result_.tls = f.tls.cert;
    // The failed layer gets the time it took to fail; layers not reached stay empty.
    t.connect_ms = f.connect_ms;
    if (!f.tcp_connected && v.phase == Phase::connect && f.socket_opened) {
      t.connect_ms = us_to_ms(f.total_us);
    }
    t.tls_ms = f.tls_ms;
    t.first_byte_ms.reset();
    const bool exchange_started = (hop_spec_->url.is_http() || hop_spec_->url.is_grpc()) &&
                                  f.tcp_connected &&
                                  (!hop_spec_->url.uses_tls() || f.appconnect_us > 0 || f.reused);
    if (exchange_started && f.pretransfer_us > 0) {
      if (f.starttransfer_us > 0) {
        t.first_byte_ms = us_to_ms(f.starttransfer_us - f.pretransfer_us);
      } else if (v.phase == Phase::request || v.phase == Phase::response) {
        t.first_byte_ms = us_to_ms(f.total_us - f.pretransfer_us);
      }
    }
  }

  // grpc:// and grpcs://: what the health check answered, once a reply came.
  void record_grpc_health(const TransferFacts& f) {
    const std::string& path = hop_spec_->url.path;
    result_.grpc = grpc_health_of(f.grpc, f.body, path.empty() ? path : path.substr(1));
  }

  // What the kept connection's pick-up and the transfer say of it. A connection found ended
  // while idle is decided already; one that was open and then not used was closed by libcurl
  // during the transfer (its retry after a reset or FIN in answer to the request), and the
  // kernel's state at that moment says which.
  void record_kept_use(const TransferFacts& facts) {
    KeptConnectionUse use;
    use.idle_ms = pickup_->idle.count();
    if (pickup_->ended_while_idle) {
      use.outcome = *pickup_->ended_while_idle;
    } else if (facts.reused) {
      const SocketEnd end = facts.socket ? facts.socket->end : SocketEnd::unknown;
      // A body cut at the limit is our own doing: the connection answered.
      if (facts.code == CURLE_OK || facts.body_limit_hit) {
        use.outcome = IdleOutcome::survived;
      } else if (facts.code == CURLE_OPERATION_TIMEDOUT && end != SocketEnd::peer_reset) {
        use.outcome = IdleOutcome::timeout;
      } else if (end == SocketEnd::peer_reset) {
        use.outcome = IdleOutcome::reset;
      } else if (end == SocketEnd::peer_closed) {
        use.outcome = IdleOutcome::closed_by_server;
      }
    } else {
      use.outcome = kept_->fate_of_unused();
    }
    result_.kept = use;
    result_.idle_ms = use.idle_ms;
    result_.reused = facts.reused;
  }

  void finish(const Verdict& v) {
    result_.cls = v.cls;
    result_.phase = v.cls == FailureClass::ok ? Phase::none : v.phase;
    result_.detail = v.cls == FailureClass::ok ? Detail::none : v.detail;
    result_.sys_errno = v.sys_errno;
    result_.http_status = v.http_status;
    result_.message = v.message;
    if (attempt_ > 1) {
      result_.message += std::string(through_proxy_addresses_ ? " (proxy address " : " (address ") +
                         std::to_string(attempt_) + " of " + std::to_string(addresses_.size()) +
                         " tried)";
    }
    if (!first_hop()) {
      result_.final_url = hop_spec_->url.text;
      result_.message +=
          v.cls == FailureClass::ok
              ? " after " + std::to_string(result_.redirects.size()) + " redirect" +
                    (result_.redirects.size() == 1 ? "" : "s") + ", at " + hop_spec_->url.text
              : " on hop " + std::to_string(made_.size()) + " (" + hop_spec_->url.text + ")";
    }
    if (!result_.timings.total_ms) result_.timings.total_ms = ms_between(started_, Clock::now());
    result_.slow = v.cls == FailureClass::ok && spec_->degraded_after &&
                   *result_.timings.total_ms > static_cast<double>(spec_->degraded_after->count());
    if (v.cls == FailureClass::local && (v.sys_errno == EMFILE || v.sys_errno == ENFILE)) {
      engine_.last_descriptor_shortage_ = Clock::now();
    }
    engine_.complete(id_, std::move(result_));
  }

  void detach_lookup() {
    if (lookup_ != nullptr) {
      lookup_->on_done = nullptr;
      uv_cancel(reinterpret_cast<uv_req_t*>(&lookup_->req));
      lookup_ = nullptr;
    }
  }

  void abandon_transfer() {
    client_verdict_.reset();  // before the connection it watches closes
    if (transfer_) {
      multi_->remove(transfer_->easy());
      engine_.transfer_ended(multi_);
      multi_ = nullptr;
      transfer_.reset();
    }
  }

  ProbeEngine& engine_;
  ProbeId id_;
  std::shared_ptr<const ProbeSpec> spec_;
  // The current hop's spec: spec_ itself, or a redirect's. Before transfer_, which refers to it.
  std::shared_ptr<const ProbeSpec> hop_spec_;
  std::vector<HopRequest> made_;  // the request of every hop so far, the current one last
  Clock::time_point hop_started_;
  BodyCheckJob* body_job_ = nullptr;  // the body check queued for this probe, until it is done
  ProbeCallback done_;
  Clock::time_point started_;
  Clock::time_point deadline_;
  UvTimer timer_;
  DnsLookup* lookup_ = nullptr;
  Lookup looking_up_ = Lookup::target;
  Clock::time_point lookup_started_;
  // What each attempt connects to, in order: the target's addresses, or the proxy's when
  // through_proxy_addresses_ (the proxy resolves the target's name).
  std::vector<std::string> addresses_;
  std::vector<std::string> proxy_addresses_;
  bool through_proxy_addresses_ = false;
  std::size_t attempt_ = 0;
  std::unique_ptr<CurlTransfer> transfer_;
  CurlMultiDriver* multi_ = nullptr;       // where transfer_ runs
  std::unique_ptr<TcpExchange> exchange_;  // send/expect over transfer_'s connection
  KeptConnection* kept_ = nullptr;         // reuse_connection: the target's kept connection
  std::optional<KeptConnection::Pickup> pickup_;
  ProbeResult result_;

  // transfer_'s wait for the server's verdict on its client certificate, once it has one.
  std::unique_ptr<ClientVerdictWait> client_verdict_;
};

ProbeEngine::ProbeEngine(uv_loop_t* loop) : loop_(loop) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

ProbeEngine::~ProbeEngine() {
  probes_.clear();
}

ProbeId ProbeEngine::start(std::shared_ptr<const ProbeSpec> spec, ProbeCallback done) {
  if (!kept_.empty() && Clock::now() - last_sweep_ > std::chrono::seconds(10)) {
    sweep_kept_connections();
  }
  return probes_.start([&](ProbeId id) {
    return std::make_unique<Probe>(*this, id, std::move(spec), std::move(done));
  });
}

Expected<CurlMultiDriver*, int> ProbeEngine::add_transfer(CURL* easy, TransferOwner* owner) {
  auto it = std::find_if(multis_.begin(), multis_.end(),
                         [](const Multi& m) { return m.transfers < kTransfersPerMulti; });
  if (it == multis_.end()) {
    multis_.push_back({std::make_unique<CurlMultiDriver>(loop_), 0});
    it = multis_.end() - 1;
  }
  if (!it->driver->add(easy, owner)) return Unexpected<int>{it->driver->epoll_errno()};
  ++it->transfers;
  return it->driver.get();
}

KeptConnection* ProbeEngine::kept_connection_for(const std::shared_ptr<const ProbeSpec>& spec) {
  Kept& k = kept_[spec.get()];
  // An expired entry at this address belonged to a removed target whose spec's memory was
  // reused; its connection is to another server, or the same one under other settings.
  if (!k.connection || k.spec.expired()) {
    k.spec = spec;
    k.connection = std::make_unique<KeptConnection>(loop_);
  }
  return k.connection->try_claim() ? k.connection.get() : nullptr;
}

void ProbeEngine::sweep_kept_connections() {
  last_sweep_ = Clock::now();
  for (auto it = kept_.begin(); it != kept_.end();) {
    if (it->second.spec.expired() && !it->second.connection->claimed()) {
      it = kept_.erase(it);
    } else {
      ++it;
    }
  }
}

void ProbeEngine::transfer_ended(CurlMultiDriver* driver) {
  for (Multi& m : multis_) {
    if (m.driver.get() == driver) {
      --m.transfers;
      return;
    }
  }
}

void ProbeEngine::cancel(ProbeId id) {
  probes_.cancel(id);
}

void ProbeEngine::complete(ProbeId id, ProbeResult result) {
  probes_.complete(id, std::move(result));
}

}  // namespace faultline
