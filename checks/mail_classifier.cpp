#include "checks/mail_classifier.hpp"

#include <cerrno>

#include "checks/mail_protocol.hpp"
#include "checks/printable.hpp"

namespace faultline {
namespace {

// Messages quote at most this much of a server's line.
constexpr std::size_t kQuotedLine = 80;

Verdict verdict(FailureClass cls, Detail detail, std::string message, int err = 0) {
  Verdict v;
  v.cls = cls;
  v.phase = cls == FailureClass::ok ? Phase::none : Phase::response;
  v.detail = detail;
  v.sys_errno = err;
  v.message = std::move(message);
  return v;
}

std::string quoted(const std::string& line) {
  return quote(line.substr(0, kQuotedLine));
}

// "the SMTP server at 127.0.0.1:25"
std::string server(const MailExchangeEnd& e) {
  return "the " + std::string(mail_protocol_name(e.scheme)) + " server at " + e.address;
}

Verdict greeted(const MailExchangeEnd& e) {
  std::string text = server(e) + " greeted " + quoted(e.first_line);
  if (e.starttls) {
    text += " and started " + (e.tls_version.empty() ? std::string("TLS") : e.tls_version) +
            " with " + std::string(starttls_command(e.scheme));
  } else if (!e.tls_version.empty()) {
    text += " over " + e.tls_version;
  }
  return verdict(FailureClass::ok, Detail::none, text);
}

Verdict no_starttls(const MailExchangeEnd& e) {
  const std::string command(starttls_command(e.scheme));
  // libcurl's words tell a refused command ("STARTTLS denied") from one never offered.
  const bool refused = e.library_error.find("denied") != std::string::npos;
  std::string text =
      refused ? server(e) + " refused " + command + ": it answered " + quoted(e.last_line)
              : server(e) + " does not offer " + command +
                    " (not among its capabilities; last line " + quoted(e.last_line) + ")";
  return verdict(FailureClass::protocol, Detail::no_starttls, text);
}

Verdict ended_by_peer(const MailExchangeEnd& e) {
  const std::string after = e.lines == 0 ? " before greeting" : " after " + quoted(e.last_line);
  if (e.socket.end == SocketEnd::peer_reset || e.os_errno == ECONNRESET) {
    return verdict(FailureClass::reset, Detail::none, "connection reset by " + server(e) + after,
                   ECONNRESET);
  }
  return verdict(FailureClass::closed, Detail::none, server(e) + " closed the connection" + after);
}

}  // namespace

Verdict classify_mail_exchange(const MailExchangeEnd& e) {
  if (e.greeting_rejected) {
    return verdict(
        FailureClass::protocol, Detail::unexpected_reply,
        e.address + " did not greet as " +
            std::string(e.scheme == Scheme::pop3 || e.scheme == Scheme::pop3s ? "a " : "an ") +
            std::string(mail_protocol_name(e.scheme)) + " server: it sent " + quoted(e.first_line));
  }
  switch (e.curl_code) {
    case CURLE_OK:
      return greeted(e);
    case CURLE_USE_SSL_FAILED:
      return no_starttls(e);
    case CURLE_OPERATION_TIMEDOUT:
      return verdict(FailureClass::timeout, Detail::none,
                     e.lines == 0
                         ? server(e) + " accepted the connection but sent no greeting " +
                               "within " + std::to_string(e.elapsed_ms) + " ms"
                         : server(e) + " stopped answering after " + quoted(e.last_line) + " (" +
                               std::to_string(e.elapsed_ms) + " ms, then the deadline)");
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
      if (e.socket.end == SocketEnd::peer_reset || e.socket.end == SocketEnd::peer_closed ||
          e.os_errno == ECONNRESET || e.lines == 0) {
        return ended_by_peer(e);
      }
      break;
    default:
      break;
  }
  // CURLE_WEIRD_SERVER_REPLY (a greeting or answer of the wrong kind), CURLE_REMOTE_ACCESS_DENIED
  // (EHLO refused), and whatever else libcurl's state machine would not take.
  const std::string said = e.lines == 0 ? std::string("nothing") : quoted(e.last_line);
  return verdict(FailureClass::protocol, Detail::unexpected_reply,
                 server(e) + (e.lines <= 1 ? " greeted with " : " answered ") + said + " (" +
                     printable(e.library_error) + ")");
}

}  // namespace faultline
