// The mail schemes (smtp, imap, pop3 and their implicit-TLS forms): which they are, what the
// protocol calls itself and its STARTTLS command, and what a greeting of each must look like.
// libcurl speaks the protocols; this only names them for options and messages, and recognises
// a server that is no mail server of the kind at its first line.
#pragma once

#include <string_view>

#include "checks/target_url.hpp"

namespace faultline {

// smtp(s)://, imap(s)://, pop3(s)://.
bool is_mail(Scheme s);

// smtp://, imap://, pop3://: the plain forms, which upgrade to TLS with STARTTLS (POP3: STLS)
// unless the target says starttls: false.
bool takes_starttls(Scheme s);

// "SMTP", "IMAP", "POP3" (also for the implicit-TLS schemes): how messages name the protocol.
std::string_view mail_protocol_name(Scheme s);

// "STARTTLS", or "STLS" for POP3: the command that upgrades the connection.
std::string_view starttls_command(Scheme s);

// Whether `line` (without its line ending) may open a greeting of `s`'s protocol, whatever it
// then says: SMTP a three-digit reply code followed by ' ', '-' or nothing (RFC 5321 4.2),
// IMAP an untagged response "* " (RFC 9051 7.1), POP3 "+OK" or "-ERR" (RFC 1939 3). A refusal
// ("554", "* BYE", "-ERR") is a greeting here; libcurl decides whether it accepts it.
bool greeting_line_allowed(Scheme s, std::string_view line);

}  // namespace faultline
