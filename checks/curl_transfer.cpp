#include "checks/curl_transfer.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string_view>

#include "checks/mail_protocol.hpp"
#include "checks/tls_client_verdict.hpp"
#include "checks/url_parts.hpp"

namespace faultline {
namespace {

// `url` without user name, password and fragment. libcurl makes a relative Location absolute
// with the credentials of the request (basic_auth) in it: they must not reach the next hop's
// URL, which messages show. A server's own credentials in a Location go the same way.
std::string bare_url(const char* url) {
  CurlUrl u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return url;
  }
  for (CURLUPart part :
       {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS, CURLUPART_FRAGMENT}) {
    curl_url_set(u.get(), part, nullptr, 0);
  }
  char* text = nullptr;
  if (curl_url_get(u.get(), CURLUPART_URL, &text, 0) != CURLUE_OK) return url;
  return CurlString(text).get();
}

}  // namespace

CurlTransfer::CurlTransfer(CurlHandlePool& pool, const ProbeSpec& spec, const std::string& address,
                           std::chrono::milliseconds budget, KeptConnection* kept,
                           bool expect_reuse, const std::string& proxy_address)
    : pool_(pool),
      kept_(kept),
      expect_reuse_(kept != nullptr && expect_reuse),
      spec_(spec),
      easy_(kept != nullptr ? kept->attach(this) : pool.acquire()),
      started_(std::chrono::steady_clock::now()) {
  if (easy_ == nullptr) return;
  if (spec.proxy) {
    facts_.proxy_address = proxy_address.empty() ? spec.proxy->authority()
                                                 : bracket_host(proxy_address) + ":" +
                                                       std::to_string(spec.proxy->port);
  }
  // A connection that is not going to be reused takes its TLS facts with it.
  if (kept_ != nullptr && !expect_reuse_) kept_->tls() = TlsFacts{};
  TransferSetup setup;
  setup.address = address;
  setup.proxy_address = proxy_address;
  setup.timeout = budget;
  option_lists_ = apply_probe_options(easy_, spec, setup);
  // libcurl only ever sees numeric addresses here (names are resolved by the engine), so its DNS
  // cache saves nothing; and libcurl 7.88 prunes that cache, shared by the whole multi handle,
  // by walking every entry on each transfer: with one address per target that made every probe
  // cost time proportional to the fleet. 0 keeps only the entries of running transfers.
  curl_easy_setopt(easy_, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
  if (kept_ == nullptr) {
    // Every probe tests every layer, so nothing is reused between probes. A conversation
    // (send/expect) needs the connection after the CONNECT_ONLY transfer, which FORBID_REUSE
    // would close; it is closed when the probe removes the handle instead. So is a mail
    // target's (ProbeSpec::holds_connection).
    curl_easy_setopt(easy_, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(easy_, CURLOPT_FORBID_REUSE, spec.holds_connection() ? 0L : 1L);
  } else {
    // reuse_connection: behave like a client's pool, which keeps a connection however long it
    // sits idle; libcurl's own default drops one idle for 118 s, below the timeouts of the
    // middleboxes this is meant to find (350 s on AWS NAT gateways).
    curl_easy_setopt(easy_, CURLOPT_MAXAGE_CONN, 30L * 24 * 3600);
  }
  // tls:// may wait for the server's verdict on its client certificate after the handshake.
  if (kept_ == nullptr && spec.url.uses_tls() && !spec.url.is_http() && !spec.url.is_grpc()) {
    keep_connection_for_client_verdict(easy_);
  }
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_.data());
  curl_easy_setopt(easy_, CURLOPT_OPENSOCKETFUNCTION, &CurlTransfer::open_socket);
  curl_easy_setopt(easy_, CURLOPT_OPENSOCKETDATA, this);
  if (kept_ == nullptr) {
    curl_easy_setopt(easy_, CURLOPT_CLOSESOCKETFUNCTION, &CurlTransfer::close_socket);
    curl_easy_setopt(easy_, CURLOPT_CLOSESOCKETDATA, this);
  } else {
    // libcurl copies the hook into the connection, which outlives this transfer.
    curl_easy_setopt(easy_, CURLOPT_CLOSESOCKETFUNCTION, &KeptConnection::close_socket);
    curl_easy_setopt(easy_, CURLOPT_CLOSESOCKETDATA, kept_);
  }
  if (spec.url.is_http() || spec.url.is_grpc()) {
    // An HTTP proxy's answer to CONNECT is not the target's: on_header must see only the
    // target's header blocks.
    if (spec.proxy) curl_easy_setopt(easy_, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &CurlTransfer::on_header);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &CurlTransfer::on_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
  }
  if (is_mail(spec.url.scheme)) {
    // libcurl hands each line the server sends to the header callback.
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &CurlTransfer::on_mail_line);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
  }
  if (spec.negotiates_tls() || (spec.proxy && spec.proxy->scheme == ProxyScheme::https)) {
    curl_easy_setopt(easy_, CURLOPT_SSL_CTX_FUNCTION, &CurlTransfer::on_ssl_ctx);
    curl_easy_setopt(easy_, CURLOPT_SSL_CTX_DATA, this);
  }
}

