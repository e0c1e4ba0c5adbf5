#include "checks/idle_step.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "checks/probe_result.hpp"

namespace faultline {
namespace {

using std::chrono::milliseconds;

// A write after the idle time must be acknowledged (or answered with RST) within this long;
// silence past it means the packet was dropped.
constexpr milliseconds kAckDeadline{2000};

// A server's logs tell the experiment's requests, whose connections sit idle for minutes, from
// the target's probes. A User-Agent header in the spec replaces it, as it replaces the probe's.
constexpr const char* kIdleUserAgent = "faultline/" FAULTLINE_VERSION " (idle probe)";

}  // namespace

IdleStep::IdleStep(uv_loop_t* loop, std::shared_ptr<const ProbeSpec> spec, IdleStepRequest request,
                   Done done)
    : loop_(loop),
      spec_(std::move(spec)),
      request_(request),
      done_(std::move(done)),
      connect_only_(!spec_->url.is_http()),
      curl_(std::make_unique<CurlMultiDriver>(loop)),
      timer_(loop) {}

IdleStep::~IdleStep() {
  unwatch();
  if (easy_ != nullptr) {
    curl_->remove(easy_);
    curl_easy_cleanup(easy_);
  }
}

void IdleStep::configure() {
  easy_ = curl_easy_init();
  if (easy_ == nullptr) return;
  // The connection is set up from the spec exactly as the target's probe sets up its own (same
  // URL, method, headers, trust), so what the experiment finds holds for the probe's requests.
  TransferSetup setup;
  setup.timeout = spec_->timeout;
  setup.user_agent = kIdleUserAgent;
  option_lists_ = apply_probe_options(easy_, *spec_, setup);
  // Where it must differ from a probe, and why:
  // - It keeps its connection for a second request: no FRESH_CONNECT or FORBID_REUSE, and
  //   libcurl must not retire the connection for its age (its default is 118 s).
  // - It reads every response body to its end: a body cut at the probe's body_limit would end
  //   the connection under test.
  // - It watches its one connection through its own socket hooks (the kernel's TCP_INFO is the
  //   verdict), not a probe's TLS and timing facts.
  // - No engine resolves the name: libcurl does, and connects to the address it finds.
  // - The keepalive verification run turns TCP keepalive on, the fix being verified.
  // - It names itself in its User-Agent (kIdleUserAgent).
  const long keep_s = static_cast<long>(request_.idle.count() / 1000 + 3600);
  curl_easy_setopt(easy_, CURLOPT_MAXAGE_CONN, keep_s);
  curl_easy_setopt(easy_, CURLOPT_OPENSOCKETFUNCTION, &IdleStep::open_socket);
  curl_easy_setopt(easy_, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(easy_, CURLOPT_CLOSESOCKETFUNCTION, &IdleStep::close_socket);
  curl_easy_setopt(easy_, CURLOPT_CLOSESOCKETDATA, this);
  curl_easy_setopt(
      easy_, CURLOPT_WRITEFUNCTION,
      +[](char*, std::size_t size, std::size_t n, void*) { return size * n; });
  if (request_.keepalive) {
    const long every = std::max<long>(1, static_cast<long>(request_.keepalive->count() / 1000));
    curl_easy_setopt(easy_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy_, CURLOPT_TCP_KEEPIDLE, every);
    curl_easy_setopt(easy_, CURLOPT_TCP_KEEPINTVL, every);
  }
}

void IdleStep::start() {
  configure();
  if (!curl_->add(easy_, this)) {
    timer_.start(0, [this] { finish(IdleOutcome::error, "libcurl refused the transfer"); });
  }
}

void IdleStep::on_transfer_done(CURL*, CURLcode code) {
  if (stage_ == Stage::first) {
    if (code != CURLE_OK) {
      finish(IdleOutcome::error,
             std::string("the first exchange failed: ") + curl_easy_strerror(code));
      return;
    }
    if (connect_only_) {
      curl_socket_t active = CURL_SOCKET_BAD;
      curl_easy_getinfo(easy_, CURLINFO_ACTIVESOCKET, &active);
      fd_ = static_cast<int>(active);
    }
    if (fd_ < 0 || fd_closed_) {
      // Closed right after the response: the server keeps no connection alive at all.
      finish(IdleOutcome::closed_by_server,
             "the server closed the connection right after its response (no keep-alive)",
             milliseconds(0));
      return;
    }
    begin_idle();
    return;
  }
  if (stage_ != Stage::second) return;
  // The second request's verdict comes from the first connection's fate, not from whether
  // libcurl succeeded: libcurl silently retries a request that died on a reused connection.
  long new_connections = 0;
  curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &new_connections);
  long os_errno = 0;
  curl_easy_getinfo(easy_, CURLINFO_OS_ERRNO, &os_errno);
  if (fd_closed_ && fd_closed_->end == SocketEnd::peer_reset) {
    finish(IdleOutcome::reset, "the second request on the idle connection was answered with RST");
  } else if (code == CURLE_OK && new_connections == 0) {
    finish(IdleOutcome::survived, "the idle connection carried a second request");
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    finish(IdleOutcome::timeout, "the second request on the idle connection got no answer");
  } else if (os_errno == ECONNRESET || os_errno == EPIPE) {
    finish(IdleOutcome::reset, "the second request on the idle connection was answered with RST");
  } else if (fd_closed_ && fd_closed_->end == SocketEnd::peer_closed) {
    finish(IdleOutcome::closed_by_server,
           "the server had closed the idle connection when it was reused");
  } else {
    finish(IdleOutcome::error,
           std::string("the second request failed: ") + curl_easy_strerror(code));
  }
}

void IdleStep::begin_idle() {
  stage_ = Stage::idle;
  idle_started_ = std::chrono::steady_clock::now();
  // UV_DISCONNECT (EPOLLRDHUP) reports the peer's FIN; an RST arrives as an error event. Plain
  // readability is not watched: a TLS server may send session tickets to an idle client.
  watch(UV_DISCONNECT,
        [](uv_poll_t* p, int, int) { static_cast<IdleStep*>(p->data)->on_idle_event(); });
  timer_.start(static_cast<std::uint64_t>(request_.idle.count()), [this] { use_again(); });
}

void IdleStep::on_idle_event() {
  const SocketSnapshot s = snapshot_socket(fd_);
  if (s.end == SocketEnd::peer_closed) {
    finish(IdleOutcome::closed_by_server, "the server closed the idle connection (FIN)",
           idle_so_far());
  } else if (s.end == SocketEnd::peer_reset) {
    finish(IdleOutcome::reset_while_idle, "the idle connection was reset (RST) while idle",
           idle_so_far());
  } else {
    unwatch();  // not an end after all; the idle timer still runs
  }
}

void IdleStep::use_again() {
  unwatch();
  const SocketSnapshot s = snapshot_socket(fd_);
  if (s.end == SocketEnd::peer_closed) {
    finish(IdleOutcome::closed_by_server, "the server closed the idle connection (FIN)",
           request_.idle);
    return;
  }
  if (s.end == SocketEnd::peer_reset) {
    finish(IdleOutcome::reset_while_idle, "the idle connection was reset (RST) while idle",
           request_.idle);
    return;
  }
  if (!connect_only_) {
    stage_ = Stage::second;
    if (!curl_->add(easy_, this)) finish(IdleOutcome::error, "libcurl refused the second request");
    return;
  }
  // tcp:// and tls://: a write whose fate (acknowledged, reset, dropped) TCP_INFO reports.
  stage_ = Stage::await_ack;
  std::size_t sent = 0;
  const CURLcode rc = curl_easy_send(easy_, "\r\n", 2, &sent);
  if (rc != CURLE_OK && rc != CURLE_AGAIN) {
    const SocketSnapshot after = snapshot_socket(fd_);
    finish(after.end == SocketEnd::peer_reset || rc == CURLE_SEND_ERROR ? IdleOutcome::reset
                                                                        : IdleOutcome::error,
           std::string("writing to the idle connection failed: ") + curl_easy_strerror(rc));
    return;
  }
  watch(UV_DISCONNECT,
        [](uv_poll_t* p, int, int) { static_cast<IdleStep*>(p->data)->check_ack(false); });
  timer_.start(static_cast<std::uint64_t>(std::min(kAckDeadline, spec_->timeout).count()),
               [this] { check_ack(true); });
}

void IdleStep::check_ack(bool deadline) {
  if (stage_ != Stage::await_ack) return;
  const SocketSnapshot s = snapshot_socket(fd_);
  if (s.end == SocketEnd::peer_reset) {
    finish(IdleOutcome::reset, "the write after the idle time was answered with RST");
  } else if (s.unacked == 0) {
    finish(IdleOutcome::survived, "the write after the idle time was acknowledged");
  } else if (deadline) {
    finish(IdleOutcome::timeout, "the write after the idle time was never acknowledged");
  } else {
    // A FIN that is not an answer yet: EPOLLRDHUP stays raised, so stop watching and let the
    // deadline decide.
    unwatch();
  }
}

void IdleStep::finish(IdleOutcome outcome, std::string message,
                      std::optional<milliseconds> ended_after) {
  if (stage_ == Stage::finished) return;
  stage_ = Stage::finished;
  unwatch();
  timer_.stop();
  IdleStepResult r;
  r.request = request_;
  r.outcome = outcome;
  r.ended_after = ended_after;
  r.message = std::move(message);
  result_ = std::move(r);
  // Reported from a timer of our own, so the owner may destroy this step in the callback
  // without pulling libcurl's multi handle out from under a callback still on the stack.
  timer_.start(0, [this] {
    Done done = std::move(done_);
    IdleStepResult r = std::move(*result_);
    done(std::move(r));
  });
}

void IdleStep::watch(int events, void (*cb)(uv_poll_t*, int, int)) {
  unwatch();
  poll_ = new uv_poll_t;
  if (uv_poll_init_socket(loop_, poll_, fd_) != 0) {
    delete poll_;
    poll_ = nullptr;
    return;
  }
  poll_->data = this;
  uv_poll_start(poll_, events, cb);
}

void IdleStep::unwatch() {
  if (poll_ == nullptr) return;
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(poll_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
}

milliseconds IdleStep::idle_so_far() const {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - idle_started_);
}

curl_socket_t IdleStep::open_socket(void* self, curlsocktype, curl_sockaddr* address) {
  auto* step = static_cast<IdleStep*>(self);
  int fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd < 0) return CURL_SOCKET_BAD;
  if (++step->sockets_opened_ == 1) step->fd_ = fd;
  return fd;
}

int IdleStep::close_socket(void* self, curl_socket_t fd) {
  auto* step = static_cast<IdleStep*>(self);
  if (fd == step->fd_ && !step->fd_closed_) {
    if (step->poll_ != nullptr) step->unwatch();
    step->fd_closed_ = snapshot_socket(fd);
  }
  return close(fd);
}

}  // namespace faultline
