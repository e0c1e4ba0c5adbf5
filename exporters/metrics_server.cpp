#include "exporters/metrics_server.hpp"

#include <civetweb.h>
#include <openssl/evp.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <string_view>
#include <thread>
#include <utility>

#include "exporters/gzip_stream.hpp"

namespace faultline {
namespace {

// Text is handed to the connection (and to gzip) in pieces of this size: large enough that a
// scrape of 100,000 targets (about 70 MB) takes a few hundred writes, small enough that a
// scrape holds only this much text at a time.
constexpr std::size_t kChunkBytes = 128 * 1024;
// zlib's fastest level: about twice as fast as its default (6) on exposition text, for a body
// about a fifth larger; at 100,000 targets the default alone would cost more CPU than the
// rest of a scrape together (docs/BENCHMARKS.md).
constexpr int kGzipLevel = 1;

// Compares every byte whatever the input, so the time a wrong guess takes does not tell how
// much of it was right.
bool same_secret(std::string_view guess, std::string_view secret) {
  unsigned char diff = guess.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < guess.size(); ++i) {
    diff |= static_cast<unsigned char>(guess[i] ^ (i < secret.size() ? secret[i] : 0));
  }
  return diff == 0;
}

// Standard base64 with padding, as HTTP basic auth sends it; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(n);
  for (std::size_t i = 0; i < 2 && i < text.size() && text[text.size() - 1 - i] == '='; ++i)
    --size;
  out.resize(size);
  return out;
}

// The body of one response, as it is written: gzipped when asked, in chunked transfer encoding
// for HTTP/1.1 (the length is not known until the end), raw up to the closed connection for
// HTTP/1.0, which has no chunks.
class ResponseBody {
 public:
  ResponseBody(mg_connection* conn, bool chunked, bool gzip)
      : conn_(conn),
        chunked_(chunked),
        gzip_(gzip ? std::make_unique<GzipStream>(kGzipLevel) : nullptr) {}

  // Sends `text`; false once the connection is gone.
  bool send(std::string_view text) {
    if (gzip_) {
      if (!gzip_->write(text, compressed_)) return false;
      return put(compressed_);
    }
    return put(text);
  }

  // Ends the body: the end of the gzip stream, the last chunk.
  bool finish() {
    if (gzip_ && (!gzip_->finish(compressed_) || !put(compressed_))) return false;
    if (chunked_) return raw("0\r\n\r\n");
    return true;
  }

  std::uint64_t bytes_sent() const { return sent_; }

 private:
  bool put(std::string_view data) {
    if (data.empty()) return true;
    sent_ += data.size();
    if (!chunked_) return raw(data);
    // One write per chunk: the size line, the data and its CRLF together, so that no small
    // write waits for an acknowledgement on a connection without TCP_NODELAY.
    char size[20];
    frame_.assign(size, std::to_chars(size, size + sizeof size, data.size(), 16).ptr);
    frame_ += "\r\n";
    frame_ += data;
    frame_ += "\r\n";
    return raw(frame_);
  }

  bool raw(std::string_view data) {
    return mg_write(conn_, data.data(), data.size()) == static_cast<int>(data.size());
  }

  mg_connection* conn_;
  const bool chunked_;
  std::unique_ptr<GzipStream> gzip_;
  std::string compressed_, frame_;
  std::uint64_t sent_ = 0;
};

}  // namespace

// The series prometheus-cpp's Exposer kept about itself, with its names and help texts, so a
// scrape holds what it held before faultline served /metrics itself.
struct MetricsServer::SelfMetrics {
  prometheus::Registry registry;
  prometheus::Counter& bytes = prometheus::BuildCounter()
                                   .Name("exposer_transferred_bytes_total")
                                   .Help("Transferred bytes to metrics services")
                                   .Register(registry)
                                   .Add({});
  prometheus::Counter& scrapes = prometheus::BuildCounter()
                                     .Name("exposer_scrapes_total")
                                     .Help("Number of times metrics were scraped")
                                     .Register(registry)
                                     .Add({});
  prometheus::Summary& latencies =
      prometheus::BuildSummary()
          .Name("exposer_request_latencies")
          .Help("Latencies of serving scrape requests, in microseconds")
          .Register(registry)
          .Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}});
};

