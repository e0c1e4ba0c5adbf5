#include "daemon/check_report.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <optional>
#include <tuple>
#include <vector>

#include "checks/advice.hpp"
#include "checks/mail_protocol.hpp"
#include "checks/path_advice.hpp"
#include "checks/path_trace_target.hpp"
#include "checks/printable.hpp"
#include "checks/utc_time.hpp"
#include "daemon/check_report_kinds.hpp"
#include "daemon/check_report_path.hpp"
#include "daemon/duration.hpp"
#include "daemon/terminal.hpp"

namespace faultline {
namespace {

enum class Layer { proxy, dns, tcp, tls, http, reply, ping, grpc };

Layer layer_of(Phase p, const TargetUrl& url) {
  switch (p) {
    case Phase::dns:
      return Layer::dns;
    case Phase::connect:
      return url.scheme == Scheme::icmp ? Layer::ping : Layer::tcp;
    case Phase::tls:
      return Layer::tls;
    case Phase::proxy:
      return Layer::proxy;
    default:
      if (url.is_grpc()) return Layer::grpc;
      return url.is_http() ? Layer::http : Layer::reply;
  }
}

std::string ms_text(std::optional<double> ms) {
  if (!ms) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, *ms < 10 ? "%.1f ms" : "%.0f ms", *ms);
  return buf;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items)
    out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string tls_line(const TlsInfo& tls, std::int64_t now_unix) {
  std::string line = tls.version.empty() ? std::string() : tls.version + ", ";
  line += tls.subject.empty() ? "no subject" : tls.subject;
  if (tls.not_after) {
    const long long days = (*tls.not_after - now_unix) / 86'400;
    line += ", expires " + iso8601_utc(*tls.not_after).substr(0, 10);
    line += days >= 0 ? " (" + std::to_string(days) + " days left)"
                      : " (" + std::to_string(-days) + " days ago)";
  }
  return line;
}

// The redirects a probe followed (follow_redirects, --location), one line each before the
// layers of the last request: "  ok   REDIR http://a/old -> 301   1.2 ms".
std::string redirect_lines(const ProbeResult& r, const Painter& p) {
  std::string out;
  for (const RedirectHop& hop : r.redirects) {
    out += "  " + p.ok(" ok ") + "  " + pad("REDIR", 6) +
           pad(printable(hop.url) + " -> " + std::to_string(hop.status), 57) + " " +
           p.dim(ms_text(hop.total_ms)) + "\n";
  }
  return out;
}

// The proxy layer: the proxy (never its credentials), the address connected to, its answer.
std::string proxy_line(const ProxyUse& proxy) {
  std::string line = proxy.url;
  if (!proxy.address.empty()) line += " at " + proxy.address;
  if (proxy.connect_status != 0) line += ", CONNECT -> " + std::to_string(proxy.connect_status);
  if (proxy.tunnel_up) line += ", tunnel up";
  return line;
}

// The URL whose layers the result describes: the last hop's when redirects were followed.
TargetUrl last_url(const ProbeSpec& spec, const ProbeResult& r) {
  if (r.final_url.empty()) return spec.url;
  auto parsed = parse_target_url(r.final_url);
  return parsed ? *parsed : spec.url;
}

// The name the last request sent as SNI and checked the certificate against, when the spec
// names one (server_name, --server-name); "" otherwise. A redirect to another origin is checked
// against its own host (checks/redirect_hop.cpp), so the name holds only at the target's.
std::string sni_name(const ProbeSpec& spec, const TargetUrl& url) {
  if (spec.server_name.empty() || !url.uses_tls()) return {};
  const auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  const bool at_target = url.scheme == spec.url.scheme && url.port == spec.url.port &&
                         lower(url.host) == lower(spec.url.host);
  return at_target ? spec.server_name : std::string();
}

// The advice for a failure; after a connect timeout or an unreachable that a path trace looked
// into, the trace's verdict says what to check instead (issue 20).
std::string advice_text(const ProbeResult& r, const PathTrace* path) {
  if (path != nullptr && failure_warrants_trace(r)) {
    if (std::string advice = path_advice(*path); !advice.empty()) return advice;
  }
  return std::string(advice_for(r));
}

// What one layer's line says: its name, what it did, how long it took.
struct LayerLine {
  std::string name;
  std::string what;
  std::optional<double> ms;
};

std::string dns_layer_text(const ProbeSpec& spec, const ProbeResult& r, const TargetUrl& url) {
  if (url.scheme == Scheme::dns) return dns_question_text(spec, r);
  if (url.host_is_ip) return url.host + " (IP literal, no lookup)";
  if (r.proxy && r.proxy->resolves_target) return url.host + " (resolved by the proxy)";
  return url.host + (r.resolved.empty() ? "" : " -> " + join(r.resolved, ", "));
}

LayerLine layer_line(Layer layer, const ProbeSpec& spec, const ProbeResult& r, const TargetUrl& url,
                     std::int64_t now_unix) {
  switch (layer) {
    case Layer::proxy:
      return {"PROXY", proxy_line(*r.proxy), std::nullopt};
    case Layer::dns:
      return {"DNS", dns_layer_text(spec, r, url), r.timings.dns_ms};
    case Layer::reply:
      if (is_mail(url.scheme)) {
        return {std::string(mail_protocol_name(url.scheme)), mail_exchange_text(spec),
                std::nullopt};
      }
      return {"APP", exchange_text(spec, r), r.timings.first_byte_ms};
    case Layer::ping:
      return {"PING", icmp_text(spec, r), r.timings.connect_ms};
    case Layer::grpc:
      return {"GRPC", grpc_text(spec, r), r.timings.first_byte_ms};
    case Layer::tcp:
      return {"TCP", r.remote_addr.empty() ? url.authority() : r.remote_addr, r.timings.connect_ms};
    case Layer::tls: {
      std::string what = r.tls ? tls_line(*r.tls, now_unix) : "handshake";
      if (const std::string sni = sni_name(spec, url); !sni.empty()) {
        what = "SNI " + printable(sni) + ", " + what;
      }
      return {"TLS", what, r.timings.tls_ms};
    }
    case Layer::http:
      // After a redirect the method may have changed (303); the hops show the way there.
      return {"HTTP",
              (r.redirects.empty() ? spec.method + " " : std::string()) + url.path +
                  (r.http_status ? " -> " + std::to_string(r.http_status) : std::string()) +
                  (r.timings.first_byte_ms ? ", first byte" : ""),
              r.timings.first_byte_ms};
  }
  return {};
}

// The layers a probe of `url` goes through, in order. A proxy is reached before anything else:
// its failure ends the probe before the target's layers begin.
std::vector<Layer> layers_of(const ProbeSpec& spec, const ProbeResult& r, const TargetUrl& url) {
  std::vector<Layer> layers;
  if (r.proxy) layers.push_back(Layer::proxy);
  layers.push_back(Layer::dns);
  if (url.scheme == Scheme::icmp) {
    layers.push_back(Layer::ping);
  } else if (url.scheme != Scheme::dns) {
    layers.push_back(Layer::tcp);
  }
  if (url.uses_tls()) layers.push_back(Layer::tls);
  if (url.is_http()) layers.push_back(Layer::http);
  if (url.is_grpc()) layers.push_back(Layer::grpc);
  if (spec.converses() || is_mail(url.scheme)) layers.push_back(Layer::reply);
  // STARTTLS: TLS begins after the greeting and the capabilities.
  if (spec.negotiates_tls() && !url.uses_tls()) layers.push_back(Layer::tls);
  return layers;
}

}  // namespace

