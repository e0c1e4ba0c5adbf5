#include "checks/client_certificate.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>

#include "checks/printable.hpp"

namespace faultline {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<std::FILE, FileCloser> open_file(const std::string& path) {
  return std::unique_ptr<std::FILE, FileCloser>(std::fopen(path.c_str(), "rb"));
}

}  // namespace

std::optional<std::string> client_certificate_problem(const std::string& cert_path,
                                                      const std::string& key_path) {
  auto cert_file = open_file(cert_path);
  if (!cert_file) return "client_cert " + quote(cert_path) + " cannot be opened";
  std::unique_ptr<X509, X509Free> cert(PEM_read_X509(cert_file.get(), nullptr, nullptr, nullptr));
  if (!cert) return "client_cert " + quote(cert_path) + " holds no PEM certificate";
  auto key_file = open_file(key_path);
  if (!key_file) return "client_key " + quote(key_path) + " cannot be opened";
  // No passphrase callback: an encrypted key cannot be used unattended, and is refused here.
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_PrivateKey(
      key_file.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!key) {
    return "client_key " + quote(key_path) +
           " holds no PEM private key (or an encrypted one, which cannot be used unattended)";
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return "client_key " + quote(key_path) + " does not match client_cert " + quote(cert_path);
  }
  return std::nullopt;
}

}  // namespace faultline
