// Decides which layer ended an attempt and hands the facts to that layer's classifier:
// connect (connect_classifier), TLS handshake (tls_classifier) or HTTP exchange
// (http_classifier).
#pragma once

#include <cstdint>
#include <string>

#include "checks/curl_transfer.hpp"
#include "checks/probe_spec.hpp"
#include "checks/verdict.hpp"

namespace faultline {

// `remote` is the address the attempt connected to ("127.0.0.1:443"); `now_unix` dates
// certificate messages.
Verdict classify_transfer(const TransferFacts& facts, const ProbeSpec& spec,
                          const std::string& remote, std::int64_t now_unix);

}  // namespace faultline