std::string render_check_text(const ProbeSpec& spec, const ProbeResult& r, std::int64_t now_unix,
                              bool color, const PathTrace* path) {
  const Painter p(color);
  const TargetUrl url = last_url(spec, r);
  const Layer failed_layer = layer_of(r.phase, url);

  std::string out = p.bold(spec.url.text) + "\n" + redirect_lines(r, p);
  for (Layer layer : layers_of(spec, r, url)) {
    const bool is_failed = !r.ok() && failed_layer == layer;
    const auto [name, what, ms] = layer_line(layer, spec, r, url, now_unix);
    const std::string mark = is_failed ? p.bad("FAIL") : p.ok(" ok ");
    out +=
        "  " + mark + "  " + pad(name + " ", 5) + pad(what, 58) + " " + p.dim(ms_text(ms)) + "\n";
    if (url.scheme == Scheme::dns && r.dns) out += dns_answer_lines(*r.dns, p);
    if (is_failed) {
      std::string tag = std::string(to_string(r.cls));
      const std::string detail = detail_text(r);
      if (!detail.empty()) tag += "/" + detail;
      tag += " (phase " + std::string(to_string(r.phase)) + ")";
      if (r.sys_errno != 0) tag += " " + errno_name(r.sys_errno);
      out += "        " + p.bad(tag) + "\n";
      out += "        " + r.message + "\n";
      if (path != nullptr) out += path_lines(*path, p);
      out += "\n";
      out += "  " + p.bold("What to check:") + " " + advice_text(r, path) + "\n";
      break;
    }
  }
  if (path != nullptr && r.ok()) out += path_lines(*path, p);
  out += "\n  " + (r.ok() ? p.ok("OK") : p.bad("FAILED")) + "  " +
         (r.ok() ? r.message + ", " : "") + "total " + ms_text(r.timings.total_ms) + "\n";
  if (r.slow && spec.degraded_after) {
    out += "  " + p.bad("SLOW") + "  slower than degraded_after " +
           format_duration(*spec.degraded_after) + ": up, but degraded\n";
  }
  return out;
}

