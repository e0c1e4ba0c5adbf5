#include "checks/tcp_exchange.hpp"

#include <algorithm>
#include <array>

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

TcpExchange::TcpExchange(uv_loop_t* loop, CURL* easy, const ProbeSpec& spec,
                         Clock::time_point deadline, Done done)
    : loop_(loop),
      easy_(easy),
      spec_(spec),
      deadline_(deadline),
      done_(std::move(done)),
      timer_(loop) {}

TcpExchange::~TcpExchange() {
  done_ = nullptr;
  if (poll_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  }
}

void TcpExchange::start() {
  started_ = Clock::now();
  sent_at_ = started_;
  curl_easy_getinfo(easy_, CURLINFO_ACTIVESOCKET, &fd_);
  auto* poll = new uv_poll_t;
  if (fd_ == CURL_SOCKET_BAD || uv_poll_init_socket(loop_, poll, fd_) != 0) {
    delete poll;
    timer_.start(0, [this] { stop(ExchangeStop::recv_failed, "no socket to talk over"); });
    return;
  }
  poll_ = poll;
  poll_->data = this;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - started_);
  timer_.start(static_cast<std::uint64_t>(std::max<long long>(0, left.count())),
               [this] { stop(ExchangeStop::deadline); });
  // A connected socket is writable at once: the first step runs on the loop's next turn, and
  // tries to read at once too, for a reply (or a greeting) that came with the handshake.
  watch(UV_WRITABLE);
}

void TcpExchange::on_poll(uv_poll_t* poll, int, int) {
  // A socket error (UV_EBADF from EPOLLERR: an RST) is found by the next send or recv.
  static_cast<TcpExchange*>(poll->data)->step();
}

void TcpExchange::step() {
  if (facts_.sent < spec_.send.size() && !write_some()) return;
  if (!spec_.expect) {
    stop(ExchangeStop::sent);
    return;
  }
  read_some();
}

bool TcpExchange::write_some() {
  while (facts_.sent < spec_.send.size()) {
    std::size_t n = 0;
    const CURLcode rc =
        curl_easy_send(easy_, spec_.send.data() + facts_.sent, spec_.send.size() - facts_.sent, &n);
    if (rc == CURLE_AGAIN) {
      watch(UV_WRITABLE);
      return false;
    }
    if (rc != CURLE_OK) {
      stop(ExchangeStop::send_failed, curl_easy_strerror(rc));
      return false;
    }
    facts_.sent += n;
  }
  sent_at_ = Clock::now();
  return true;
}

void TcpExchange::read_some() {
  std::array<char, 4096> buffer;
  for (;;) {
    std::size_t n = 0;
    const CURLcode rc = curl_easy_recv(easy_, buffer.data(), buffer.size(), &n);
    if (rc == CURLE_AGAIN) {
      watch(UV_READABLE);
      return;
    }
    if (rc != CURLE_OK) {
      const SocketEnd end = snapshot_socket(fd_).end;
      stop(end == SocketEnd::peer_reset    ? ExchangeStop::peer_reset
           : end == SocketEnd::peer_closed ? ExchangeStop::peer_closed
                                           : ExchangeStop::recv_failed,
           curl_easy_strerror(rc));
      return;
    }
    if (n == 0) {
      stop(ExchangeStop::peer_closed);
      return;
    }
    if (facts_.received == 0) facts_.first_byte_ms = ms_between(sent_at_, Clock::now());
    facts_.received += n;
    const std::size_t room = spec_.body_limit - std::min(spec_.body_limit, facts_.reply.size());
    facts_.reply.append(buffer.data(), std::min(n, room));
    const auto found = spec_.expect->search(facts_.reply);
    if (!found) {
      stop(ExchangeStop::regex_limit);
      return;
    }
    if (*found) {
      stop(ExchangeStop::matched);
      return;
    }
    if (facts_.reply.size() >= spec_.body_limit) {
      stop(ExchangeStop::read_cap);
      return;
    }
  }
}

void TcpExchange::stop(ExchangeStop how, std::string error_text) {
  if (stopped_) return;
  stopped_ = true;
  timer_.stop();
  if (poll_ != nullptr) uv_poll_stop(poll_);
  facts_.stop = how;
  facts_.error_text = std::move(error_text);
  facts_.socket = snapshot_socket(fd_);
  facts_.elapsed_ms = static_cast<long long>(ms_between(started_, Clock::now()));
  Done done = std::move(done_);
  done_ = nullptr;
  // Last: the owner may destroy the exchange here.
  if (done) done(std::move(facts_));
}

void TcpExchange::watch(int events) {
  // Started afresh every time: libuv stops a watch that reported a socket error.
  uv_poll_start(poll_, events, &TcpExchange::on_poll);
}

}  // namespace faultline
