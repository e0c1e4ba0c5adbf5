// The mail layer of smtp(s)://, imap(s):// and pop3(s):// targets: what the greeting, the
// capability exchange and STARTTLS came to, in the taxonomy. The TLS handshake itself (after
// STARTTLS, or from the first byte) is the TLS classifier's; this sees the rest.
//
//   greeted (and upgraded to TLS when asked)                    -> ok
//   the server does not offer STARTTLS (STLS), or refused it    -> protocol/no_starttls
//   the first line is no greeting of the protocol (SSH, HTTP)   -> protocol/unexpected_reply
//   a refusal or an answer libcurl cannot take ("554 ...",
//     "* BYE", "-ERR", a failed EHLO)                           -> protocol/unexpected_reply
//   nothing or no complete answer before the deadline           -> timeout
//   the server closed or reset the connection                   -> closed / reset
// The protocol failures and timeouts are phase response; the message quotes what the server
// said last (80 characters at most).
#pragma once

#include <curl/curl.h>

#include <string>

#include "checks/socket_state.hpp"
#include "checks/target_url.hpp"
#include "checks/verdict.hpp"

namespace faultline {

// What one mail attempt came to, after TCP connected and outside the TLS handshake.
struct MailExchangeEnd {
  Scheme scheme = Scheme::smtp;
  bool starttls = false;  // STARTTLS was required (smtp/imap/pop3 with starttls)
  CURLcode curl_code = CURLE_OK;
  int os_errno = 0;
  SocketSnapshot socket;
  std::size_t lines = 0;  // reply lines the server sent
  std::string first_line, last_line;
  bool greeting_rejected = false;  // the first line was no greeting of the protocol
  std::string tls_version;         // the session's protocol once TLS is up ("TLSv1.3"), or ""
  std::string address;             // "127.0.0.1:25"
  long long elapsed_ms = 0;        // the whole attempt
  std::string library_error;       // libcurl's own words, for the message only
};

Verdict classify_mail_exchange(const MailExchangeEnd& e);

}  // namespace faultline
