// The dns:// layer: turns what one query to one server came to into the dns/* taxonomy.
//
//   an answer with records of the type, holding every `expect` value  -> ok
//   ... lacking one of them                    -> dns/answer_mismatch (the answer quoted)
//   NOERROR without records of the type        -> dns/no_address
//   NXDOMAIN                                   -> dns/nxdomain
//   SERVFAIL (and FORMERR, odd rcodes, an answer that does not parse) -> dns/temporary
//   REFUSED, NOTIMP; ICMP port unreachable from the server (ECONNREFUSED), a refused TCP retry
//                                              -> dns/refused
//   no answer before the deadline              -> dns/timeout
//   no socket could be opened, out of memory   -> local (this host's failure)
// Every one is phase `dns`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "checks/dns_query.hpp"
#include "checks/dns_reply.hpp"
#include "checks/probe_result.hpp"
#include "checks/verdict.hpp"

namespace faultline {

struct DnsQueryFacts {
  std::string question;  // "MX example.com"
  std::string server;    // "192.0.2.53:53"
  DnsQueryOutcome outcome;
  std::optional<Expected<DnsReply>> reply;  // parsed from outcome.answer, when there is one
  const std::vector<std::string>* expect = nullptr;  // normalised values; may be empty
  long long timeout_ms = 0;
};

// The verdict, and what the result shows of the answer (ProbeResult::dns).
Verdict classify_dns_answer(const DnsQueryFacts& facts);
DnsAnswer describe_dns_answer(const DnsQueryFacts& facts);

}  // namespace faultline
