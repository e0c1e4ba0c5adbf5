#include "tests/support/fake_dns_server.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/support/dns_message.hpp"
#include "tests/support/socket_address.hpp"
#include "tests/support/stop_signal.hpp"

namespace faultline::testing {

namespace {

enum class Mode { answer, nxdomain, nodata, servfail, drop };

struct Rule {
  Mode mode = Mode::answer;
  std::vector<std::vector<std::uint8_t>> a;
  std::vector<std::vector<std::uint8_t>> aaaa;
};

std::string normalize(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

template <std::size_t N>
std::vector<std::uint8_t> address_bytes(int family, std::string_view literal) {
  std::array<std::uint8_t, N> bytes{};
  if (::inet_pton(family, std::string(literal).c_str(), bytes.data()) != 1)
    throw std::invalid_argument("FakeDnsServer: not an address: '" + std::string(literal) + "'");
  return {bytes.begin(), bytes.end()};
}

}  // namespace

struct FakeDnsServer::State {
  UniqueFd socket;
  std::uint16_t port = 0;
  StopSignal stop;
  mutable std::mutex mutex;
  std::map<std::string, Rule> rules;       // guarded by mutex
  std::map<std::string, int> query_count;  // guarded by mutex
  int total_queries = 0;                   // guarded by mutex
  std::thread thread;

  void set_mode(std::string_view name, Mode mode) {
    std::lock_guard lock(mutex);
    rules[normalize(name)] = Rule{mode, {}, {}};
  }

  void add_address(std::string_view name, bool v6, std::vector<std::uint8_t> bytes) {
    std::lock_guard lock(mutex);
    Rule& rule = rules[normalize(name)];
    if (rule.mode != Mode::answer) rule = Rule{};
    (v6 ? rule.aaaa : rule.a).push_back(std::move(bytes));
  }

  void serve();
  // The response to one datagram, or nothing when it must go unanswered.
  std::optional<std::vector<std::uint8_t>> respond(std::span<const std::uint8_t> query);
};

std::optional<std::vector<std::uint8_t>> FakeDnsServer::State::respond(
    std::span<const std::uint8_t> query) {
  std::optional<DnsQuestion> q = parse_dns_query(query);
  if (!q) return std::nullopt;
  std::lock_guard lock(mutex);
  ++total_queries;
  ++query_count[q->name];
  auto it = rules.find(q->name);
  if (it == rules.end()) return encode_dns_response(query, *q, kDnsNxDomain, {});
  const Rule& rule = it->second;
  switch (rule.mode) {
    case Mode::drop:
      return std::nullopt;
    case Mode::nxdomain:
      return encode_dns_response(query, *q, kDnsNxDomain, {});
    case Mode::servfail:
      return encode_dns_response(query, *q, kDnsServFail, {});
    case Mode::nodata:
      return encode_dns_response(query, *q, kDnsNoError, {});
    case Mode::answer:
      break;
  }
  static const std::vector<std::vector<std::uint8_t>> kNone;
  const auto& records = q->klass != kDnsClassIn   ? kNone
                        : q->type == kDnsTypeA    ? rule.a
                        : q->type == kDnsTypeAaaa ? rule.aaaa
                                                  : kNone;
  return encode_dns_response(query, *q, kDnsNoError, records);
}

void FakeDnsServer::State::serve() {
  std::array<std::uint8_t, 4096> buffer;
  while (wait_for(socket.get(), POLLIN, stop) == WaitResult::ready) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(socket.get(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0) continue;
    auto reply = respond(std::span(buffer.data(), static_cast<std::size_t>(n)));
    if (reply)
      ::sendto(socket.get(), reply->data(), reply->size(), MSG_DONTWAIT,
               reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

FakeDnsServer::FakeDnsServer(const std::string& address, std::uint16_t port)
    : state_(std::make_unique<State>()) {
  state_->socket = bind_socket(address, port, SOCK_DGRAM);
  state_->port = local_port(state_->socket.get());
  state_->thread = std::thread([s = state_.get()] { s->serve(); });
}

FakeDnsServer::~FakeDnsServer() {
  state_->stop.fire();
  state_->thread.join();
}

std::uint16_t FakeDnsServer::port() const {
  return state_->port;
}

FakeDnsServer& FakeDnsServer::a(std::string_view name, std::string_view ipv4) {
  state_->add_address(name, false, address_bytes<4>(AF_INET, ipv4));
  return *this;
}

FakeDnsServer& FakeDnsServer::aaaa(std::string_view name, std::string_view ipv6) {
  state_->add_address(name, true, address_bytes<16>(AF_INET6, ipv6));
  return *this;
}

FakeDnsServer& FakeDnsServer::nxdomain(std::string_view name) {
  state_->set_mode(name, Mode::nxdomain);
  return *this;
}

FakeDnsServer& FakeDnsServer::nodata(std::string_view name) {
  state_->set_mode(name, Mode::nodata);
  return *this;
}

FakeDnsServer& FakeDnsServer::servfail(std::string_view name) {
  state_->set_mode(name, Mode::servfail);
  return *this;
}

FakeDnsServer& FakeDnsServer::drop(std::string_view name) {
  state_->set_mode(name, Mode::drop);
  return *this;
}

int FakeDnsServer::queries() const {
  std::lock_guard lock(state_->mutex);
  return state_->total_queries;
}

int FakeDnsServer::queries_for(std::string_view name) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->query_count.find(normalize(name));
  return it == state_->query_count.end() ? 0 : it->second;
}

}  // namespace faultline::testing
