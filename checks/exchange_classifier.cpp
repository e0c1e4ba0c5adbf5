#include "checks/exchange_classifier.hpp"

#include <cerrno>

#include "checks/printable.hpp"

namespace faultline {
namespace {

Verdict verdict(FailureClass cls, Phase phase, Detail detail, std::string message, int err = 0) {
  Verdict v;
  v.cls = cls;
  v.phase = phase;
  v.detail = detail;
  v.sys_errno = err;
  v.message = std::move(message);
  return v;
}

// How the exchange ended without a match, in words that follow "answered '...'".
std::string ending(const ExchangeFacts& f, const ProbeSpec& spec) {
  switch (f.stop) {
    case ExchangeStop::peer_closed:
      return "and closed the connection";
    case ExchangeStop::peer_reset:
      return "and reset the connection";
    case ExchangeStop::read_cap:
      return "(" + std::to_string(spec.body_limit) + " bytes read, the limit)";
    default:
      return "(" + std::to_string(f.elapsed_ms) + " ms, then the deadline)";
  }
}

Verdict nothing_received(const ExchangeFacts& f, const std::string& remote) {
  switch (f.stop) {
    case ExchangeStop::peer_closed:
      return verdict(FailureClass::closed, Phase::response, Detail::none,
                     remote + " closed the connection without a reply");
    case ExchangeStop::peer_reset:
      return verdict(FailureClass::reset, Phase::response, Detail::none,
                     "connection reset by " + remote + " without a reply", ECONNRESET);
    default:
      return verdict(FailureClass::timeout, Phase::response, Detail::none,
                     "no reply from " + remote + " within " + std::to_string(f.elapsed_ms) + " ms");
  }
}

Verdict send_failed(const ExchangeFacts& f, const std::string& remote) {
  if (f.socket.end == SocketEnd::peer_closed) {
    return verdict(FailureClass::closed, Phase::request, Detail::none,
                   remote + " closed the connection while the request was sent");
  }
  return verdict(FailureClass::reset, Phase::request, Detail::none,
                 "sending to " + remote + " failed: " + f.error_text, ECONNRESET);
}

}  // namespace

Verdict classify_exchange(const ExchangeFacts& f, const ProbeSpec& spec,
                          const std::string& remote) {
  const std::string pattern = spec.expect ? quote(spec.expect->text()) : std::string();
  switch (f.stop) {
    case ExchangeStop::matched:
      return verdict(FailureClass::ok, Phase::none, Detail::none,
                     remote + " answered " + quote(f.reply) + ", matching " + pattern);
    case ExchangeStop::sent:
      return verdict(FailureClass::ok, Phase::none, Detail::none,
                     std::to_string(f.sent) + " bytes sent to " + remote);
    case ExchangeStop::send_failed:
      return send_failed(f, remote);
    case ExchangeStop::regex_limit:
      return verdict(FailureClass::local, Phase::response, Detail::none,
                     "the expect pattern " + pattern +
                         " needed more work than a match may do on the reply from " + remote +
                         " (PCRE2's match limit): simplify the pattern");
    case ExchangeStop::recv_failed:
      return verdict(FailureClass::protocol, Phase::response, Detail::unexpected_reply,
                     "the reply from " + remote + " could not be read (" +
                         (spec.url.uses_tls() ? "not valid TLS after the handshake: " : "") +
                         f.error_text + ")");
    default:
      break;
  }
  if (f.received == 0) return nothing_received(f, remote);
  return verdict(
      FailureClass::protocol, Phase::response, Detail::expect_mismatch,
      pattern + " never matched: " + remote + " answered " + quote(f.reply) + " " + ending(f, spec),
      f.stop == ExchangeStop::peer_reset ? ECONNRESET : 0);
}

}  // namespace faultline
