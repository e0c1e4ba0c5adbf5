// The HTTP side of /metrics: civetweb (the server prometheus-cpp's Exposer runs on, used
// directly) with one handler that streams the exposition as it is written, in chunks, gzipped
// when the scraper accepts gzip, behind HTTP basic auth when configured.
//
// Each scrape also reports on the server itself, first in the text and without the constant
// labels, the series prometheus-cpp's Exposer served: exposer_transferred_bytes_total (body
// bytes sent, compressed when gzipped), exposer_scrapes_total and exposer_request_latencies (a
// summary in microseconds).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "checks/expected.hpp"
#include "exporters/exposition_writer.hpp"
#include "exporters/listen_address.hpp"

struct mg_connection;
struct mg_context;

namespace faultline {

// Who may scrape: the username and the password, as read from the password file.
struct ScrapeCredentials {
  std::string username;
  std::string password;
};

class MetricsServer {
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  // Writes the exposition (everything after the server's own series) for one scrape. Runs on
  // the server's threads, possibly two at once.
  using Exposition = std::function<void(ExpositionWriter&)>;

  // Serves GET /metrics on `address` (port 0: any free port) with two threads, so a slow
  // scraper cannot hold up another. Without credentials every request gets 401 with
  // `WWW-Authenticate: Basic realm="faultline"` when `credentials` is set. Error: "cannot serve
  // metrics on ADDRESS: CAUSE" (address in use, an address this machine does not have, IPv6 in
  // a civetweb built without it).
  static Expected<std::unique_ptr<MetricsServer>> start(
      const ListenAddress& address, std::optional<ScrapeCredentials> credentials,
      Exposition exposition);

  MetricsServer(PrivateTag, std::optional<ScrapeCredentials> credentials, Exposition exposition);
  // Stops serving, letting a scrape in progress finish. Takes milliseconds, not the two
  // seconds civetweb alone would.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The TCP port it listens on: the one picked when the address asked for port 0.
  int port() const;

 private:
  struct SelfMetrics;

  static int handle(mg_connection* conn, void* self);
  bool authorized(mg_connection* conn) const;
  void serve(mg_connection* conn);

  const std::optional<ScrapeCredentials> credentials_;
  const Exposition exposition_;
  std::unique_ptr<SelfMetrics> self_;
  ListenAddress address_;  // with the port actually bound
  mg_context* server_ = nullptr;
};

}  // namespace faultline
