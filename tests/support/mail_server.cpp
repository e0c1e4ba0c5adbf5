#include "tests/support/mail_server.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "tests/support/server_stream.hpp"
#include "tests/support/socket_address.hpp"

namespace faultline::testing {
namespace {

SslCtxPtr make_context(const TlsMaterial& tls) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_chain_path.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_path.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("unusable TLS material " + tls.cert_chain_path);
  }
  return ctx;
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// The word after the IMAP tag: "A001 CAPABILITY" -> "CAPABILITY".
std::string imap_command(const std::string& line) {
  const std::size_t space = line.find(' ');
  return space == std::string::npos ? std::string() : upper(line.substr(space + 1));
}

std::string imap_tag(const std::string& line) {
  return line.substr(0, line.find(' '));
}

// One connection: reads lines, answers each, and switches to TLS on STARTTLS.
class Session {
 public:
  Session(ServerStream& stream, const MailServerOptions& options, SSL_CTX* tls,
          std::atomic<int>& handshakes)
      : stream_(stream), options_(options), tls_ctx_(tls), handshakes_(handshakes) {}

  // Returns whether the handshake completed.
  bool start_tls() {
    buffer_.clear();
    if (tls_ctx_ == nullptr || !stream_.handshake(tls_ctx_)) return false;
    tls_up_ = true;
    handshakes_.fetch_add(1);
    return true;
  }

  bool send(const std::string& text) { return stream_.write_all(text) == IoStatus::ok; }

  // The next line without its ending; nullopt at EOF, an error or stop.
  std::optional<std::string> next_line() {
    for (;;) {
      const std::size_t end = buffer_.find('\n');
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      char chunk[1024];
      const IoResult got = stream_.read(chunk, sizeof chunk);
      if (got.status != IoStatus::ok) return std::nullopt;
      buffer_.append(chunk, got.bytes);
    }
  }

  bool offers_starttls() const { return options_.offer_starttls && !tls_up_; }

  // Answers one command; false ends the connection.
  bool answer(const std::string& line) {
    switch (options_.protocol) {
      case MailProtocol::smtp:
        return answer_smtp(upper(line));
      case MailProtocol::imap:
        return answer_imap(imap_tag(line), imap_command(line));
      case MailProtocol::pop3:
        return answer_pop3(upper(line));
    }
    return false;
  }

 private:
  bool upgrade(const std::string& go_ahead) { return send(go_ahead) && start_tls(); }

  bool answer_smtp(const std::string& command) {
    if (starts_with(command, "EHLO") || starts_with(command, "HELO")) {
      return send("250-mail.test greets you\r\n" +
                  std::string(offers_starttls() ? "250-STARTTLS\r\n" : "") + "250 8BITMIME\r\n");
    }
    if (command == "STARTTLS") {
      if (!offers_starttls()) return send("502 5.5.1 not here\r\n");
      return upgrade("220 2.0.0 ready to start TLS\r\n");
    }
    if (command == "QUIT") {
      send("221 2.0.0 bye\r\n");
      return false;
    }
    return send("502 5.5.2 unknown command\r\n");
  }

  bool answer_imap(const std::string& tag, const std::string& command) {
    if (command == "CAPABILITY") {
      return send("* CAPABILITY IMAP4rev1" + std::string(offers_starttls() ? " STARTTLS" : "") +
                  " LOGINDISABLED\r\n" + tag + " OK CAPABILITY completed\r\n");
    }
    if (command == "STARTTLS") {
      if (!offers_starttls()) return send(tag + " BAD not here\r\n");
      return upgrade(tag + " OK begin TLS now\r\n");
    }
    if (command == "LOGOUT") {
      send("* BYE logging out\r\n" + tag + " OK LOGOUT completed\r\n");
      return false;
    }
    return send(tag + " BAD unknown command\r\n");
  }

  bool answer_pop3(const std::string& command) {
    if (command == "CAPA") {
      return send("+OK capabilities follow\r\nUSER\r\n" +
                  std::string(offers_starttls() ? "STLS\r\n" : "") + ".\r\n");
    }
    if (command == "STLS") {
      if (!offers_starttls()) return send("-ERR not here\r\n");
      return upgrade("+OK begin TLS now\r\n");
    }
    if (command == "QUIT") {
      send("+OK bye\r\n");
      return false;
    }
    return send("-ERR unknown command\r\n");
  }

  ServerStream& stream_;
  const MailServerOptions& options_;
  SSL_CTX* tls_ctx_;
  std::atomic<int>& handshakes_;
  bool tls_up_ = false;
  std::string buffer_;
};

std::string default_greeting(MailProtocol protocol) {
  switch (protocol) {
    case MailProtocol::smtp:
      return "220 mail.test ESMTP faultline-test\r\n";
    case MailProtocol::imap:
      return "* OK faultline-test IMAP4rev1 ready\r\n";
    case MailProtocol::pop3:
      return "+OK faultline-test POP3 ready\r\n";
  }
  return {};
}

}  // namespace

MailServer::MailServer(MailServerOptions options) : options_(std::move(options)) {
  if (options_.tls) tls_ = make_context(*options_.tls);
  if (options_.implicit_tls && !tls_) throw std::invalid_argument("implicit_tls needs tls");
  listener_ = bind_socket("127.0.0.1", 0, SOCK_STREAM);
  ::fcntl(listener_.get(), F_SETFL, ::fcntl(listener_.get(), F_GETFL) | O_NONBLOCK);
  if (::listen(listener_.get(), SOMAXCONN) != 0)
    throw std::system_error(errno, std::generic_category(), "listen");
  port_ = local_port(listener_.get());
  thread_ = std::thread([this] { serve(); });
}

MailServer::~MailServer() {
  stop_.fire();
  thread_.join();
}

std::string MailServer::url(const std::string& scheme) const {
  return scheme + "://127.0.0.1:" + std::to_string(port_);
}

std::vector<std::string> MailServer::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

void MailServer::record(const std::string& command) {
  std::lock_guard lock(mutex_);
  commands_.push_back(command);
}

void MailServer::serve() {
  // Writing to a connection the probe has closed gives EPIPE, not a signal that ends the tests.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  while (wait_for(listener_.get(), POLLIN, stop_) == WaitResult::ready) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) continue;
    ServerStream stream(std::move(fd), stop_);
    Session session(stream, options_, tls_.get(), tls_handshakes_);
    if (options_.implicit_tls && !session.start_tls()) continue;
    bool open = session.send(options_.greeting.value_or(default_greeting(options_.protocol)));
    while (open) {
      auto line = session.next_line();
      if (!line) break;
      record(*line);
      open = session.answer(*line);
    }
  }
}

}  // namespace faultline::testing
