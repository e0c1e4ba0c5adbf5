// How to probe one target: everything a probe needs, nothing about scheduling or state.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "checks/ip_family.hpp"
#include "checks/status_set.hpp"
#include "checks/target_url.hpp"
#include "checks/tls_min_version.hpp"

namespace faultline {

struct Header {
  std::string name;
  std::string value;  // may be a secret (Authorization): never log, store or export it

  bool operator==(const Header&) const = default;
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
  // Response bodies are read and discarded up to this many bytes; more never fails a probe.
  std::size_t body_limit = 64 * 1024;
  // http(s) only: keep the connection open after each probe and send the next probe's request
  // over it, as a client's connection pool would, instead of measuring every layer afresh. The
  // probe then reports how long the connection sat idle and what had become of it, the passive
  // evidence of idle-connection resets (ProbeResult::kept).
  bool reuse_connection = false;

  // Mutual TLS: a PEM client certificate and its PEM key, both or neither (checked at load).
  std::string client_cert;
  std::string client_key;
  // Sent as SNI and checked against the server's certificate instead of the URL's host, which
  // still says where to connect; http(s) sends it as the Host header too. Empty: the URL's host.
  std::string server_name;
  TlsMinVersion tls_min_version = TlsMinVersion::any;
  // Which of the name's addresses to try; the URL's IP literal must already be of this family.
  IpFamily ip_family = IpFamily::any;

  bool operator==(const ProbeSpec&) const = default;
};

}  // namespace faultline
