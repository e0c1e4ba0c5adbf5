// The conversation of a tcp:// or tls:// target with `send`/`expect`, after libcurl connected
// (and, for tls://, finished the handshake) in CONNECT_ONLY mode: write `send` with
// curl_easy_send, then read with curl_easy_recv until `expect` matches, the peer closes or
// resets, body_limit bytes came without a match, or the deadline passes. libcurl does the
// writing and reading (and the TLS records); the loop watches the socket in between
// (curl_easy_send/recv say CURLE_AGAIN when they would block). It records what happened and
// decides nothing (exchange_classifier.hpp does).
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "checks/pattern.hpp"
#include "checks/probe_spec.hpp"
#include "checks/socket_state.hpp"
#include "checks/uv_timer.hpp"

namespace faultline {

enum class ExchangeStop : std::uint8_t {
  matched,      // `expect` matched what was read
  sent,         // no `expect`: everything was sent
  peer_closed,  // the peer closed (FIN, or TLS close_notify) before a match
  peer_reset,   // the connection was reset before a match
  send_failed,  // writing failed (socket says how)
  recv_failed,  // reading failed otherwise (a TLS record that does not decrypt, ...)
  read_cap,     // body_limit bytes read without a match
  deadline,     // the probe's deadline passed first
  regex_limit,  // matching needed more work than a reply's Pattern may do
};

struct ExchangeFacts {
  ExchangeStop stop = ExchangeStop::deadline;
  std::size_t sent = 0;
  std::size_t received = 0;
  std::string reply;                    // what was read, up to body_limit bytes
  SocketSnapshot socket;                // TCP_INFO when the exchange stopped
  std::optional<double> first_byte_ms;  // `send` written until the first byte read
  long long elapsed_ms = 0;             // since the exchange started
  std::string error_text;               // libcurl's, for send_failed and recv_failed
};

class TcpExchange {
 public:
  using Done = std::function<void(ExchangeFacts)>;

  // `easy` is connected (CONNECT_ONLY, still in its multi handle) and outlives the exchange;
  // `spec` too. The exchange ends at `deadline` at the latest.
  TcpExchange(uv_loop_t* loop, CURL* easy, const ProbeSpec& spec,
              std::chrono::steady_clock::time_point deadline, Done done);
  // Abandons a running exchange: `done` is not called.
  ~TcpExchange();
  TcpExchange(const TcpExchange&) = delete;
  TcpExchange& operator=(const TcpExchange&) = delete;

  // Starts; `done` is called once from a loop callback (never inside start()), as the last
  // thing the exchange does, so the owner may destroy it there.
  void start();

 private:
  static void on_poll(uv_poll_t* poll, int status, int events);
  void step();
  bool write_some();  // false: stopped (or waiting to write)
  void read_some();
  void stop(ExchangeStop how, std::string error_text = {});
  void watch(int events);

  uv_loop_t* loop_;
  CURL* easy_;
  const ProbeSpec& spec_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::steady_clock::time_point sent_at_;
  Done done_;
  curl_socket_t fd_ = CURL_SOCKET_BAD;
  uv_poll_t* poll_ = nullptr;
  UvTimer timer_;
  ExchangeFacts facts_;
  bool stopped_ = false;
};

}  // namespace faultline
