#include "checks/dns_answer_classifier.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "checks/connect_classifier.hpp"
#include "checks/printable.hpp"

namespace faultline {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

Verdict dns_verdict(Detail detail, std::string message, int err = 0) {
  Verdict v;
  v.cls = FailureClass::dns;
  v.phase = Phase::dns;
  v.detail = detail;
  v.sys_errno = err;
  v.message = "DNS: " + std::move(message);
  return v;
}

// A socket call failed: the errno says whose fault.
Verdict socket_failure(const DnsQueryFacts& f, int err) {
  const std::string what = std::string(std::strerror(err)) + ", " + errno_name(err);
  if (err == ECONNREFUSED) {
    return dns_verdict(
        Detail::refused,
        "nothing answers DNS on " + f.server + " (" +
            (f.outcome.over_tcp ? "the TCP connection was refused" : "ICMP port unreachable") +
            ": " + what + ")",
        err);
  }
  if (is_local_errno(err)) {
    Verdict v;
    v.cls = FailureClass::local;
    v.phase = Phase::dns;
    v.sys_errno = err;
    v.message = "this host could not ask " + f.server + ": " + what;
    return v;
  }
  return dns_verdict(Detail::temporary, "cannot reach " + f.server + ": " + what, err);
}

// The query never got an answer.
Verdict without_answer(const DnsQueryFacts& f) {
  const int status = f.outcome.status;
  if (status == ARES_ETIMEOUT) {
    return dns_verdict(Detail::timeout, "no answer from " + f.server + " to " + f.question +
                                            " within the " + std::to_string(f.timeout_ms) +
                                            " ms deadline");
  }
  if (f.outcome.socket_errno != 0) return socket_failure(f, f.outcome.socket_errno);
  if (status == ARES_ENOMEM) {
    Verdict v;
    v.cls = FailureClass::local;
    v.phase = Phase::dns;
    v.message = "out of memory asking " + f.server;
    return v;
  }
  return dns_verdict(Detail::temporary, "asking " + f.server + " for " + f.question +
                                            " failed: " + ares_strerror(status));
}

Verdict from_rcode(const DnsQueryFacts& f, const DnsReply& reply) {
  const std::string said =
      f.server + " answered " + f.question + " with " + rcode_name(reply.rcode);
  switch (reply.rcode) {
    case kRcodeNxDomain:
      return dns_verdict(Detail::nxdomain, said + ": the name does not exist");
    case kRcodeRefused:
    case kRcodeNotImp:
      return dns_verdict(Detail::refused, said + ": the server will not answer this question");
    case kRcodeServFail:
      return dns_verdict(Detail::temporary, said + ": the server could not get an answer");
    default:
      return dns_verdict(Detail::temporary, said);
  }
}

}  // namespace

Verdict classify_dns_answer(const DnsQueryFacts& f) {
  if (f.outcome.status != ARES_SUCCESS || !f.reply) return without_answer(f);
  if (!*f.reply) {
    return dns_verdict(Detail::temporary, f.server + " sent a " + f.reply->error());
  }
  const DnsReply& reply = **f.reply;
  if (reply.rcode != kRcodeNoError) return from_rcode(f, reply);
  if (reply.records.empty()) {
    return dns_verdict(Detail::no_address, f.server + " has no record for " + f.question +
                                               " (NOERROR without records of that type)");
  }
  if (f.expect != nullptr) {
    for (const std::string& want : *f.expect) {
      if (std::find(reply.records.begin(), reply.records.end(), want) == reply.records.end()) {
        return dns_verdict(Detail::answer_mismatch,
                           f.question + " from " + f.server + " lacks " + quote(want) +
                               "; answered: " + quote(join(reply.records)));
      }
    }
  }
  Verdict ok;
  const std::size_t n = reply.records.size() + reply.records_dropped;
  ok.message = f.question + ": " + std::to_string(n) + (n == 1 ? " record" : " records") +
               " from " + f.server +
               (reply.min_ttl ? ", TTL " + std::to_string(*reply.min_ttl) + " s" : "") + ": " +
               printable(join(reply.records));
  return ok;
}

DnsAnswer describe_dns_answer(const DnsQueryFacts& f) {
  DnsAnswer a;
  a.question = f.question;
  a.server = f.server;
  a.over_tcp = f.outcome.over_tcp;
  a.response_ms = f.outcome.response_ms;
  if (f.reply && *f.reply) {
    const DnsReply& reply = **f.reply;
    a.rcode = rcode_name(reply.rcode);
    a.records = reply.records;
    a.ttl = reply.min_ttl;
  }
  return a;
}

}  // namespace faultline
