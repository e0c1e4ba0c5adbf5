// How to probe one target: everything a probe needs, nothing about scheduling or state.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checks/boxed.hpp"
#include "checks/icmp_options.hpp"
#include "checks/ip_family.hpp"
#include "checks/json_expectation.hpp"
#include "checks/mail_protocol.hpp"
#include "checks/pattern.hpp"
#include "checks/proxy_url.hpp"
#include "checks/status_set.hpp"
#include "checks/target_url.hpp"
#include "checks/tls_min_version.hpp"

namespace faultline {

struct Header {
  std::string name;
  std::string value;  // may be a secret (Authorization): never log, store or export it

  bool operator==(const Header&) const = default;
};

// Limits of the HTTP exchange options below (README "Configuration").
inline constexpr int kMaxRedirects = 10;
inline constexpr std::size_t kMaxBodyLimit = std::size_t{1} << 20;    // 1 MiB
inline constexpr std::size_t kMaxRequestBody = std::size_t{1} << 20;  // 1 MiB

// A credential libcurl sends in the Authorization header (basic_auth, bearer_token_file): never
// log, store or export `secret`, and never send it to another origin than the target's own.
struct HttpAuth {
  enum class Kind : std::uint8_t { basic, bearer };
  Kind kind = Kind::basic;
  std::string username;  // basic only
  std::string secret;    // the password or the token

  bool operator==(const HttpAuth&) const = default;
};

struct ProbeSpec {
  TargetUrl url;
  // One deadline for every layer of the probe, resolve to last body byte.
  std::chrono::milliseconds timeout{5000};
  std::string method = "GET";
  std::vector<Header> headers;
  StatusSet expect_status;
  // PEM certificates to trust instead of the system store; empty: the system bundle.
  std::string ca_file;
  bool tls_verify = true;
  // Response bodies are read up to this many bytes (at most kMaxBodyLimit), kept only when an
  // assertion checks them (checks_body()); more never fails a probe.
  std::size_t body_limit = 64 * 1024;
  // http(s) only: keep the connection open after each probe and send the next probe's request
  // over it, as a client's connection pool would, instead of measuring every layer afresh. The
  // probe then reports how long the connection sat idle and what had become of it, the passive
  // evidence of idle-connection resets (ProbeResult::kept).
  bool reuse_connection = false;

  // What an HTTP probe sends and what the answer must hold beyond its status (issue 18).
  // Sent with a Content-Length, under `method` (never GET or HEAD: the config refuses that).
  Boxed<std::string> body;
  // Redirects (301, 302, 303, 307, 308, 300) followed, each one a new hop through the engine's
  // own resolve, connect and classify path; 0: a redirect is the answer. At most kMaxRedirects.
  int follow_redirects = 0;
  Boxed<HttpAuth> auth;
  // Assertions on the final response's body (its first body_limit bytes), checked once its
  // status is accepted; a failure is http/body_mismatch (body_check.hpp).
  Boxed<Pattern> expect_body;
  Boxed<Pattern> reject_body;
  std::vector<JsonExpectation> expect_json;
  // A successful probe that took longer than this in all is slow (ProbeResult::slow).
  std::optional<std::chrono::milliseconds> degraded_after;

  // Whether the response body must be kept (up to body_limit) to check it.
  bool checks_body() const { return expect_body || reject_body || !expect_json.empty(); }
  // Mutual TLS: a PEM client certificate and its PEM key, both or neither (checked at load).
  std::string client_cert;
  std::string client_key;
  // Sent as SNI and checked against the server's certificate instead of the URL's host, which
  // still says where to connect; http(s) sends it as the Host header too. Empty: the URL's host.
  std::string server_name;
  TlsMinVersion tls_min_version = TlsMinVersion::any;
  // Which of the name's addresses to try; the URL's IP literal must already be of this family.
  IpFamily ip_family = IpFamily::any;
  // Every connection goes through this proxy; none: straight to the target, whatever the
  // environment's http_proxy and friends say.
  Boxed<ProxyUrl> proxy;
  // tcp:// and tls:// only: after connecting (and the handshake), send `send` and read until
  // `expect` matches what came back; neither: connecting is the whole probe.
  std::string send;       // the bytes to send, escapes already decoded
  Boxed<Pattern> expect;  // read up to body_limit bytes for a match
  // dns:// only: records the answer must hold, each in normalise_dns_value()'s form for the
  // URL's type (checks/dns_record_type.hpp); empty: any answer with records will do.
  std::vector<std::string> expect_answer;
  // icmp:// only: the echo requests of one probe.
  IcmpOptions icmp;
  // smtp://, imap://, pop3:// only: after the greeting and the capabilities, upgrade to TLS
  // with STARTTLS (STLS), verified like https, and fail when the server does not offer it;
  // false: the greeting and the capabilities in clear are the whole probe.
  bool starttls = true;

  // Whether the probe talks after connecting: a tcp:// or tls:// target with send or expect.
  bool converses() const { return !url.is_http() && (!send.empty() || expect.has_value()); }
  // Whether the connection carries TLS: from the first byte (https, tls, smtps, ...), or after
  // STARTTLS (smtp, imap, pop3 with starttls).
  bool negotiates_tls() const { return url.uses_tls() || (starttls && takes_starttls(url.scheme)); }
  // Whether the probe, not libcurl, ends the connection once its CONNECT_ONLY transfer is done:
  // a conversation needs it afterwards, and libcurl would say goodbye to a mail server (QUIT,
  // LOGOUT) and wait for the answer blocking the loop; a removed handle's connection is closed
  // without one.
  bool holds_connection() const { return converses() || is_mail(url.scheme); }

  bool operator==(const ProbeSpec&) const = default;
};

}  // namespace faultline