CurlTransfer::~CurlTransfer() {
  // Before option_lists_ goes: the handle must not point into them once they are freed.
  release();
}

void CurlTransfer::finish(CURLcode code) {
  facts_.code = code;
  facts_.error_text = error_.data();
  curl_easy_getinfo(easy_, CURLINFO_OS_ERRNO, &facts_.os_errno);
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &facts_.http_status);
  curl_easy_getinfo(easy_, CURLINFO_REQUEST_SIZE, &facts_.request_size);
  curl_easy_getinfo(easy_, CURLINFO_CONNECT_TIME_T, &facts_.connect_us);
  curl_easy_getinfo(easy_, CURLINFO_APPCONNECT_TIME_T, &facts_.appconnect_us);
  curl_easy_getinfo(easy_, CURLINFO_PRETRANSFER_TIME_T, &facts_.pretransfer_us);
  curl_easy_getinfo(easy_, CURLINFO_STARTTRANSFER_TIME_T, &facts_.starttransfer_us);
  curl_easy_getinfo(easy_, CURLINFO_TOTAL_TIME_T, &facts_.total_us);
  const char* redirect = nullptr;
  if (curl_easy_getinfo(easy_, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect) {
    facts_.redirect_url = bare_url(redirect);
  }
  if (spec_.proxy) {
    curl_easy_getinfo(easy_, CURLINFO_HTTP_CONNECTCODE, &facts_.proxy_connect_code);
    curl_easy_getinfo(easy_, CURLINFO_PROXY_ERROR, &facts_.proxy_error);
  }
  if (kept_ != nullptr) {
    long connects = 0;
    curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &connects);
    facts_.reused = expect_reuse_ && connects == 0 && !facts_.socket_opened;
    facts_.tls = kept_->tls();
  }

  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  const Clock::time_point end = Clock::now();
  std::optional<Clock::time_point> connected_at;
  if (spec_.url.uses_tls()) {
    // libcurl starts TLS (and calls our context hook) as soon as TCP is connected.
    connected_at = facts_.tls.started_at;
  } else if (facts_.connect_us > 0) {
    connected_at = started_ + std::chrono::microseconds(facts_.connect_us);
  }
  facts_.tcp_connected = connected_at.has_value();
  if (spec_.proxy) {
    const bool tunnel_answered =
        facts_.proxy_connect_code >= 200 && facts_.proxy_connect_code < 300;
    facts_.tunnel_up = facts_.tcp_connected || code == CURLE_OK || tunnel_answered;
  }
  if (connected_at && socket_opened_at_) facts_.connect_ms = ms(*socket_opened_at_, *connected_at);
  if (facts_.tls.started_at) {
    facts_.tls_ms = ms(*facts_.tls.started_at, facts_.tls.done_at.value_or(end));
  }
  if (facts_.reused) {
    // The handshakes belong to an earlier probe; only the exchange ran now.
    facts_.tcp_connected = true;
    facts_.connect_ms.reset();
    facts_.tls_ms.reset();
    facts_.socket = kept_->socket_state();
  }
}

void CurlTransfer::release() {
  if (easy_ == nullptr) return;
  if (kept_ != nullptr) {
    // The connection stays in the kept connection's multi handle for the next probe.
    kept_->detach(fd_);
  } else {
    // A socket still open means libcurl still holds the connection: the pool then destroys the
    // handle, which closes it (and close_socket records its final state).
    pool_.release(easy_, open_sockets_ == 0);
  }
  easy_ = nullptr;
}

