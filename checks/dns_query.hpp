// One DNS query to one server, run by c-ares on a libuv loop: c-ares says which sockets it wants
// watched (its socket-state callback) and how long it may wait (ares_timeout); libuv watches
// them and hands the events back (ares_process_fd). Nothing blocks: the channel is set up from
// options alone, so c-ares reads no resolv.conf, and asks the one server it is given, over UDP
// and over TCP when the UDP answer is truncated. REFUSED and SERVFAIL answers come back as
// answers (ARES_FLAG_NOCHECKRESP) instead of being retried elsewhere.
#pragma once

#include <ares.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "checks/dns_record_type.hpp"
#include "checks/uv_timer.hpp"

namespace faultline {

struct DnsQueryRequest {
  std::string server;  // a numeric IPv4 or IPv6 address
  std::uint16_t port = 53;
  std::string name;
  DnsType type = DnsType::a;
  std::chrono::milliseconds timeout{5000};  // from start() to the answer, TCP retry included
};

struct DnsQueryOutcome {
  // ARES_SUCCESS with an answer; else c-ares' error: ARES_ETIMEOUT (also for the deadline),
  // ARES_ECONNREFUSED (c-ares' word for any socket failure: see socket_errno), ARES_EBADNAME,
  // ARES_ENOMEM, ...
  int status = ARES_SUCCESS;
  std::vector<std::uint8_t> answer;  // the whole answer message, with ARES_SUCCESS
  // The errno of the first socket call that failed (socket, connect, send, receive): what an
  // ARES_ECONNREFUSED really was (ECONNREFUSED for the server's ICMP port unreachable or a
  // refused TCP connect, EMFILE, ENETUNREACH, ...); 0 when none failed.
  int socket_errno = 0;
  bool over_tcp = false;              // c-ares opened a TCP connection (truncated UDP answer)
  std::optional<double> response_ms;  // query sent to answer in, when one came
  std::optional<double> elapsed_ms;   // query sent to the end, answer or not
};

class DnsQuery {
 public:
  using Done = std::function<void(DnsQueryOutcome)>;

  // Calls ares_library_init once per process.
  DnsQuery(uv_loop_t* loop, DnsQueryRequest request, Done done);
  // Abandons a running query: `done` is not called.
  ~DnsQuery();
  DnsQuery(const DnsQuery&) = delete;
  DnsQuery& operator=(const DnsQuery&) = delete;

  // Sends the query. `done` is called once, from a loop callback (never inside start()); the
  // owner may destroy the query in it.
  void start();

 private:
  static void on_sock_state(void* self, ares_socket_t fd, int readable, int writable);
  // c-ares' socket calls (ares_set_socket_functions), which note the errno of a failure.
  static ares_socket_t open_socket(int family, int type, int protocol, void* self);
  static int close_socket(ares_socket_t fd, void* self);
  static int connect_socket(ares_socket_t fd, const sockaddr* to, ares_socklen_t length,
                            void* self);
  static ares_ssize_t receive(ares_socket_t fd, void* buffer, std::size_t length, int flags,
                              sockaddr* from, ares_socklen_t* from_length, void* self);
  static ares_ssize_t send_vector(ares_socket_t fd, const iovec* data, int count, void* self);
  void note_errno(int err);
  static void on_answer(void* self, int status, int timeouts, unsigned char* abuf, int alen);
  static void on_poll(uv_poll_t* poll, int status, int events);

  void send();
  // After every call into c-ares: ends the query if it has an outcome, else re-arms the timer.
  void after_ares();
  void on_timer();
  void end(DnsQueryOutcome outcome);
  void close_poll(ares_socket_t fd);

  struct Watch {
    uv_poll_t* poll = nullptr;
    int events = 0;  // what c-ares asked for
  };

  uv_loop_t* loop_;
  DnsQueryRequest request_;
  Done done_;
  std::chrono::steady_clock::time_point started_;  // start(): the deadline counts from here
  std::chrono::steady_clock::time_point sent_;     // the query handed to c-ares
  bool sent_yet_ = false;
  ares_channel channel_ = nullptr;
  std::unordered_map<ares_socket_t, Watch> watches_;
  UvTimer timer_;
  int socket_errno_ = 0;
  bool over_tcp_ = false;
  std::optional<DnsQueryOutcome> outcome_;  // set by on_answer inside a c-ares call
};

}  // namespace faultline
