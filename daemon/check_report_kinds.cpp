#include "daemon/check_report_kinds.hpp"

#include <cstdio>

#include "checks/grpc_health.hpp"
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

std::string icmp_text(const ProbeSpec& spec, const ProbeResult& r) {
  if (!r.icmp || r.icmp->address.empty()) return spec.url.host;
  const IcmpStats& s = *r.icmp;
  std::string text = s.address + ": " + std::to_string(s.sent) + " sent, " +
                     std::to_string(s.received) + " received";
  if (s.errors > 0) text += ", " + std::to_string(s.errors) + " ICMP errors";
  if (s.min_ms && s.avg_ms && s.max_ms) {
    char rtt[96];
    std::snprintf(rtt, sizeof rtt, ", rtt min/avg/max %.2f/%.2f/%.2f ms", *s.min_ms, *s.avg_ms,
                  *s.max_ms);
    text += rtt;
  }
  return text;
}

std::string grpc_text(const ProbeSpec& spec, const ProbeResult& r) {
  const std::string& path = spec.url.path;
  std::string text = "Health/Check " + (path.empty() ? std::string("(whole server)")
                                                     : quote(std::string_view(path).substr(1)));
  if (r.grpc && !r.grpc->serving_status.empty()) return text + " -> " + r.grpc->serving_status;
  if (r.grpc && r.grpc->status) {
    text += " -> grpc-status " + std::to_string(*r.grpc->status);
    const std::string_view name = grpc_status_name(*r.grpc->status);
    return name.empty() ? text : text + " " + std::string(name);
  }
  if (r.http_status != 0) text += " -> HTTP " + std::to_string(r.http_status);
  return text;
}

namespace {

// The "icmp" object of add_kind_json.
nlohmann::ordered_json icmp_json(const IcmpStats& s) {
  using json = nlohmann::ordered_json;
  auto opt = [](std::optional<double> v) { return v ? json(*v) : json(nullptr); };
  return {{"address", s.address.empty() ? json(nullptr) : json(s.address)},
          {"sent", s.sent},
          {"received", s.received},
          {"errors", s.errors},
          {"loss_ratio", s.loss_ratio()},
          {"rtt_min_ms", opt(s.min_ms)},
          {"rtt_avg_ms", opt(s.avg_ms)},
          {"rtt_max_ms", opt(s.max_ms)}};
}

}  // namespace

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
  out["icmp"] = r.icmp ? icmp_json(*r.icmp) : nlohmann::ordered_json(nullptr);
  if (r.grpc) {
    const GrpcHealth& g = *r.grpc;
    out["grpc"] = {
        {"service", g.service},
        {"serving_status", g.serving_status.empty() ? json(nullptr) : json(g.serving_status)},
        {"grpc_status", g.status ? json(*g.status) : json(nullptr)},
        {"grpc_message", g.message.empty() ? json(nullptr) : json(g.message)}};
  } else {
    out["grpc"] = nullptr;
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
