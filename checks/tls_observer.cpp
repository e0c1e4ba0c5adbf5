#include "checks/tls_observer.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <string>

namespace faultline {
namespace {

int facts_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

TlsFacts* facts_of(const SSL* ssl) {
  return static_cast<TlsFacts*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), facts_index()));
}

std::string name_text(const X509_NAME* name) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || name == nullptr) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::optional<std::int64_t> unix_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

void record_certificate(TlsFacts& facts, X509* cert) {
  if (cert == nullptr) return;
  TlsInfo info = facts.cert.value_or(TlsInfo{});
  info.subject = name_text(X509_get_subject_name(cert));
  info.issuer = name_text(X509_get_issuer_name(cert));
  info.not_after = unix_time(X509_get0_notAfter(cert));
  info.not_before = unix_time(X509_get0_notBefore(cert));
  facts.cert = std::move(info);
}

void record_alert(TlsFacts& facts, int where, int ret) {
  const int description = ret & 0xff;
  // close_notify is how a peer ends a session, not a handshake failure.
  if (description == SSL_AD_CLOSE_NOTIFY) return;
  if (where & SSL_CB_READ) {
    const bool fatal = (ret >> 8) == SSL3_AL_FATAL;
    if (fatal || !facts.alert_received_fatal) {
      facts.alert_received = description;
      facts.alert_received_fatal = fatal;
    }
  } else if (facts.alert_sent < 0) {
    facts.alert_sent = description;
  }
}

// The handshake's steps that concern the client's certificate, from OpenSSL's state machine.
void record_client_certificate(const SSL* ssl, TlsFacts& facts) {
  const OSSL_HANDSHAKE_STATE state = SSL_get_state(ssl);
  if (state == TLS_ST_CR_CERT_REQ) facts.client_cert_requested = true;
  if (state == TLS_ST_CW_CERT && SSL_get_certificate(ssl) != nullptr) facts.client_cert_sent = true;
}

// OpenSSL reports a state on the loop callback just before it moves on from it, so a ticket
// shows as TLS_ST_CR_SESSION_TICKET on the step after it was read (for a TLS 1.3 ticket, which
// comes after the handshake, that step is the return to TLS_ST_OK).
void record_session_ticket(const SSL* ssl, TlsFacts& facts) {
  if (SSL_get_state(ssl) == TLS_ST_CR_SESSION_TICKET) facts.session_ticket_received = true;
}

void on_info(const SSL* ssl, int where, int ret) {
  TlsFacts* facts = facts_of(ssl);
  if (facts == nullptr) return;
  if (where & SSL_CB_ALERT) record_alert(*facts, where, ret);
  if (where & SSL_CB_LOOP) {
    record_client_certificate(ssl, *facts);
    record_session_ticket(ssl, *facts);
  }
  if (where & SSL_CB_HANDSHAKE_DONE) {
    facts->handshake_done = true;
    if (!facts->done_at) facts->done_at = std::chrono::steady_clock::now();
    facts->protocol_version = SSL_version(ssl);
    if (!facts->cert) record_certificate(*facts, SSL_get0_peer_certificate(ssl));
    if (facts->cert) facts->cert->version = SSL_get_version(ssl);
  }
}

int on_verify(int preverify_ok, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  TlsFacts* facts = ssl ? facts_of(ssl) : nullptr;
  if (facts != nullptr) {
    const int depth = X509_STORE_CTX_get_error_depth(store);
    if (depth == 0) record_certificate(*facts, X509_STORE_CTX_get_current_cert(store));
    if (!preverify_ok && facts->verify_error == 0) {
      facts->verify_error = X509_STORE_CTX_get_error(store);
      facts->verify_error_depth = depth;
    }
  }
  return preverify_ok;
}

}  // namespace

void observe_tls(SSL_CTX* ctx, TlsFacts* facts) {
  facts->started_at = std::chrono::steady_clock::now();
  SSL_CTX_set_ex_data(ctx, facts_index(), facts);
  SSL_CTX_set_info_callback(ctx, on_info);
  SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), on_verify);
}

}  // namespace faultline
