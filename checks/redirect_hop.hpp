// Following a redirect (ProbeSpec::follow_redirects): what the next hop of a probe asks for,
// decided from the response that redirected. The probe engine makes each hop a new request
// through its own resolve, connect and classify path, so every hop is timed and classified
// like any other connection; this file holds only the rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "checks/expected.hpp"
#include "checks/probe_spec.hpp"
#include "checks/verdict.hpp"

namespace faultline {

// Whether a response with `status` is a redirect a probe follows when it has a Location, as
// curl -L does: 300, 301, 302, 303, 307 and 308 (not 304, 305, 306).
bool is_redirect_status(int status);

// A request a probe made, to tell a loop.
struct HopRequest {
  std::string method;
  std::string url;  // TargetUrl::text

  bool operator==(const HopRequest&) const = default;
};

// The spec of the next hop. `target` is the target's own spec (hop 1), `current` the spec of
// the hop that was answered with `status` by `address`, `location` the absolute URL libcurl
// made of its Location header (CURLINFO_REDIRECT_URL), `made` the requests made so far, the
// current one last.
//
// The next hop asks for `location` (its fragment dropped). 303 turns any method but HEAD into
// GET, and 301 and 302 turn POST into GET, without the body (as curl and browsers do); 300,
// 307 and 308 repeat the method and body. Credentials (the spec's auth, Authorization, Cookie
// and Proxy-Authorization headers) and a Host header go only to the target's own origin
// (scheme, host and port), as curl does without --location-trusted. It never reuses a kept
// connection.
//
// Error: the probe ends on this response, http/<status> in phase response, when `made`
// already holds target.follow_redirects + 1 requests (more redirects than allowed), when the
// next request repeats one in `made` (a loop: without cookies the same request gets the same
// answer), or when `location` is not an http(s) URL a probe can follow.
Expected<ProbeSpec, Verdict> next_hop(const ProbeSpec& target, const ProbeSpec& current, int status,
                                      std::string_view location,
                                      const std::vector<HopRequest>& made,
                                      const std::string& address);

}  // namespace faultline
