#include "checks/redirect_hop.hpp"

#include <algorithm>
#include <cctype>

#include "checks/printable.hpp"

namespace faultline {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool same_origin(const TargetUrl& a, const TargetUrl& b) {
  return a.scheme == b.scheme && a.port == b.port && equal_ignoring_case(a.host, b.host);
}

// Headers that carry credentials or name the first host: curl drops them on a redirect to
// another origin.
bool origin_bound(const Header& h) {
  for (std::string_view name : {"authorization", "cookie", "proxy-authorization", "host"}) {
    if (equal_ignoring_case(h.name, name)) return true;
  }
  return false;
}

bool becomes_get(int status, const std::string& method) {
  if (status == 303) return method != "HEAD";
  return (status == 301 || status == 302) && method == "POST";
}

Verdict stop(int status, std::string message) {
  Verdict v;
  v.cls = FailureClass::http;
  v.phase = Phase::response;
  v.detail = Detail::http_status;
  v.http_status = status;
  v.message = std::move(message);
  return v;
}

}  // namespace

bool is_redirect_status(int status) {
  switch (status) {
    case 300:
    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
      return true;
    default:
      return false;
  }
}

Expected<ProbeSpec, Verdict> next_hop(const ProbeSpec& target, const ProbeSpec& current, int status,
                                      std::string_view location,
                                      const std::vector<HopRequest>& made,
                                      const std::string& address) {
  const std::string answer = "HTTP " + std::to_string(status) + " from " + address;
  const std::string_view without_fragment = location.substr(0, location.find('#'));
  if (made.size() > static_cast<std::size_t>(target.follow_redirects)) {
    return Unexpected<Verdict>{stop(status, answer + " redirects to " + quote(without_fragment) +
                                                ": more redirects than follow_redirects (" +
                                                std::to_string(target.follow_redirects) +
                                                ") allows")};
  }
  auto url = parse_target_url(without_fragment);
  if (url && !url->is_http()) url = unexpected("not an http:// or https:// URL");
  if (!url) {
    return Unexpected<Verdict>{stop(status, answer + " redirects to " + quote(without_fragment) +
                                                ", which a probe cannot follow: " + url.error())};
  }
  ProbeSpec next = current;
  next.url = *url;
  next.reuse_connection = false;
  if (becomes_get(status, current.method)) {
    next.method = "GET";
    next.body.reset();
  }
  const HopRequest request{next.method, next.url.text};
  const auto earlier = std::find(made.begin(), made.end(), request);
  if (earlier != made.end()) {
    return Unexpected<Verdict>{
        stop(status, answer + " redirects to " + quote(next.url.text) + ", back to hop " +
                         std::to_string(earlier - made.begin() + 1) + ": a redirect loop")};
  }
  if (!same_origin(next.url, target.url)) {
    next.auth.reset();
    std::erase_if(next.headers, origin_bound);
    // The server_name stands for the target's host: another host is verified by its own name.
    next.server_name.clear();
  } else {
    // Back at the target's origin after a detour: its credentials again, as curl sends them.
    next.auth = target.auth;
    next.headers = target.headers;
    next.server_name = target.server_name;
  }
  return next;
}

}  // namespace faultline