Expected<std::unique_ptr<MetricsServer>> MetricsServer::start(
    const ListenAddress& address, std::optional<ScrapeCredentials> credentials,
    Exposition exposition) {
  auto server =
      std::make_unique<MetricsServer>(PrivateTag{}, std::move(credentials), std::move(exposition));
  const std::string ports = address.to_string();
  // Two threads: one answers a scrape while the other may be held by a slow client.
  const char* options[] = {"listening_ports", ports.c_str(), "num_threads", "2", nullptr};
  mg_callbacks callbacks{};
  server->server_ = mg_start(&callbacks, server.get(), options);
  if (server->server_ == nullptr) {
    // civetweb logs the cause, not returns it; so ask the socket layer again.
    std::string cause = listen_failure(address);
    if (cause.empty()) {
      // The socket layer is fine with the address, so civetweb itself refused it; the one
      // known case is IPv6 in a civetweb built without it, which rejects the address syntax.
      cause = address.ipv6 ? "the HTTP server refused the address; civetweb builds without IPv6 "
                             "support (Debian 12's among them) cannot listen on IPv6"
                           : "the HTTP server failed to start";
    }
    return unexpected("cannot serve metrics on " + ports + ": " + cause);
  }
  mg_set_request_handler(server->server_, "/metrics", &MetricsServer::handle, server.get());
  server->address_ = address;
  server->address_.port = static_cast<std::uint16_t>(server->port());
  return server;
}

MetricsServer::MetricsServer(PrivateTag, std::optional<ScrapeCredentials> credentials,
                             Exposition exposition)
    : credentials_(std::move(credentials)),
      exposition_(std::move(exposition)),
      self_(std::make_unique<SelfMetrics>()) {}

MetricsServer::~MetricsServer() {
  if (server_ == nullptr) return;
  // civetweb's accept loop looks at its stop flag only between poll()s of up to two seconds,
  // so stopping would take that long; a connection ends the poll at once. The knocks go on
  // until the server is gone, because the first may land before the flag is set.
  std::atomic<bool> stopped{false};
  std::thread waker([&] {
    while (!stopped.load()) {
      knock(address_);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  mg_stop(server_);
  stopped = true;
  waker.join();
}

int MetricsServer::port() const {
  mg_server_port ports[4] = {};
  const int n = mg_get_server_ports(server_, 4, ports);
  return n > 0 ? ports[0].port : 0;
}

int MetricsServer::handle(mg_connection* conn, void* data) {
  auto* self = static_cast<MetricsServer*>(data);
  if (self->credentials_ && !self->authorized(conn)) {
    mg_printf(conn,
              "HTTP/1.1 401 Unauthorized\r\n"
              "WWW-Authenticate: Basic realm=\"faultline\"\r\n"
              "Connection: close\r\n"
              "Content-Length: 0\r\n\r\n");
    return 401;
  }
  // Other methods fall through to civetweb, which answers 404 as it did under prometheus-cpp.
  if (std::strcmp(mg_get_request_info(conn)->request_method, "GET") != 0) return 0;
  self->serve(conn);
  return 200;
}

bool MetricsServer::authorized(mg_connection* conn) const {
  const char* header = mg_get_header(conn, "Authorization");
  if (header == nullptr) return false;
  constexpr std::string_view kBasic = "Basic ";
  const std::string_view value(header);
  if (!value.starts_with(kBasic)) return false;
  const auto decoded = base64_decode(value.substr(kBasic.size()));
  if (!decoded) return false;
  // The username ends at the first colon; the password may hold more.
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  const std::string_view pair(*decoded);
  // `&`, not `&&`: check the password even when the username is wrong.
  return same_secret(pair.substr(0, colon), credentials_->username) &
         same_secret(pair.substr(colon + 1), credentials_->password);
}

void MetricsServer::serve(mg_connection* conn) {
  const auto began = std::chrono::steady_clock::now();
  const char* accept = mg_get_header(conn, "Accept-Encoding");
  const bool gzip = accept != nullptr && std::strstr(accept, "gzip") != nullptr;
  const char* version = mg_get_request_info(conn)->http_version;
  const bool chunked = version == nullptr || std::strcmp(version, "1.0") != 0;
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n";
  if (gzip) head += "Content-Encoding: gzip\r\n";
  // civetweb closes every connection after its response (keep-alive is off by default), which
  // also ends an HTTP/1.0 body.
  head += chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Connection: close\r\n\r\n";
  if (mg_write(conn, head.data(), head.size()) != static_cast<int>(head.size())) return;

  ResponseBody body(conn, chunked, gzip);
  ExpositionWriter out([&](std::string_view text) { return body.send(text); }, kChunkBytes);
  for (const prometheus::MetricFamily& f : self_->registry.Collect())
    out.family(f);
  exposition_(out);
  if (!out.finish() || !body.finish()) return;

  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - began);
  self_->latencies.Observe(static_cast<double>(micros.count()));
  self_->bytes.Increment(static_cast<double>(body.bytes_sent()));
  self_->scrapes.Increment();
}

}  // namespace faultline
