// How a ProbeSpec becomes libcurl options. Every transfer made on behalf of a target, the
// probe's (CurlTransfer, over a kept connection too) and the idle experiment's (IdleStep), is
// set up here from the spec, so the two cannot drift apart again: what the target asks for
// (URL, method, headers, trust) reaches the server the same way from both. What belongs to a
// caller stays with it: socket hooks, connection reuse, TCP keepalive, what to do with the body.
//
// A new spec option gets its libcurl wiring here, next to its kind: where to connect
// (set_target), the connection (set_connection), the request (set_request), TLS (set_tls), the
// proxy (set_proxy).
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <string_view>

#include "checks/probe_spec.hpp"

namespace faultline {

// The User-Agent of a probe that has no User-Agent header of its own.
inline constexpr const char* kProbeUserAgent = "faultline/" FAULTLINE_VERSION;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// The lists apply_probe_options handed to libcurl. libcurl keeps pointers to them, not copies:
// keep this value alive until the handle's options are reset (curl_easy_reset) or the handle
// is destroyed, whichever comes first.
struct CurlOptionLists {
  CurlSlist headers;     // CURLOPT_HTTPHEADER
  CurlSlist connect_to;  // CURLOPT_CONNECT_TO
  CurlSlist resolve;     // CURLOPT_RESOLVE: the proxy's name pinned to the address resolved
};

// What the caller decides about its transfers, beside the spec.
struct TransferSetup {
  // The numeric address to connect to, resolved by the caller. The URL keeps the target's host
  // name, so the Host header, SNI and certificate check use the name. Empty: libcurl resolves
  // the host itself.
  std::string_view address;
  // The numeric address of the spec's proxy, resolved by the caller; the proxy URL keeps its
  // name (an https:// proxy's certificate is checked against it). Empty: libcurl resolves it.
  std::string_view proxy_address;
  // Bounds each transfer run on the handle, connect to last byte; at least 1 ms is set.
  std::chrono::milliseconds timeout{0};
  // Sent as the User-Agent unless the spec's headers carry one. Must be NUL-terminated and
  // outlive the call (libcurl copies it).
  const char* user_agent = kProbeUserAgent;
};

// Sets every option of `easy` that follows from `spec` and `setup`: URL (built on the
// server_name when there is one) and the address to connect to, the address family,
// CONNECT_ONLY for tcp://, tls:// and the mail schemes (and for those the protocol and
// STARTTLS, mail_protocol.hpp), timeout, protocols, HTTP/1.1, method, headers,
// User-Agent, the request body and the credentials (never redirects: the probe engine follows
// them itself, redirect_hop.hpp), and for TLS the verification, the trust store (a ca_file
// replaces the system's), the client certificate, the minimum version and a full handshake
// every time; the spec's proxy, or none at all (never one from the environment). Options it does
// not mention are left as they are. Returns the lists libcurl now points into (see
// CurlOptionLists).
CurlOptionLists apply_probe_options(CURL* easy, const ProbeSpec& spec, const TransferSetup& setup);

}  // namespace faultline
