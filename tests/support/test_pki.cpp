#include "tests/support/test_pki.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "tests/support/openssl_ptr.hpp"
#include "tests/support/temp_dir.hpp"

namespace faultline::testing {

namespace {

constexpr long kDay = 24L * 60 * 60;
constexpr const char* kLocalNames = "DNS:localhost,IP:127.0.0.1,IP:::1";

[[noreturn]] void fail(const std::string& what) {
  char text[256] = "no OpenSSL error queued";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, text, sizeof text);
  ERR_clear_error();
  throw std::runtime_error("test PKI: " + what + ": " + text);
}

enum class Issuer { ca, other_ca, self };

// A leaf to issue: validity in seconds relative to now.
struct LeafSpec {
  const char* name;
  long not_before;
  long not_after;
  const char* subject_alt_names;  // null: none
  Issuer issuer;
  const char* common_name = "localhost";
  const char* ext_key_usage = "serverAuth";
};

constexpr LeafSpec kLeaves[] = {
    {"good", -kDay, 30 * kDay, kLocalNames, Issuer::ca},
    {"expired", -30 * kDay, -kDay, kLocalNames, Issuer::ca},
    {"not_yet_valid", kDay, 30 * kDay, kLocalNames, Issuer::ca},
    {"wrong_name", -kDay, 30 * kDay, "DNS:wrong.example", Issuer::ca},
    {"expiring_soon", -kDay, 5 * kDay, kLocalNames, Issuer::ca},
    {"self_signed", -kDay, 30 * kDay, kLocalNames, Issuer::self},
    {"client", -kDay, 30 * kDay, nullptr, Issuer::ca, "faultline-probe", "clientAuth"},
    {"other_client", -kDay, 30 * kDay, nullptr, Issuer::other_ca, "faultline-probe", "clientAuth"},
};

struct Pem {
  std::string cert;
  std::string key;
  std::int64_t not_after = 0;
};

// All the PEM text, generated once per process.
struct GeneratedPki {
  std::string ca_cert;
  std::string other_ca_cert;
  std::map<std::string, Pem> leaves;
};

EvpPkeyPtr new_key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("EVP_EC_gen");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fail(std::string("extension ") + value);
}

struct CertRequest {
  EVP_PKEY* key;
  const char* common_name;
  std::time_t now;
  long not_before;
  long not_after;
  X509* issuer;          // null: self-signed
  EVP_PKEY* issuer_key;  // null: self-signed
  bool is_ca;
  const char* subject_alt_names;  // null: none
  const char* ext_key_usage;      // leaves only
};

X509Ptr issue(const CertRequest& r) {
  X509Ptr cert(X509_new());
  BignumPtr serial(BN_new());
  if (!cert || !serial) fail("X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  // Random serials: a client caching sessions or certificates never confuses two runs.
  if (BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    fail("serial number");
  std::time_t now = r.now;
  if (!X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, r.not_before, &now) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, r.not_after, &now))
    fail("validity");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("faultline tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(r.common_name), -1, -1, 0);
  X509* issuer = r.issuer ? r.issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1 ||
      X509_set_pubkey(cert.get(), r.key) != 1)
    fail("issuer or public key");
  add_extension(cert.get(), issuer, NID_basic_constraints,
                r.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(cert.get(), issuer, NID_key_usage,
                r.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  if (!r.is_ca) add_extension(cert.get(), issuer, NID_ext_key_usage, r.ext_key_usage);
  if (r.subject_alt_names)
    add_extension(cert.get(), issuer, NID_subject_alt_name, r.subject_alt_names);
  if (X509_sign(cert.get(), r.issuer_key ? r.issuer_key : r.key, EVP_sha256()) == 0)
    fail("X509_sign");
  return cert;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM_write_bio_X509");
  return bio_text(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail("PEM_write_bio_PrivateKey");
  return bio_text(bio.get());
}

GeneratedPki generate() {
  GeneratedPki pki;
  std::time_t now = std::time(nullptr);
  EvpPkeyPtr ca_key = new_key();
  X509Ptr ca = issue({ca_key.get(), "faultline test CA", now, -kDay, 365 * kDay, nullptr, nullptr,
                      true, nullptr, nullptr});
  pki.ca_cert = cert_pem(ca.get());
  EvpPkeyPtr other_ca_key = new_key();
  X509Ptr other_ca = issue({other_ca_key.get(), "faultline other test CA", now, -kDay, 365 * kDay,
                            nullptr, nullptr, true, nullptr, nullptr});
  pki.other_ca_cert = cert_pem(other_ca.get());
  for (const LeafSpec& leaf : kLeaves) {
    EvpPkeyPtr key = new_key();
    X509* issuer = leaf.issuer == Issuer::ca         ? ca.get()
                   : leaf.issuer == Issuer::other_ca ? other_ca.get()
                                                     : nullptr;
    EVP_PKEY* issuer_key = leaf.issuer == Issuer::ca         ? ca_key.get()
                           : leaf.issuer == Issuer::other_ca ? other_ca_key.get()
                                                             : nullptr;
    X509Ptr cert = issue({key.get(), leaf.common_name, now, leaf.not_before, leaf.not_after, issuer,
                          issuer_key, false, leaf.subject_alt_names, leaf.ext_key_usage});
    pki.leaves[leaf.name] = {cert_pem(cert.get()), key_pem(key.get()), now + leaf.not_after};
  }
  return pki;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("test PKI: cannot write " + path);
}

TestCert write_leaf(const std::string& dir, const std::string& name, const Pem& pem) {
  TestCert cert{dir + "/" + name + ".pem", dir + "/" + name + ".key", pem.not_after};
  write_file(cert.cert_path, pem.cert);
  write_file(cert.key_path, pem.key);
  std::filesystem::permissions(
      cert.key_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return cert;
}

}  // namespace

TestPki make_test_pki(const std::string& dir) {
  static std::mutex mutex;
  static std::optional<GeneratedPki> generated;
  static std::map<std::string, TestPki> written;
  std::lock_guard lock(mutex);
  if (auto it = written.find(dir); it != written.end()) return it->second;
  if (!generated) generated = generate();

  TestPki pki;
  pki.dir = dir;
  pki.ca_path = dir + "/ca.pem";
  write_file(pki.ca_path, generated->ca_cert);
  const auto& leaves = generated->leaves;
  pki.good = write_leaf(dir, "good", leaves.at("good"));
  pki.expired = write_leaf(dir, "expired", leaves.at("expired"));
  pki.not_yet_valid = write_leaf(dir, "not_yet_valid", leaves.at("not_yet_valid"));
  pki.wrong_name = write_leaf(dir, "wrong_name", leaves.at("wrong_name"));
  pki.expiring_soon = write_leaf(dir, "expiring_soon", leaves.at("expiring_soon"));
  pki.self_signed = write_leaf(dir, "self_signed", leaves.at("self_signed"));
  pki.other_ca_path = dir + "/other_ca.pem";
  write_file(pki.other_ca_path, generated->other_ca_cert);
  pki.client = write_leaf(dir, "client", leaves.at("client"));
  pki.other_client = write_leaf(dir, "other_client", leaves.at("other_client"));
  written[dir] = pki;
  return pki;
}

const TestPki& shared_test_pki() {
  // Statics die in reverse order at exit, so the folder outlives nothing that points into it.
  static const TempDir dir("faultline-pki");
  static const TestPki pki = make_test_pki(dir.path().string());
  return pki;
}

}  // namespace faultline::testing
