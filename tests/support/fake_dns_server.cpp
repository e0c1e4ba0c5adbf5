#include "tests/support/fake_dns_server.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "tests/support/dns_message.hpp"
#include "tests/support/socket_address.hpp"
#include "tests/support/stop_signal.hpp"

namespace faultline::testing {

namespace {

enum class Mode { answer, nxdomain, nodata, servfail, refused, drop };

struct Rule {
  Mode mode = Mode::answer;
  std::vector<DnsRecord> records;
  bool truncate_udp = false;
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

void append32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// Reads exactly `n` bytes unless the peer stops, the deadline passes or `stop` fires.
bool read_exactly(int fd, std::uint8_t* out, std::size_t n, const StopSignal& stop) {
  std::size_t got = 0;
  while (got < n) {
    if (wait_for(fd, POLLIN, stop, std::chrono::seconds(5)) != WaitResult::ready) return false;
    const ssize_t r = ::recv(fd, out + got, n - got, MSG_DONTWAIT);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

struct FakeDnsServer::State {
  UniqueFd udp;
  UniqueFd tcp;
  std::uint16_t port = 0;
  StopSignal stop;
  mutable std::mutex mutex;
  std::map<std::string, Rule> rules;       // guarded by mutex
  std::map<std::string, int> query_count;  // guarded by mutex
  int total_queries = 0;                   // guarded by mutex
  int tcp_queries = 0;                     // guarded by mutex
  std::thread thread;

  void set_mode(std::string_view name, Mode mode) {
    std::lock_guard lock(mutex);
    rules[normalize(name)] = Rule{mode, {}, false};
  }

  void add_record(std::string_view name, DnsRecord record) {
    std::lock_guard lock(mutex);
    Rule& rule = rules[normalize(name)];
    if (rule.mode != Mode::answer) rule = Rule{};
    rule.records.push_back(std::move(record));
  }

  void truncate(std::string_view name) {
    std::lock_guard lock(mutex);
    Rule& rule = rules[normalize(name)];
    if (rule.mode != Mode::answer) rule = Rule{};
    rule.truncate_udp = true;
  }

  void serve();
  void serve_tcp_connection(int fd);
  // The response to one query, or nothing when it must go unanswered.
  std::optional<std::vector<std::uint8_t>> respond(std::span<const std::uint8_t> query,
                                                   bool over_tcp);
};

std::optional<std::vector<std::uint8_t>> FakeDnsServer::State::respond(
    std::span<const std::uint8_t> query, bool over_tcp) {
  std::optional<DnsQuestion> q = parse_dns_query(query);
  if (!q) return std::nullopt;
  std::lock_guard lock(mutex);
  ++total_queries;
  if (over_tcp) ++tcp_queries;
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
    case Mode::refused:
      return encode_dns_response(query, *q, kDnsRefused, {});
    case Mode::nodata:
      return encode_dns_response(query, *q, kDnsNoError, {});
    case Mode::answer:
      break;
  }
  if (rule.truncate_udp && !over_tcp) return encode_dns_response(query, *q, kDnsNoError, {}, true);
  std::vector<DnsRecord> answer;
  if (q->klass == kDnsClassIn) {
    for (const DnsRecord& r : rule.records)
      if (r.type == kDnsTypeCname && q->type != kDnsTypeCname) answer.push_back(r);
    for (const DnsRecord& r : rule.records)
      if (r.type == q->type) answer.push_back(r);
  }
  return encode_dns_response(query, *q, kDnsNoError, answer);
}

void FakeDnsServer::State::serve_tcp_connection(int fd) {
  // One query per connection, length-prefixed (RFC 1035, 4.2.2), then the connection closes.
  std::array<std::uint8_t, 2> length{};
  if (!read_exactly(fd, length.data(), length.size(), stop)) return;
  std::vector<std::uint8_t> query(static_cast<std::size_t>(length[0] << 8 | length[1]));
  if (!read_exactly(fd, query.data(), query.size(), stop)) return;
  auto reply = respond(query, true);
  if (!reply) return;
  std::vector<std::uint8_t> framed = {static_cast<std::uint8_t>(reply->size() >> 8),
                                      static_cast<std::uint8_t>(reply->size() & 0xff)};
  framed.insert(framed.end(), reply->begin(), reply->end());
  ::send(fd, framed.data(), framed.size(), MSG_NOSIGNAL);
}

void FakeDnsServer::State::serve() {
  std::array<std::uint8_t, 4096> buffer;
  for (;;) {
    std::array<pollfd, 3> fds = {pollfd{udp.get(), POLLIN, 0}, pollfd{tcp.get(), POLLIN, 0},
                                 pollfd{stop.fd(), POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (stop.fired()) return;
    if (fds[1].revents != 0) {
      UniqueFd connection(::accept4(tcp.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (connection) serve_tcp_connection(connection.get());
    }
    if (fds[0].revents == 0) continue;
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(udp.get(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0) continue;
    auto reply = respond(std::span(buffer.data(), static_cast<std::size_t>(n)), false);
    if (reply)
      ::sendto(udp.get(), reply->data(), reply->size(), MSG_DONTWAIT,
               reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

FakeDnsServer::FakeDnsServer(const std::string& address, std::uint16_t port)
    : state_(std::make_unique<State>()) {
  // The kernel picks a free UDP port; the TCP listener needs the same number, which another
  // TCP socket may hold: then pick again.
  for (int attempt = 0;; ++attempt) {
    state_->udp = bind_socket(address, port, SOCK_DGRAM);
    state_->port = local_port(state_->udp.get());
    try {
      state_->tcp = bind_socket(address, state_->port, SOCK_STREAM);
      break;
    } catch (const std::system_error&) {
      if (port != 0 || attempt >= 20) throw;
    }
  }
  if (::listen(state_->tcp.get(), 16) != 0) {
    throw std::system_error(errno, std::generic_category(), "FakeDnsServer: listen");
  }
  state_->thread = std::thread([s = state_.get()] { s->serve(); });
}

FakeDnsServer::~FakeDnsServer() {
  state_->stop.fire();
  state_->thread.join();
}

std::uint16_t FakeDnsServer::port() const {
  return state_->port;
}

FakeDnsServer& FakeDnsServer::a(std::string_view name, std::string_view ipv4, std::uint32_t ttl) {
  state_->add_record(name, {kDnsTypeA, ttl, address_bytes<4>(AF_INET, ipv4)});
  return *this;
}

FakeDnsServer& FakeDnsServer::aaaa(std::string_view name, std::string_view ipv6,
                                   std::uint32_t ttl) {
  state_->add_record(name, {kDnsTypeAaaa, ttl, address_bytes<16>(AF_INET6, ipv6)});
  return *this;
}

FakeDnsServer& FakeDnsServer::cname(std::string_view name, std::string_view target,
                                    std::uint32_t ttl) {
  state_->add_record(name, {kDnsTypeCname, ttl, encode_dns_name(target)});
  return *this;
}

FakeDnsServer& FakeDnsServer::mx(std::string_view name, std::uint16_t preference,
                                 std::string_view exchange, std::uint32_t ttl) {
  std::vector<std::uint8_t> rdata = {static_cast<std::uint8_t>(preference >> 8),
                                     static_cast<std::uint8_t>(preference & 0xff)};
  const auto host = encode_dns_name(exchange);
  rdata.insert(rdata.end(), host.begin(), host.end());
  state_->add_record(name, {kDnsTypeMx, ttl, std::move(rdata)});
  return *this;
}

FakeDnsServer& FakeDnsServer::txt(std::string_view name, const std::vector<std::string>& strings,
                                  std::uint32_t ttl) {
  std::vector<std::uint8_t> rdata;
  for (const std::string& s : strings) {
    rdata.push_back(static_cast<std::uint8_t>(s.size()));
    rdata.insert(rdata.end(), s.begin(), s.end());
  }
  state_->add_record(name, {kDnsTypeTxt, ttl, std::move(rdata)});
  return *this;
}

FakeDnsServer& FakeDnsServer::ns(std::string_view name, std::string_view host, std::uint32_t ttl) {
  state_->add_record(name, {kDnsTypeNs, ttl, encode_dns_name(host)});
  return *this;
}

FakeDnsServer& FakeDnsServer::soa(std::string_view name, std::string_view mname,
                                  std::string_view rname, std::uint32_t serial, std::uint32_t ttl) {
  std::vector<std::uint8_t> rdata = encode_dns_name(mname);
  const auto r = encode_dns_name(rname);
  rdata.insert(rdata.end(), r.begin(), r.end());
  // serial, then refresh, retry, expire and minimum as a small zone has them
  for (std::uint32_t v : {serial, 7200u, 3600u, 1209600u, 300u})
    append32(rdata, v);
  state_->add_record(name, {kDnsTypeSoa, ttl, std::move(rdata)});
  return *this;
}

FakeDnsServer& FakeDnsServer::truncate_udp(std::string_view name) {
  state_->truncate(name);
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

FakeDnsServer& FakeDnsServer::refused(std::string_view name) {
  state_->set_mode(name, Mode::refused);
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

int FakeDnsServer::tcp_queries() const {
  std::lock_guard lock(state_->mutex);
  return state_->tcp_queries;
}

}  // namespace faultline::testing
