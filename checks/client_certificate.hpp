// Whether a client certificate and key (client_cert, client_key) can be used for mutual TLS,
// found out when the config is loaded rather than at the first probe.
#pragma once

#include <optional>
#include <string>

namespace faultline {

// Reads both PEM files: nullopt when `cert_path` holds a certificate and `key_path` its private
// key; else what is wrong ("client_cert /x.pem holds no PEM certificate", "client_key
// /x.key does not match client_cert /x.pem"). Blocks on the files: not for the event loop.
std::optional<std::string> client_certificate_problem(const std::string& cert_path,
                                                      const std::string& key_path);

}  // namespace faultline
