// MailServer: a loopback SMTP, IMAP or POP3 server that speaks just enough of its protocol for
// a probe: the greeting, the capability exchange (EHLO, CAPABILITY, CAPA), STARTTLS (STLS)
// offered or not with a real TLS handshake on the test PKI's certificates, and the goodbye.
// Implicit TLS (smtps, imaps, pop3s) handshakes before the greeting.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/openssl_ptr.hpp"
#include "tests/support/stop_signal.hpp"
#include "tests/support/tls_material.hpp"
#include "tests/support/unique_fd.hpp"

namespace faultline::testing {

enum class MailProtocol { smtp, imap, pop3 };

struct MailServerOptions {
  MailProtocol protocol = MailProtocol::smtp;
  // Whether the capabilities list STARTTLS (POP3: STLS) before TLS is up.
  bool offer_starttls = true;
  // TLS from the first byte (smtps, imaps, pop3s); needs `tls`.
  bool implicit_tls = false;
  // The certificate presented after STARTTLS or from the first byte; none: STARTTLS is answered
  // but no handshake can follow, so offering it needs `tls` too.
  std::optional<TlsMaterial> tls{};
  // Sent instead of the protocol's usual greeting, as is (with its line ending), e.g.
  // "554 no service\r\n" or "SSH-2.0-OpenSSH_9.2\r\n".
  std::optional<std::string> greeting{};
};

// Listens on 127.0.0.1 as soon as the constructor returns and serves one connection at a time
// on its own thread until the destructor, which stops it promptly. Construction throws
// (std::system_error, std::runtime_error for unusable TLS material).
class MailServer {
 public:
  explicit MailServer(MailServerOptions options);
  ~MailServer();
  MailServer(const MailServer&) = delete;
  MailServer& operator=(const MailServer&) = delete;

  std::uint16_t port() const { return port_; }
  // scheme + "://127.0.0.1:PORT", e.g. url("smtp").
  std::string url(const std::string& scheme) const;

  // The commands the clients sent so far, one line each without its ending. Thread-safe.
  std::vector<std::string> commands() const;
  // TLS handshakes that completed. Thread-safe.
  int tls_handshakes() const { return tls_handshakes_.load(); }

 private:
  void serve();
  void record(const std::string& command);

  MailServerOptions options_;
  SslCtxPtr tls_;
  UniqueFd listener_;
  std::uint16_t port_ = 0;
  StopSignal stop_;
  std::atomic<int> tls_handshakes_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> commands_;
  std::thread thread_;
};

}  // namespace faultline::testing
