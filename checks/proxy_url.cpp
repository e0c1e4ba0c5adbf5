#include "checks/proxy_url.hpp"

#include <curl/curl.h>

#include <memory>
#include <optional>

#include "checks/printable.hpp"
#include "checks/target_url.hpp"
#include "checks/url_parts.hpp"

namespace faultline {
namespace {

std::optional<ProxyScheme> scheme_of(const std::string& scheme) {
  if (scheme == "http") return ProxyScheme::http;
  if (scheme == "https") return ProxyScheme::https;
  if (scheme == "socks5") return ProxyScheme::socks5;
  if (scheme == "socks5h") return ProxyScheme::socks5h;
  return std::nullopt;
}

std::optional<std::string> read_host(CURLU* url, ProxyUrl& out) {
  std::string host = url_part(url, CURLUPART_HOST);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return std::string("a proxy URL needs a host");
  if (!url_part(url, CURLUPART_ZONEID).empty()) {
    return std::string("IPv6 zone IDs are not supported in proxy URLs");
  }
  out.host_is_ip = is_ip_literal(host);
  if (!out.host_is_ip) {
    for (char c : host) {
      if (!is_hostname_char(c)) {
        return "proxy host " + quote(host) +
               " has characters outside letters, digits, '-', '.' and '_'";
      }
    }
  }
  out.host = host;
  return std::nullopt;
}

std::optional<std::string> read_rest(CURLU* url, ProxyUrl& out, const std::string& shown) {
  const std::string port = url_part(url, CURLUPART_PORT);
  if (port.empty()) {
    // Each kind of proxy software has its own customary port (3128, 8080, 1080): guessing one
    // would probe the wrong service.
    return "proxy URL " + quote(shown) + " needs a port, e.g. " +
           std::string(to_string(out.scheme)) + "://" + printable(bracket_host(out.host)) + ":3128";
  }
  const long p = std::stol(port);
  if (p == 0) return std::string("proxy port 0 cannot be used");
  out.port = static_cast<std::uint16_t>(p);
  const std::string path = url_part(url, CURLUPART_PATH);
  if ((!path.empty() && path != "/") || !url_part(url, CURLUPART_QUERY).empty() ||
      !url_part(url, CURLUPART_FRAGMENT).empty()) {
    return "a proxy URL takes no path, query or fragment: " + quote(shown);
  }
  out.username = url_part(url, CURLUPART_USER, CURLU_URLDECODE);
  out.password = url_part(url, CURLUPART_PASSWORD, CURLU_URLDECODE);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ProxyScheme s) {
  switch (s) {
    case ProxyScheme::http:
      return "http";
    case ProxyScheme::https:
      return "https";
    case ProxyScheme::socks5:
      return "socks5";
    case ProxyScheme::socks5h:
      return "socks5h";
  }
  return "http";
}

std::string ProxyUrl::authority() const {
  return bracket_host(host) + ":" + std::to_string(port);
}

std::string redact_proxy_url(std::string_view text) {
  const std::size_t start = text.find("://");
  if (start == std::string_view::npos) {
    // No scheme: whatever precedes an '@' may still be credentials.
    const std::size_t at = text.rfind('@');
    return at == std::string_view::npos ? std::string(text) : "***" + std::string(text.substr(at));
  }
  const std::size_t host_start = start + 3;
  const std::size_t end = text.find_first_of("/?#", host_start);
  const std::string_view authority = text.substr(host_start, end - host_start);
  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  return std::string(text.substr(0, host_start)) + "***" +
         std::string(text.substr(host_start + at));
}

Expected<ProxyUrl> parse_proxy_url(std::string_view text) {
  const std::string input(text);
  const std::string shown = redact_proxy_url(input);
  if (input.find("://") == std::string::npos) {
    return unexpected("proxy URL " + quote(shown) +
                      " has no scheme; use http://, https://, socks5:// or socks5h://");
  }
  CurlUrl url(curl_url());
  if (!url) return unexpected("out of memory parsing the proxy URL");
  const CURLUcode rc =
      curl_url_set(url.get(), CURLUPART_URL, input.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    return unexpected("invalid proxy URL " + quote(shown) + ": " + curl_url_strerror(rc));
  }
  ProxyUrl out;
  const std::string scheme = url_part(url.get(), CURLUPART_SCHEME);
  const auto parsed = scheme_of(scheme);
  if (!parsed) {
    return unexpected("unsupported proxy scheme " + quote(scheme + "://") +
                      "; use http://, https://, socks5:// or socks5h://");
  }
  out.scheme = *parsed;
  auto problem = read_host(url.get(), out);
  if (!problem) problem = read_rest(url.get(), out, shown);
  if (problem) return unexpected(*problem);
  out.text = std::string(to_string(out.scheme)) + "://" + out.authority();
  return out;
}

}  // namespace faultline
