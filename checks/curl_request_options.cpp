#include "checks/curl_request_options.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "checks/grpc_health_message.hpp"
#include "checks/mail_protocol.hpp"

namespace faultline {
namespace {

// Whether the spec sends a header named `lower_name` (given in lower case), in any case.
bool has_header(const ProbeSpec& spec, std::string_view lower_name) {
  return std::any_of(spec.headers.begin(), spec.headers.end(), [lower_name](const Header& h) {
    return std::equal(
        h.name.begin(), h.name.end(), lower_name.begin(), lower_name.end(),
        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  });
}

void set_target(CURL* easy, const ProbeSpec& spec, std::string_view address,
                CurlOptionLists& lists) {
  const TargetUrl& url = spec.url;
  // tcp:// and tls:// reuse libcurl's connect and TLS code through CONNECT_ONLY, so every kind
  // of target goes through the same layers and the same classifiers.
  const bool connect_only = !url.is_http() && !url.is_grpc();
  // libcurl sends SNI, checks the certificate and writes the Host header for the URL's host, and
  // has no option to name another: a server_name goes into the URL, and CONNECT_TO still leads
  // the connection to the target's own address.
  const std::string& name =
      spec.negotiates_tls() && !spec.server_name.empty() ? spec.server_name : url.host;
  const std::string authority = bracket_host(name) + ":" + std::to_string(url.port);
  // A mail target keeps its own scheme: libcurl then runs the protocol's greeting, capability
  // exchange and STARTTLS before a CONNECT_ONLY transfer ends.
  const std::string scheme = is_mail(url.scheme) ? std::string(to_string(url.scheme))
                             : url.uses_tls()    ? "https"
                                                 : "http";
  const std::string path = url.is_grpc() ? std::string(kGrpcHealthCheckPath) : url.path;
  const std::string full = scheme + "://" + authority + (connect_only ? "/" : path);
  curl_easy_setopt(easy, CURLOPT_URL, full.c_str());
  if (connect_only) curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L);
  const std::string destination = address.empty() ? url.host : std::string(address);
  if (destination != name) {
    const std::string mapping =
        authority + ":" + bracket_host(destination) + ":" + std::to_string(url.port);
    lists.connect_to.reset(curl_slist_append(nullptr, mapping.c_str()));
    curl_easy_setopt(easy, CURLOPT_CONNECT_TO, lists.connect_to.get());
  }
  // For transfers where libcurl resolves the name itself (the idle experiment). Not with a
  // proxy: libcurl would apply it to the proxy's addresses, which ip_family does not restrict.
  if (spec.proxy) return;
  const long family = spec.ip_family == IpFamily::ipv4   ? CURL_IPRESOLVE_V4
                      : spec.ip_family == IpFamily::ipv6 ? CURL_IPRESOLVE_V6
                                                         : CURL_IPRESOLVE_WHATEVER;
  curl_easy_setopt(easy, CURLOPT_IPRESOLVE, family);
}

void set_connection(CURL* easy, const TransferSetup& setup) {
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  // 0 would mean no limit at all.
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<long long>(1, setup.timeout.count())));
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
}

// smtp(s), imap(s), pop3(s): only the target's own protocol, and for the plain schemes
// STARTTLS required (a server that does not offer it fails the probe) or not attempted at all.
// No credentials are ever set, so libcurl ends its connect phase before any login.
void set_mail(CURL* easy, const ProbeSpec& spec) {
  const std::string protocol(to_string(spec.url.scheme));
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, protocol.c_str());
  if (!takes_starttls(spec.url.scheme)) return;
  curl_easy_setopt(easy, CURLOPT_USE_SSL,
                   static_cast<long>(spec.starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
}

void set_request(CURL* easy, const ProbeSpec& spec, const char* user_agent,
                 CurlOptionLists& lists) {
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  if (spec.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (spec.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, spec.method.c_str());
  }
  curl_slist* headers = nullptr;
  for (const Header& h : spec.headers) {
    // libcurl drops a header written "Name: " with nothing after the colon; "Name;" is its way
    // of sending one with an empty value.
    const std::string line = h.value.empty() ? h.name + ";" : h.name + ": " + h.value;
    headers = curl_slist_append(headers, line.c_str());
  }
  lists.headers.reset(headers);
  if (headers != nullptr) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  if (!has_header(spec, "user-agent")) curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent);
}

