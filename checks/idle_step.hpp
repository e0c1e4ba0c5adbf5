// One step of the idle-reset experiment: open a connection like the target's probe, make one
// exchange (an HTTP keep-alive request; for tcp/tls just the handshake), let it sit idle, then
// use it again (a second HTTP request; for tcp/tls a write whose acknowledgement is awaited)
// and say what happened. The kernel's TCP_INFO decides between reset, orderly close and
// silence, as in the probe classifiers.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "checks/curl_multi_driver.hpp"
#include "checks/curl_request_options.hpp"
#include "checks/idle_bracket.hpp"
#include "checks/probe_spec.hpp"
#include "checks/socket_state.hpp"
#include "checks/uv_timer.hpp"

namespace faultline {

class IdleStep final : public TransferOwner {
 public:
  using Done = std::function<void(IdleStepResult)>;

  // Runs on `loop`; `done` is called once, from a loop callback of its own (never from inside
  // start()), after which the owner may destroy the step. Destroying it earlier abandons it.
  IdleStep(uv_loop_t* loop, std::shared_ptr<const ProbeSpec> spec, IdleStepRequest request,
           Done done);
  ~IdleStep() override;
  IdleStep(const IdleStep&) = delete;
  IdleStep& operator=(const IdleStep&) = delete;

  void start();

  void on_transfer_done(CURL* easy, CURLcode code) override;
  bool keep_after_done() const override { return connect_only_; }

 private:
  enum class Stage { first, idle, second, await_ack, finished };
  void configure();
  void begin_idle();
  void on_idle_event();
  void use_again();
  void check_ack(bool deadline);
  void finish(IdleOutcome outcome, std::string message,
              std::optional<std::chrono::milliseconds> ended_after = std::nullopt);
  void watch(int events, void (*cb)(uv_poll_t*, int, int));
  void unwatch();
  std::chrono::milliseconds idle_so_far() const;

  static curl_socket_t open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
  static int close_socket(void* self, curl_socket_t fd);

  uv_loop_t* loop_;
  std::shared_ptr<const ProbeSpec> spec_;
  IdleStepRequest request_;
  Done done_;
  bool connect_only_;
  std::unique_ptr<CurlMultiDriver> curl_;
  CURL* easy_ = nullptr;
  CurlOptionLists option_lists_;  // what easy_'s options point into
  Stage stage_ = Stage::first;
  int fd_ = -1;                              // the first connection's socket
  std::optional<SocketSnapshot> fd_closed_;  // its state when libcurl closed it
  int sockets_opened_ = 0;
  std::chrono::steady_clock::time_point idle_started_;
  uv_poll_t* poll_ = nullptr;
  UvTimer timer_;
  std::optional<IdleStepResult> result_;
};

}  // namespace faultline
