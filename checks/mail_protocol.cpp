#include "checks/mail_protocol.hpp"

namespace faultline {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

bool is_mail(Scheme s) {
  switch (s) {
    case Scheme::smtp:
    case Scheme::smtps:
    case Scheme::imap:
    case Scheme::imaps:
    case Scheme::pop3:
    case Scheme::pop3s:
      return true;
    default:
      return false;
  }
}

bool takes_starttls(Scheme s) {
  return s == Scheme::smtp || s == Scheme::imap || s == Scheme::pop3;
}

std::string_view mail_protocol_name(Scheme s) {
  switch (s) {
    case Scheme::smtp:
    case Scheme::smtps:
      return "SMTP";
    case Scheme::imap:
    case Scheme::imaps:
      return "IMAP";
    case Scheme::pop3:
    case Scheme::pop3s:
      return "POP3";
    default:
      return "";
  }
}

std::string_view starttls_command(Scheme s) {
  return s == Scheme::pop3 || s == Scheme::pop3s ? "STLS" : "STARTTLS";
}

bool greeting_line_allowed(Scheme s, std::string_view line) {
  switch (s) {
    case Scheme::smtp:
    case Scheme::smtps:
      return line.size() >= 3 && is_digit(line[0]) && is_digit(line[1]) && is_digit(line[2]) &&
             (line.size() == 3 || line[3] == ' ' || line[3] == '-');
    case Scheme::imap:
    case Scheme::imaps:
      return starts_with(line, "* ");
    case Scheme::pop3:
    case Scheme::pop3s:
      return starts_with(line, "+OK") || starts_with(line, "-ERR");
    default:
      return true;
  }
}

}  // namespace faultline
