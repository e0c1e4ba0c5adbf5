#include "checks/target_url.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>

#include "checks/printable.hpp"

namespace faultline {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};

// Returns the part, or an empty string when the URL does not have it.
std::string get_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, flags) != CURLUE_OK || raw == nullptr) return {};
  std::unique_ptr<char, CurlStringDeleter> owned(raw);
  return owned.get();
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool is_hostname_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// What makes `input` no target URL before libcurl sees it.
std::optional<std::string> unparseable_problem(const std::string& input) {
  if (input.find("://") == std::string::npos) {
    return quote(input) +
           " has no scheme; use http://, https://, tcp://host:port or tls://host:port";
  }
  // libcurl decodes a percent-encoded host ("%35" -> "5") but would normalise the same name
  // written plainly ("5" -> "0.0.0.5"), so the normalised text would not parse back to the same
  // target. No real host name needs percent-encoding.
  const std::size_t authority_start = input.find("://") + 3;
  const std::size_t authority_end = input.find_first_of("/?#", authority_start);
  const std::string authority = input.substr(authority_start, authority_end - authority_start);
  // (A bracketed IPv6 literal with a zone ID gets its own message in read_host.)
  if (authority.find('%') != std::string::npos && authority.find('[') == std::string::npos) {
    return quote(input) + ": percent-encoded ('%') host names and ports are not supported";
  }
  return std::nullopt;
}

// The scheme, and the parts a target may not have: credentials and a fragment.
std::optional<std::string> read_scheme(CURLU* url, TargetUrl& out) {
  const std::string scheme = get_part(url, CURLUPART_SCHEME);
  if (scheme == "http") {
    out.scheme = Scheme::http;
  } else if (scheme == "https") {
    out.scheme = Scheme::https;
  } else if (scheme == "tcp") {
    out.scheme = Scheme::tcp;
  } else if (scheme == "tls") {
    out.scheme = Scheme::tls;
  } else {
    return "unsupported scheme " + quote(scheme + "://") +
           "; use http://, https://, tcp://host:port or tls://host:port";
  }
  if (!get_part(url, CURLUPART_USER).empty() || !get_part(url, CURLUPART_PASSWORD).empty()) {
    return "credentials in the URL are not supported (they would leak into logs, "
           "metrics and the database); send them with `headers:` instead";
  }
  if (!get_part(url, CURLUPART_FRAGMENT).empty()) {
    return "URL fragments ('#...') are never sent to the server; remove it";
  }
  return std::nullopt;
}

std::optional<std::string> read_host(CURLU* url, const std::string& input, TargetUrl& out) {
  std::string host = get_part(url, CURLUPART_HOST);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return "URL " + quote(input) + " has no host";
  if (!get_part(url, CURLUPART_ZONEID).empty()) {
    return "IPv6 zone IDs are not supported in target URLs";
  }
  out.host_is_ip = is_ip_literal(host);
  if (!out.host_is_ip) {
    for (char c : host) {
      if (!is_hostname_char(c)) {
        return "host " + quote(host) +
               " has characters outside letters, digits, '-', '.' and '_' "
               "(write international names in their xn-- form)";
      }
    }
  }
  out.host = host;
  return std::nullopt;
}

// After read_host.
std::optional<std::string> read_port(CURLU* url, TargetUrl& out) {
  const std::string port = get_part(url, CURLUPART_PORT);
  if (port.empty()) {
    if (!out.is_http()) {
      const std::string scheme_name(to_string(out.scheme));
      return scheme_name + ":// targets need a port: " + scheme_name + "://" +
             printable(bracket_host(out.host)) + ":PORT";
    }
    out.port = out.scheme == Scheme::https ? 443 : 80;
    return std::nullopt;
  }
  // libcurl has already checked that the port is a number in 0..65535.
  long p = std::stol(port);
  if (p == 0) return "port 0 cannot be probed";
  out.port = static_cast<std::uint16_t>(p);
  return std::nullopt;
}

std::optional<std::string> read_path(CURLU* url, TargetUrl& out) {
  std::string path = get_part(url, CURLUPART_PATH);
  const std::string query = get_part(url, CURLUPART_QUERY);
  if (out.is_http()) {
    if (path.empty()) path = "/";
    out.path = query.empty() ? path : path + "?" + query;
  } else if ((!path.empty() && path != "/") || !query.empty()) {
    return std::string(to_string(out.scheme)) + ":// targets take no path or query; write " +
           std::string(to_string(out.scheme)) + "://host:port";
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Scheme s) {
  switch (s) {
    case Scheme::http:
      return "http";
    case Scheme::https:
      return "https";
    case Scheme::tcp:
      return "tcp";
    case Scheme::tls:
      return "tls";
  }
  return "http";
}

std::string bracket_host(std::string_view host) {
  // Only an IPv6 literal holds a colon: host names cannot (parse_target_url rejects them).
  if (host.find(':') == std::string_view::npos) return std::string(host);
  std::string out;
  out.reserve(host.size() + 2);
  out += '[';
  out += host;
  out += ']';
  return out;
}

std::string TargetUrl::authority() const {
  return bracket_host(host) + ":" + std::to_string(port);
}

Expected<TargetUrl> parse_target_url(std::string_view text) {
  const std::string input(text);
  if (auto problem = unparseable_problem(input)) return unexpected(*problem);
  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (!url) return unexpected("out of memory parsing URL");
  CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, input.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    return unexpected("invalid URL " + quote(input) + ": " + curl_url_strerror(rc));
  }
  TargetUrl out;
  auto problem = read_scheme(url.get(), out);
  if (!problem) problem = read_host(url.get(), input, out);
  if (!problem) problem = read_port(url.get(), out);
  if (!problem) problem = read_path(url.get(), out);
  if (problem) return unexpected(*problem);

  const bool default_port = (out.scheme == Scheme::http && out.port == 80) ||
                            (out.scheme == Scheme::https && out.port == 443);
  out.text = std::string(to_string(out.scheme)) + "://" +
             (default_port ? bracket_host(out.host) : out.authority()) + out.path;
  return out;
}

}  // namespace faultline