curl_socket_t CurlTransfer::open_socket(void* self, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<CurlTransfer*>(self);
  int fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd < 0) {
    t->facts_.socket_errno = errno;
    return CURL_SOCKET_BAD;
  }
  t->facts_.socket_opened = true;
  ++t->open_sockets_;
  t->fd_ = fd;
  t->socket_opened_at_ = std::chrono::steady_clock::now();
  // A new connection of a kept one: whatever TLS facts were there are the old connection's.
  if (t->kept_ != nullptr) t->kept_->tls() = TlsFacts{};
  return fd;
}

int CurlTransfer::close_socket(void* self, curl_socket_t fd) {
  static_cast<CurlTransfer*>(self)->socket_closing(fd);
  return close(fd);
}

void CurlTransfer::socket_closing(curl_socket_t fd) {
  // Without a kept connection every socket closed here is one this transfer opened.
  if (kept_ == nullptr) --open_sockets_;
  if (fd == fd_) {
    facts_.socket = snapshot_socket(fd);
    fd_ = CURL_SOCKET_BAD;
  }
}

std::size_t CurlTransfer::on_header(char* data, std::size_t size, std::size_t n, void* self) {
  auto* t = static_cast<CurlTransfer*>(self);
  const std::size_t len = size * n;
  if (t->spec_.url.is_grpc()) read_grpc_header(std::string_view(data, len), t->facts_.grpc);
  // The blank line ends a header block; an interim 1xx block is followed by the final one.
  if (len <= 2 && (len == 0 || data[0] == '\r' || data[0] == '\n')) {
    long status = 0;
    curl_easy_getinfo(t->easy_, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200) t->facts_.headers_done = true;
  }
  return len;
}

std::size_t CurlTransfer::on_mail_line(char* data, std::size_t size, std::size_t n, void* self) {
  auto* t = static_cast<CurlTransfer*>(self);
  const std::size_t len = size * n;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  line = line.substr(0, kMailLineBytes);
  TransferFacts& f = t->facts_;
  if (f.mail_lines++ == 0) {
    f.mail_first_line = line;
    // libcurl skips lines that are no reply of its protocol and waits for one: a server of
    // another protocol would read as a timeout.
    if (!greeting_line_allowed(t->spec_.url.scheme, line)) {
      f.mail_last_line = line;
      f.mail_greeting_rejected = true;
      return 0;
    }
  }
  f.mail_last_line = line;
  return len;
}

std::size_t CurlTransfer::on_body(char* data, std::size_t size, std::size_t n, void* self) {
  auto* t = static_cast<CurlTransfer*>(self);
  const std::size_t len = size * n;
  const bool keep = t->spec_.checks_body() || t->spec_.url.is_grpc();
  if (keep && t->facts_.body.size() < t->spec_.body_limit) {
    t->facts_.body.append(data, std::min(len, t->spec_.body_limit - t->facts_.body.size()));
  }
  t->facts_.body_bytes += len;
  if (t->facts_.body_bytes > t->spec_.body_limit) {
    // Enough read to know the server answers; stop here instead of failing on a huge body.
    t->facts_.body_limit_hit = true;
    return 0;
  }
  return len;
}

CURLcode CurlTransfer::on_ssl_ctx(CURL*, void* ssl_ctx, void* self) {
  auto* t = static_cast<CurlTransfer*>(self);
  // libcurl calls this for each TLS session it starts, in the order of the connection's layers:
  // an https:// proxy's own session comes first, then the target's inside the tunnel.
  const bool https_proxy = t->spec_.proxy && t->spec_.proxy->scheme == ProxyScheme::https;
  if (https_proxy && !t->facts_.proxy_tls.started_at) {
    observe_tls(static_cast<SSL_CTX*>(ssl_ctx), &t->facts_.proxy_tls);
    return CURLE_OK;
  }
  // A kept connection's facts were started afresh when its socket opened (open_socket).
  observe_tls(static_cast<SSL_CTX*>(ssl_ctx),
              t->kept_ != nullptr ? &t->kept_->tls() : &t->facts_.tls);
  return CURLE_OK;
}

}  // namespace faultline
