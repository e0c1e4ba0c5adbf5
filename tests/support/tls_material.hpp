// TlsMaterial: the files a TLS server fixture presents.
#pragma once

#include <string>

namespace faultline::testing {

// PEM files for a TLS server: the certificate chain (leaf first, then any intermediates) and the
// leaf's private key.
struct TlsMaterial {
  std::string cert_chain_path;
  std::string key_path;
};

}  // namespace faultline::testing