nlohmann::ordered_json check_json(const ProbeSpec& spec, const ProbeResult& r,
                                  const PathTrace* path) {
  using json = nlohmann::ordered_json;
  auto opt = [](std::optional<double> v) { return v ? json(*v) : json(nullptr); };
  json out;
  out["target"] = spec.url.text;
  out["class"] = to_string(r.cls);
  const std::string phase(to_string(r.phase));
  const std::string detail = detail_text(r);
  out["phase"] = r.ok() || phase.empty() ? json(nullptr) : json(phase);
  out["detail"] = r.ok() || detail.empty() ? json(nullptr) : json(detail);
  out["errno"] = r.sys_errno ? json(errno_name(r.sys_errno)) : json(nullptr);
  out["message"] = r.message;
  out["timings"] = {{"dns_ms", opt(r.timings.dns_ms)},
                    {"connect_ms", opt(r.timings.connect_ms)},
                    {"tls_ms", opt(r.timings.tls_ms)},
                    {"first_byte_ms", opt(r.timings.first_byte_ms)},
                    {"total_ms", opt(r.timings.total_ms)}};
  out["http_status"] = r.http_status ? json(r.http_status) : json(nullptr);
  out["remote_addr"] = r.remote_addr.empty() ? json(nullptr) : json(r.remote_addr);
  const std::string sni = sni_name(spec, last_url(spec, r));
  out["server_name"] = sni.empty() ? json(nullptr) : json(sni);
  if (r.tls) {
    out["tls"] = {
        {"not_after", r.tls->not_after ? json(iso8601_utc(*r.tls->not_after)) : json(nullptr)},
        {"subject", r.tls->subject.empty() ? json(nullptr) : json(r.tls->subject)},
        {"issuer", r.tls->issuer.empty() ? json(nullptr) : json(r.tls->issuer)},
        {"version", r.tls->version.empty() ? json(nullptr) : json(r.tls->version)}};
  } else {
    out["tls"] = nullptr;
  }
  if (r.proxy) {
    out["proxy"] = {{"url", r.proxy->url},
                    {"address", r.proxy->address.empty() ? json(nullptr) : json(r.proxy->address)},
                    {"resolved", r.proxy->resolved},
                    {"resolves_target", r.proxy->resolves_target},
                    {"connect_status",
                     r.proxy->connect_status != 0 ? json(r.proxy->connect_status) : json(nullptr)},
                    {"tunnel_up", r.proxy->tunnel_up}};
  } else {
    out["proxy"] = nullptr;
  }
  out["slow"] = r.slow;
  out["redirects"] = json::array();
  for (const RedirectHop& hop : r.redirects)
    out["redirects"].push_back({{"url", hop.url}, {"status", hop.status}});
  add_kind_json(out, r);
  out["path"] = path != nullptr ? path_json(*path) : json(nullptr);
  const std::string advice = advice_text(r, path);
  out["advice"] = advice.empty() ? json(nullptr) : json(advice);
  return out;
}

