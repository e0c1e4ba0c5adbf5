// make_test_pki: a throwaway certificate authority and the leaf certificates that make every
// TLS failure class reproducible against a LoopbackServer.
#pragma once

#include <cstdint>
#include <string>

#include "tests/support/tls_material.hpp"

namespace faultline::testing {

// One certificate and its key, as PEM files.
struct TestCert {
  std::string cert_path;
  std::string key_path;
  std::int64_t not_after = 0;  // unix seconds

  // What LoopbackServerOptions::tls wants for presenting this certificate.
  TlsMaterial material() const { return {cert_path, key_path}; }
};

// The files make_test_pki writes. Every server leaf except self_signed is signed by the CA;
// all have CN=localhost, EC P-256 keys and SHA-256 signatures; validity is relative to the
// moment of generation (once per process). The client leaves are for mutual TLS: a server that
// trusts ca_path for its clients accepts `client` and rejects `other_client`.
struct TestPki {
  std::string dir;
  std::string ca_path;        // the CA certificate: a probe's ca_file
  TestCert good;              // SAN DNS:localhost, IP:127.0.0.1, IP:::1; now-1d .. now+30d
  TestCert expired;           // same names; now-30d .. now-1d
  TestCert not_yet_valid;     // same names; now+1d .. now+30d
  TestCert wrong_name;        // SAN DNS:wrong.example only; now-1d .. now+30d
  TestCert expiring_soon;     // same names as good; now-1d .. now+5d
  TestCert self_signed;       // same names as good, self-signed (not by the CA); now-1d .. now+30d
  std::string other_ca_path;  // a second CA, which nothing trusts unless a test says so
  TestCert client;            // CN=faultline-probe, clientAuth, by the CA; now-1d .. now+30d
  TestCert other_client;      // the same, but signed by the other CA
};

// Writes the CA and the certificates above into `dir` (which must exist) as ca.pem and
// NAME.pem / NAME.key. The keys and certificates are generated once per process with the
// OpenSSL API and only written again for a new `dir`, so calling this from many tests is cheap.
// Thread-safe. Throws std::runtime_error when OpenSSL or a file write fails.
TestPki make_test_pki(const std::string& dir);

// make_test_pki into a folder of its own that is removed when the process exits.
const TestPki& shared_test_pki();

}  // namespace faultline::testing
