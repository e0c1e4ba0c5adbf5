#include "checks/dns_query.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>

#include "checks/target_url.hpp"

namespace faultline {
namespace {

constexpr int kClassIn = 1;

// c-ares' own wait granularity: a timeout it reports as 0 ms still needs a turn of the loop.
std::uint64_t timeval_ms(const timeval& tv) {
  return static_cast<std::uint64_t>(tv.tv_sec) * 1000 +
         static_cast<std::uint64_t>((tv.tv_usec + 999) / 1000);
}

DnsQueryOutcome failed(int status) {
  DnsQueryOutcome out;
  out.status = status;
  return out;
}

}  // namespace

DnsQuery::DnsQuery(uv_loop_t* loop, DnsQueryRequest request, Done done)
    : loop_(loop), request_(std::move(request)), done_(std::move(done)), timer_(loop) {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

DnsQuery::~DnsQuery() {
  done_ = nullptr;
  outcome_ = DnsQueryOutcome{};  // answers arriving during ares_destroy are not ours any more
  if (channel_ != nullptr) ares_destroy(channel_);
  while (!watches_.empty())
    close_poll(watches_.begin()->first);
}

void DnsQuery::start() {
  started_ = std::chrono::steady_clock::now();
  // Deferred: c-ares may answer (or fail) inside ares_send, and done must not run in start().
  timer_.start(0, [this] { send(); });
}

void DnsQuery::send() {
  ares_options o{};
  // Every option that would otherwise come from resolv.conf is given, so that c-ares does not
  // read it (ARES_CONFIG_CHECK in c-ares 1.18's ares_init.c): no file I/O on the loop, and
  // nothing of this host's resolver configuration in the probe.
  o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  o.timeout = static_cast<int>(std::max<long long>(1, request_.timeout.count()));
  o.tries = 1;
  o.ndots = 1;
  o.nservers = 0;
  o.ndomains = 0;
  o.nsort = 0;
  o.lookups = const_cast<char*>("b");
  o.sock_state_cb = &DnsQuery::on_sock_state;
  o.sock_state_cb_data = this;
  const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS |
                   ARES_OPT_SERVERS | ARES_OPT_DOMAINS | ARES_OPT_SORTLIST | ARES_OPT_LOOKUPS |
                   ARES_OPT_SOCK_STATE_CB;
  int rc = ares_init_options(&channel_, &o, mask);
  if (rc != ARES_SUCCESS) {
    channel_ = nullptr;
    end(failed(rc));
    return;
  }
  static const ares_socket_functions kSocketFunctions = {
      &DnsQuery::open_socket, &DnsQuery::close_socket, &DnsQuery::connect_socket,
      &DnsQuery::receive, &DnsQuery::send_vector};
  ares_set_socket_functions(channel_, &kSocketFunctions, this);
  const std::string server = bracket_host(request_.server) + ":" + std::to_string(request_.port);
  rc = ares_set_servers_ports_csv(channel_, server.c_str());
  unsigned char* query = nullptr;
  int query_length = 0;
  if (rc == ARES_SUCCESS) {
    rc = ares_create_query(request_.name.c_str(), kClassIn, wire_code(request_.type), 0, 1, &query,
                           &query_length, 0);
  }
  if (rc != ARES_SUCCESS) {
    end(failed(rc));
    return;
  }
  sent_ = std::chrono::steady_clock::now();
  sent_yet_ = true;
  ares_send(channel_, query, query_length, &DnsQuery::on_answer, this);
  ares_free_string(query);
  after_ares();
}

void DnsQuery::on_answer(void* self, int status, int, unsigned char* abuf, int alen) {
  auto* q = static_cast<DnsQuery*>(self);
  if (q->outcome_) return;  // ARES_EDESTRUCTION after the end
  DnsQueryOutcome out;
  out.status = status;
  if (status == ARES_SUCCESS && abuf != nullptr && alen > 0) {
    out.answer.assign(abuf, abuf + alen);
    out.response_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - q->sent_)
            .count();
  }
  q->outcome_ = std::move(out);
}

void DnsQuery::note_errno(int err) {
  if (socket_errno_ == 0 && err != EAGAIN && err != EWOULDBLOCK && err != EINPROGRESS &&
      err != EINTR) {
    socket_errno_ = err;
  }
}

ares_socket_t DnsQuery::open_socket(int family, int type, int protocol, void* self) {
  auto* q = static_cast<DnsQuery*>(self);
  // What c-ares does to sockets it opens itself, and skips for user-made ones.
  const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    q->note_errno(errno);
    return ARES_SOCKET_BAD;
  }
  if (type == SOCK_STREAM) {
    q->over_tcp_ = true;
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  return fd;
}

int DnsQuery::close_socket(ares_socket_t fd, void*) {
  return ::close(fd);
}

int DnsQuery::connect_socket(ares_socket_t fd, const sockaddr* to, ares_socklen_t length,
                             void* self) {
  const int rc = ::connect(fd, to, length);
  if (rc != 0) {
    const int err = errno;
    static_cast<DnsQuery*>(self)->note_errno(err);
    errno = err;
  }
  return rc;
}

ares_ssize_t DnsQuery::receive(ares_socket_t fd, void* buffer, std::size_t length, int flags,
                               sockaddr* from, ares_socklen_t* from_length, void* self) {
  const ares_ssize_t n = ::recvfrom(fd, buffer, length, flags, from, from_length);
  if (n < 0) {
    const int err = errno;
    static_cast<DnsQuery*>(self)->note_errno(err);
    errno = err;
  }
  return n;
}

ares_ssize_t DnsQuery::send_vector(ares_socket_t fd, const iovec* data, int count, void* self) {
  const ares_ssize_t n = ::writev(fd, data, count);
  if (n < 0) {
    const int err = errno;
    static_cast<DnsQuery*>(self)->note_errno(err);
    errno = err;
  }
  return n;
}

void DnsQuery::on_sock_state(void* self, ares_socket_t fd, int readable, int writable) {
  auto* q = static_cast<DnsQuery*>(self);
  const int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  if (events == 0) {
    q->close_poll(fd);
    return;
  }
  Watch& w = q->watches_[fd];
  if (w.poll == nullptr) {
    auto* poll = new uv_poll_t;
    if (uv_poll_init_socket(q->loop_, poll, fd) != 0) {
      // c-ares then waits for its own timeout, which the probe reports.
      delete poll;
      q->watches_.erase(fd);
      return;
    }
    poll->data = q;
    w.poll = poll;
  }
  w.events = events;
  uv_poll_start(w.poll, events, &DnsQuery::on_poll);
}

void DnsQuery::on_poll(uv_poll_t* poll, int status, int events) {
  auto* q = static_cast<DnsQuery*>(poll->data);
  uv_os_fd_t os_fd = -1;
  uv_fileno(reinterpret_cast<const uv_handle_t*>(poll), &os_fd);
  const auto fd = static_cast<ares_socket_t>(os_fd);
  // libuv reports a socket error (EPOLLERR: the ICMP port unreachable of a UDP query, an RST)
  // as UV_EBADF and stops the watch. c-ares finds the error by reading the socket.
  const bool failed = status < 0;
  const ares_socket_t read_fd = failed || (events & UV_READABLE) ? fd : ARES_SOCKET_BAD;
  const ares_socket_t write_fd = failed || (events & UV_WRITABLE) ? fd : ARES_SOCKET_BAD;
  ares_process_fd(q->channel_, read_fd, write_fd);
  if (failed && !q->outcome_) {
    auto it = q->watches_.find(fd);
    if (it != q->watches_.end()) uv_poll_start(it->second.poll, it->second.events, &on_poll);
  }
  q->after_ares();
}

void DnsQuery::after_ares() {
  if (outcome_) {
    DnsQueryOutcome out = std::move(*outcome_);
    end(std::move(out));
    return;
  }
  const auto left = request_.timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - started_);
  std::uint64_t wait = static_cast<std::uint64_t>(std::max<long long>(0, left.count()));
  timeval max{}, tv{};
  max.tv_sec = static_cast<time_t>(wait / 1000);
  max.tv_usec = static_cast<suseconds_t>((wait % 1000) * 1000);
  if (const timeval* t = ares_timeout(channel_, &max, &tv)) wait = std::min(wait, timeval_ms(*t));
  timer_.start(wait, [this] { on_timer(); });
}

void DnsQuery::on_timer() {
  if (std::chrono::steady_clock::now() - started_ >= request_.timeout) {
    end(failed(ARES_ETIMEOUT));
    return;
  }
  ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  after_ares();
}

void DnsQuery::end(DnsQueryOutcome outcome) {
  timer_.stop();
  outcome.socket_errno = socket_errno_;
  outcome.over_tcp = over_tcp_;
  if (sent_yet_) {
    outcome.elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent_).count();
  }
  // Marks the query ended for on_answer, which ares_destroy may still call.
  outcome_ = DnsQueryOutcome{};
  if (channel_ != nullptr) {
    ares_destroy(channel_);
    channel_ = nullptr;
  }
  while (!watches_.empty())
    close_poll(watches_.begin()->first);
  Done done = std::move(done_);
  done_ = nullptr;
  // Last: the owner may destroy this query in it.
  if (done) done(std::move(outcome));
}

void DnsQuery::close_poll(ares_socket_t fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  uv_poll_t* poll = it->second.poll;
  watches_.erase(it);
  uv_poll_stop(poll);
  uv_close(reinterpret_cast<uv_handle_t*>(poll),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
}

}  // namespace faultline