namespace {

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, s == static_cast<long long>(s) ? "%.0f s" : "%.1f s", s);
  return buf;
}

double to_s(std::chrono::milliseconds ms) {
  return static_cast<double>(ms.count()) / 1000.0;
}

// The experiment's steps run in parallel and end in any order (a server that closes every
// connection ends them all at once), so they are shown by idle time: shortest first, a plain
// step before the keepalive one of the same idle time.
std::vector<const IdleStepResult*> by_idle_time(const std::vector<IdleStepResult>& steps) {
  std::vector<const IdleStepResult*> out;
  out.reserve(steps.size());
  for (const IdleStepResult& s : steps)
    out.push_back(&s);
  std::stable_sort(out.begin(), out.end(), [](const IdleStepResult* a, const IdleStepResult* b) {
    return std::tie(a->request.idle, a->request.keepalive) <
           std::tie(b->request.idle, b->request.keepalive);
  });
  return out;
}

}  // namespace

std::string render_idle_text(const IdleReport& report, bool color) {
  const Painter p(color);
  std::string out = "\n" + p.bold("Idle connections") + "\n";
  for (const IdleStepResult* step : by_idle_time(report.steps)) {
    const IdleStepResult& s = *step;
    std::string idle = "idle " + seconds(to_s(s.request.idle));
    if (s.request.keepalive) idle += ", keepalive every " + seconds(to_s(*s.request.keepalive));
    const std::string outcome(to_string(s.outcome));
    const std::string mark = s.outcome == IdleOutcome::survived ? p.ok(pad(outcome, 17))
                             : s.outcome == IdleOutcome::error  ? p.dim(pad(outcome, 17))
                                                                : p.bad(pad(outcome, 17));
    out += "  " + pad(idle, 34) + mark + " " + s.message + "\n";
  }
  const IdleFinding& f = report.finding;
  const bool bad =
      f.kind == IdleFindingKind::middlebox_reset || f.kind == IdleFindingKind::server_reset;
  out += "\n  " +
         (bad ? p.bad(std::string(to_string(f.kind))) : p.ok(std::string(to_string(f.kind)))) +
         ": " + f.summary + "\n";
  out += "  " + p.bold("What to do:") + " " + f.advice + "\n";
  return out;
}

nlohmann::ordered_json idle_json(const IdleReport& report) {
  using json = nlohmann::ordered_json;
  const IdleFinding& f = report.finding;
  json out;
  out["kind"] = to_string(f.kind);
  out["threshold_low_s"] = f.threshold_low_s;
  out["threshold_high_s"] = f.threshold_high_s ? json(*f.threshold_high_s) : json(nullptr);
  out["keepalive_verified"] = to_string(f.keepalive_verified);
  out["keepalive_interval_s"] =
      f.keepalive_interval_s ? json(*f.keepalive_interval_s) : json(nullptr);
  out["advice"] = f.advice;
  out["summary"] = f.summary;
  json steps = json::array();
  for (const IdleStepResult* step : by_idle_time(report.steps)) {
    const IdleStepResult& s = *step;
    steps.push_back(
        {{"idle_s", to_s(s.request.idle)},
         {"keepalive_s", s.request.keepalive ? json(to_s(*s.request.keepalive)) : json(nullptr)},
         {"outcome", to_string(s.outcome)},
         {"ended_after_s", s.ended_after ? json(to_s(*s.ended_after)) : json(nullptr)},
         {"message", s.message}});
  }
  out["steps"] = std::move(steps);
  return out;
}

}  // namespace faultline