// The request body goes as it is, with a Content-Length; POSTFIELDS alone would make the request
// a POST, so the method set above (CUSTOMREQUEST) stays the configured one. Without a
// Content-Type header of the spec's own, libcurl sends application/x-www-form-urlencoded, as
// curl -d does. A body of at most kMaxRequestBody never reaches libcurl's threshold for
// "Expect: 100-continue" (over 1 MiB), so it goes in one piece without waiting for the server.
void set_request_body(CURL* easy, const ProbeSpec& spec) {
  if (!spec.body) return;
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(spec.body->size()));
  // Copied: a kept connection's handle outlives the spec it was last set up from.
  curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, spec.body->data());
}

// libcurl writes the Authorization header from the credentials, sent with the first request
// (one method only, so no round trip to learn which the server wants).
void set_auth(CURL* easy, const ProbeSpec& spec) {
  if (!spec.auth) return;
  if (spec.auth->kind == HttpAuth::Kind::basic) {
    curl_easy_setopt(easy, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(easy, CURLOPT_USERNAME, spec.auth->username.c_str());
    curl_easy_setopt(easy, CURLOPT_PASSWORD, spec.auth->secret.c_str());
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER));
    curl_easy_setopt(easy, CURLOPT_XOAUTH2_BEARER, spec.auth->secret.c_str());
  }
}

// The oldest protocol version the probe accepts; none set leaves libcurl's and OpenSSL's floor.
void set_tls_min_version(CURL* easy, TlsMinVersion min_version) {
  if (min_version == TlsMinVersion::tls1_2) {
    curl_easy_setopt(easy, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  } else if (min_version == TlsMinVersion::tls1_3) {
    curl_easy_setopt(easy, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_3));
  }
}

// The probe's own certificate, for servers that demand one (mutual TLS).
void set_client_certificate(CURL* easy, const ProbeSpec& spec) {
  if (spec.client_cert.empty()) return;
  curl_easy_setopt(easy, CURLOPT_SSLCERT, spec.client_cert.c_str());
  curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
  curl_easy_setopt(easy, CURLOPT_SSLKEY, spec.client_key.c_str());
  curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
}

void set_tls(CURL* easy, const ProbeSpec& spec) {
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, spec.tls_verify ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, spec.tls_verify ? 2L : 0L);
  // A target's ca_file replaces the system trust store, as blackbox_exporter's does: an
  // internal CA pinned in the config must not also admit every public CA. Debian's libcurl
  // adds a CA directory (/etc/ssl/certs) to any bundle, so it is dropped in both cases;
  // without the ca_file that directory holds the same certificates as the system bundle.
  // Dropping it also lets libcurl 7.88 cache the parsed store (it caches only without a
  // directory): parsing ~150 certificates was most of an https probe's CPU.
  if (!spec.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, spec.ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
  // Parsing a CA bundle costs more than a handshake; reuse it, but notice a replaced file
  // within minutes.
  curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, 300L);
  // Every new connection makes a full handshake, certificate check included: a handle would
  // otherwise resume the last TLS session it had with the same host.
  curl_easy_setopt(easy, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  set_tls_min_version(easy, spec.tls_min_version);
  set_client_certificate(easy, spec);
}

