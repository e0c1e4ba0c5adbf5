#include "checks/target_url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/printable.hpp"
#include "checks/url_parts.hpp"

namespace faultline {
namespace {

// "http://, https://, tcp://host:port, tls://host:port or dns://SERVER/NAME": the forms of
// the schemes `use` takes, for messages.
std::string scheme_forms(SchemeUse use) {
  std::vector<std::string_view> forms;
  for (const SchemeRow& row : kSchemes)
    if (row.accepted || use == SchemeUse::any) forms.push_back(row.form);
  std::string out;
  for (std::size_t i = 0; i < forms.size(); ++i) {
    if (i > 0) out += i + 1 == forms.size() ? " or " : ", ";
    out += forms[i];
  }
  return out;
}

// What makes `input` no target URL before libcurl sees it.
std::optional<std::string> unparseable_problem(const std::string& input, SchemeUse use) {
  if (input.find("://") == std::string::npos) {
    return quote(input) + " has no scheme; use " + scheme_forms(use);
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
std::optional<std::string> read_scheme(CURLU* url, SchemeUse use, TargetUrl& out) {
  const std::string scheme = url_part(url, CURLUPART_SCHEME);
  const SchemeRow* found = nullptr;
  for (const SchemeRow& row : kSchemes)
    if (row.name == scheme && (row.accepted || use == SchemeUse::any)) found = &row;
  if (found == nullptr) {
    return "unsupported scheme " + quote(scheme + "://") + "; use " + scheme_forms(use);
  }
  out.scheme = found->scheme;
  if (!url_part(url, CURLUPART_USER).empty() || !url_part(url, CURLUPART_PASSWORD).empty()) {
    return "credentials in the URL are not supported (they would leak into logs, "
           "metrics and the database); send them with `headers:` instead";
  }
  if (!url_part(url, CURLUPART_FRAGMENT).empty()) {
    return "URL fragments ('#...') are never sent to the server; remove it";
  }
  return std::nullopt;
}

std::optional<std::string> read_host(CURLU* url, const std::string& input, TargetUrl& out) {
  std::string host = url_part(url, CURLUPART_HOST);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return "URL " + quote(input) + " has no host";
  if (!url_part(url, CURLUPART_ZONEID).empty()) {
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
  const SchemeRow& row = scheme_row(out.scheme);
  const std::string scheme_name(row.name);
  const std::string port = url_part(url, CURLUPART_PORT);
  if (row.port == PortRule::none) {
    if (!port.empty()) {
      return scheme_name + ":// targets take no port; write " + scheme_name + "://" +
             printable(bracket_host(out.host));
    }
    return std::nullopt;
  }
  if (port.empty()) {
    if (row.port == PortRule::required) {
      return scheme_name + ":// targets need a port: " + scheme_name + "://" +
             printable(bracket_host(out.host)) + ":PORT";
    }
    out.port = row.default_port;
    return std::nullopt;
  }
  // libcurl has already checked that the port is a number in 0..65535.
  long p = std::stol(port);
  if (p == 0) return "port 0 cannot be probed";
  out.port = static_cast<std::uint16_t>(p);
  return std::nullopt;
}

// dns://SERVER/NAME?type=TYPE: the question, into dns_name and dns_type.
std::optional<std::string> read_dns_question(const std::string& path, const std::string& query,
                                             TargetUrl& out) {
  const std::string form = "dns://" + printable(bracket_host(out.host)) + "/NAME?type=TYPE";
  const std::string name = path.empty() ? std::string() : path.substr(1);
  if (name.empty()) return "dns:// targets name what to ask for: " + form;
  if (name.find_first_of("/%") != std::string::npos) {
    return "dns:// targets ask about one name, " + quote(name) + " is not one: " + form;
  }
  auto normal = normalise_dns_value(DnsType::cname, name);
  if (!normal) return "dns:// name: " + normal.error();
  out.dns_name = *normal;
  if (query.empty()) return std::nullopt;
  if (!query.starts_with("type=")) {
    return "dns:// targets take only ?type=" + std::string(dns_type_list()) +
           " after the name, not " + quote("?" + query);
  }
  auto type = dns_type_from_string(std::string_view(query).substr(5));
  if (!type) {
    return "unknown DNS record type " + quote(query.substr(5)) + "; use one of " +
           std::string(dns_type_list());
  }
  out.dns_type = *type;
  return std::nullopt;
}

bool is_service_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

std::optional<std::string> read_path(CURLU* url, TargetUrl& out) {
  std::string path = url_part(url, CURLUPART_PATH);
  const std::string query = url_part(url, CURLUPART_QUERY);
  const SchemeRow& row = scheme_row(out.scheme);
  const std::string scheme_name(row.name);
  switch (row.path) {
    case PathRule::http:
      if (path.empty()) path = "/";
      out.path = query.empty() ? path : path + "?" + query;
      return std::nullopt;
    case PathRule::dns_question:
      return read_dns_question(path, query, out);
    case PathRule::grpc_service: {
      const std::string service = path.size() > 1 ? path.substr(1) : std::string();
      if (!query.empty() || !std::all_of(service.begin(), service.end(), is_service_char)) {
        return scheme_name +
               ":// targets take at most a service name after the port: " + scheme_name +
               "://host:port/SERVICE";
      }
      out.path = service.empty() ? std::string() : "/" + service;
      return std::nullopt;
    }
    case PathRule::none:
      break;
  }
  if ((!path.empty() && path != "/") || !query.empty()) {
    return scheme_name + ":// targets take no path or query; write " + std::string(row.form);
  }
  return std::nullopt;
}

// The URL as printed and stored: default ports and the default DNS type left out, so each
// target has one spelling.
std::string normalised_text(const TargetUrl& u) {
  const SchemeRow& row = scheme_row(u.scheme);
  const bool default_port = row.port != PortRule::required && u.port == row.default_port;
  std::string text = std::string(row.name) + "://" +
                     (default_port ? bracket_host(u.host) : u.authority()) + u.path;
  if (row.path == PathRule::dns_question) {
    text += "/" + u.dns_name;
    if (u.dns_type != DnsType::a) text += "?type=" + std::string(to_string(u.dns_type));
  }
  return text;
}

}  // namespace

const SchemeRow& scheme_row(Scheme s) {
  for (const SchemeRow& row : kSchemes)
    if (row.scheme == s) return row;
  return kSchemes[0];
}

std::string_view to_string(Scheme s) {
  return scheme_row(s).name;
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

Expected<TargetUrl> parse_target_url(std::string_view text, SchemeUse use) {
  const std::string input(text);
  if (auto problem = unparseable_problem(input, use)) return unexpected(*problem);
  CurlUrl url(curl_url());
  if (!url) return unexpected("out of memory parsing URL");
  CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, input.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    return unexpected("invalid URL " + quote(input) + ": " + curl_url_strerror(rc));
  }
  TargetUrl out;
  auto problem = read_scheme(url.get(), use, out);
  if (!problem) problem = read_host(url.get(), input, out);
  if (!problem) problem = read_port(url.get(), out);
  if (!problem) problem = read_path(url.get(), out);
  if (problem) return unexpected(*problem);
  out.text = normalised_text(out);
  return out;
}

}  // namespace faultline
