#include "daemon/check_report_kinds.hpp"

#include "checks/mail_protocol.hpp"
#include "checks/printable.hpp"

namespace faultline {

std::string dns_question_text(const ProbeSpec& spec, const ProbeResult& r) {
  const TargetUrl& url = spec.url;
  std::string server = r.dns && !r.dns->server.empty() ? r.dns->server : url.authority();
  if (!url.host_is_ip) server = url.host + " (" + server + ")";
  std::string text =
      std::string(to_string(url.dns_type)) + " " + url.dns_name + " @" + printable(server);
  if (r.dns && !r.dns->rcode.empty()) text += r.dns->over_tcp ? " over TCP" : " over UDP";
  return text;
}

std::string dns_answer_lines(const DnsAnswer& answer, const Painter& p) {
  if (answer.rcode.empty()) return {};
  std::string out;
  for (const std::string& record : answer.records)
    out += "        " + printable(record) + "\n";
  std::string facts = answer.rcode;
  if (answer.ttl) facts += ", TTL " + std::to_string(*answer.ttl) + " s";
  out += "        " + p.dim(facts) + "\n";
  return out;
}

std::string exchange_text(const ProbeSpec& spec, const ProbeResult& r) {
  std::string text;
  if (!spec.send.empty()) text = "sent " + quote(spec.send);
  if (spec.expect)
    text += (text.empty() ? "" : ", ") + std::string("expect ") + quote(spec.expect->text());
  if (r.exchange && r.exchange->received > 0) text += ", got " + quote(r.exchange->reply);
  return text;
}

void add_kind_json(nlohmann::ordered_json& out, const ProbeResult& r) {
  using json = nlohmann::ordered_json;
  if (r.dns) {
    const DnsAnswer& a = *r.dns;
    const bool answered = !a.rcode.empty();
    out["dns"] = {{"question", a.question},
                  {"server", a.server.empty() ? json(nullptr) : json(a.server)},
                  {"rcode", answered ? json(a.rcode) : json(nullptr)},
                  {"records", a.records},
                  {"ttl", a.ttl ? json(*a.ttl) : json(nullptr)},
                  {"transport", answered ? json(a.over_tcp ? "tcp" : "udp") : json(nullptr)},
                  {"response_ms", a.response_ms ? json(*a.response_ms) : json(nullptr)}};
  } else {
    out["dns"] = nullptr;
  }
  if (r.exchange) {
    out["exchange"] = {{"sent", r.exchange->sent},
                       {"received", r.exchange->received},
                       {"reply", r.exchange->reply}};
  } else {
    out["exchange"] = nullptr;
  }
}

std::string mail_exchange_text(const ProbeSpec& spec) {
  std::string text = "greeting, capabilities";
  if (spec.negotiates_tls() && !spec.url.uses_tls()) {
    text += ", " + std::string(starttls_command(spec.url.scheme));
  }
  return text;
}

}  // namespace faultline