// grpc:// and grpcs://: the health check, a unary call of gRPC over HTTP/2 (grpc_health.hpp). A
// gRPC server speaks nothing but HTTP/2: grpc:// starts it at once (prior knowledge: a server
// would not answer an HTTP/1.1 Upgrade), grpcs:// by ALPN. The request is a POST of one
// HealthCheckRequest message; "te: trailers" is how a gRPC client says it reads grpc-status from
// the trailers, and gRPC servers refuse a request without it.
void set_grpc_request(CURL* easy, const ProbeSpec& spec, const char* user_agent,
                      CurlOptionLists& lists) {
  const long version = spec.url.uses_tls() ? static_cast<long>(CURL_HTTP_VERSION_2TLS)
                                           : static_cast<long>(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, version);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  const std::string service = spec.url.path.empty() ? std::string() : spec.url.path.substr(1);
  const std::string request = grpc_health_request(service);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.size()));
  // Copied: the message holds NUL bytes, and the string goes away at the end of this call.
  curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, request.data());
  curl_slist* headers = nullptr;
  for (const char* line : {"Content-Type: application/grpc", "TE: trailers", "Accept:", "Expect:"})
    headers = curl_slist_append(headers, line);
  lists.headers.reset(headers);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent);
}

// A proxy's own TLS (https:// proxies) is checked like the target's: against the ca_file when
// there is one, else the system store, and not at all with tls_verify: false.
void set_proxy_tls(CURL* easy, const ProbeSpec& spec) {
  curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYPEER, spec.tls_verify ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYHOST, spec.tls_verify ? 2L : 0L);
  if (!spec.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_PROXY_CAINFO, spec.ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_PROXY_CAPATH, nullptr);
}

void set_proxy(CURL* easy, const ProbeSpec& spec, std::string_view proxy_address,
               CurlOptionLists& lists) {
  if (!spec.proxy) {
    // libcurl otherwise takes a proxy from the environment (http_proxy, HTTPS_PROXY, ALL_PROXY),
    // and a monitor started from a shell that has one would blame its targets for the proxy's
    // failures: a probe goes through a proxy only when its target says so.
    curl_easy_setopt(easy, CURLOPT_PROXY, "");
    return;
  }
  const ProxyUrl& proxy = *spec.proxy;
  curl_easy_setopt(easy, CURLOPT_PROXY, proxy.text.c_str());
  // ... and the environment's no_proxy must not send a target around the configured one.
  curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
  if (!proxy.username.empty() || !proxy.password.empty()) {
    curl_easy_setopt(easy, CURLOPT_PROXYUSERNAME, proxy.username.c_str());
    curl_easy_setopt(easy, CURLOPT_PROXYPASSWORD, proxy.password.c_str());
  }
  // Through an HTTP proxy every target, http:// included, gets a CONNECT tunnel: a proxy that
  // forwards a request answers for the target, and its own 502 would then read as the target's.
  if (proxy.is_http()) curl_easy_setopt(easy, CURLOPT_HTTPPROXYTUNNEL, 1L);
  if (!proxy_address.empty() && !proxy.host_is_ip) {
    const std::string pin = bracket_host(proxy.host) + ":" + std::to_string(proxy.port) + ":" +
                            bracket_host(proxy_address);
    lists.resolve.reset(curl_slist_append(nullptr, pin.c_str()));
    curl_easy_setopt(easy, CURLOPT_RESOLVE, lists.resolve.get());
  }
  if (proxy.scheme == ProxyScheme::https) set_proxy_tls(easy, spec);
}

}  // namespace

CurlOptionLists apply_probe_options(CURL* easy, const ProbeSpec& spec, const TransferSetup& setup) {
  CurlOptionLists lists;
  set_target(easy, spec, setup.address, lists);
  set_connection(easy, setup);
  set_proxy(easy, spec, setup.proxy_address, lists);
  if (spec.url.is_http()) {
    set_request(easy, spec, setup.user_agent, lists);
    set_request_body(easy, spec);
    set_auth(easy, spec);
  }
  if (is_mail(spec.url.scheme)) set_mail(easy, spec);
  if (spec.url.is_grpc()) set_grpc_request(easy, spec, setup.user_agent, lists);
  if (spec.negotiates_tls()) set_tls(easy, spec);
  return lists;
}

}  // namespace faultline
