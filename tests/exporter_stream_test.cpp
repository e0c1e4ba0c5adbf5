// /metrics streamed: gzip when asked (a real scrape inflated here), chunked or, for HTTP/1.0,
// up to the closed connection; basic auth in front of it all; scrapes during reloads that see
// one whole target set each; and a scraper that stops reading holds up neither reloads nor
// results on the loop thread.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exporters/prometheus_exporter.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/tcp_client.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;
using namespace faultline::testing;
using namespace std::chrono_literals;

namespace {

// A fleet of targets, each probed once (so every per-target family has its series), known to an
// exporter.
struct Fleet {
  std::vector<TargetInfo> targets;

  Fleet(int count, const std::string& set) {
    for (int i = 0; i < count; ++i) {
      targets.push_back(
          {"target-" + std::to_string(i), "https://127.0.0.1:1/", Scheme::https, {{"set", set}}});
    }
  }

  std::vector<const TargetInfo*> every(int step = 1) const {
    std::vector<const TargetInfo*> out;
    for (std::size_t i = 0; i < targets.size(); i += static_cast<std::size_t>(step))
      out.push_back(&targets[i]);
    return out;
  }
};

ProbeResult ok_result() {
  ProbeResult r;
  r.timings = {0.5, 1.0, 2.0, 3.0, 7.0};
  r.tls = TlsInfo{"TLSv1.3", "CN=x", "CN=ca", 1'900'000'000, 1'700'000'000};
  r.started_at_ms = 1'700'000'000'000;
  return r;
}

void install(PrometheusExporter& exporter, const std::vector<const TargetInfo*>& set) {
  exporter.on_targets(set);
  for (const TargetInfo* t : set)
    exporter.on_result(*t, ok_result());
}

std::unique_ptr<PrometheusExporter> start(std::optional<ExporterBasicAuth> auth = std::nullopt) {
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  options.histograms = true;
  options.const_labels = {{"vantage", "eu-west"}};
  options.basic_auth = std::move(auth);
  auto exporter = PrometheusExporter::start(options);
  REQUIRE_MESSAGE(exporter, exporter.error());
  return std::move(*exporter);
}

// A response header's value, "" when it was not sent.
std::string header(const HttpResponse& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

// The text without the server's own exposer_* series, whose values change with every scrape.
std::string without_self(const std::string& text) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    end = end == std::string::npos ? text.size() : end + 1;
    const std::string_view line(text.data() + at, end - at);
    if (line.find("exposer_") == std::string_view::npos) out += line;
    at = end;
  }
  return out;
}

// Fails the test unless every family of `text` is in one piece, its # TYPE line first.
void check_families_whole(const std::string& text) {
  std::set<std::string> done;
  std::string current;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# HELP")) continue;
    std::string family;
    if (line.starts_with("# TYPE ")) {
      family = line.substr(7, line.find(' ', 7) - 7);
      REQUIRE_MESSAGE(done.insert(family).second, "family " << family << " twice");
      current = family;
      continue;
    }
    REQUIRE_MESSAGE(line.starts_with(current), "sample outside its family: " << line);
  }
}

// Per set label, the targets with a full set of faultline_probes_total series.
std::map<std::string, int> targets_by_set(const std::string& text) {
  std::map<std::string, int> classes;  // "target/set" -> its series
  for (const Sample& s : parse_exposition(text)) {
    if (s.name == "faultline_probes_total")
      ++classes[s.labels.at("set") + "/" + s.labels.at("target")];
  }
  std::map<std::string, int> sets;
  for (const auto& entry : classes) {
    const std::string& key = entry.first;
    const int count = entry.second;
    REQUIRE_MESSAGE(count == static_cast<int>(kAllClasses.size()), key << ": " << count);
    ++sets[key.substr(0, key.find('/'))];
  }
  return sets;
}

}  // namespace

TEST_CASE("exporter stream: a gzipped scrape inflates to the plain text, chunk after chunk") {
  auto exporter = start();
  Fleet fleet(3000, "a");  // about 3 MB of text: many chunks
  install(*exporter, fleet.every());
  HttpRequest gzip;
  gzip.headers = {"Accept-Encoding: gzip"};
  gzip.decode = false;
  const HttpResponse zipped = http_request(exporter->port(), gzip);
  REQUIRE_MESSAGE(zipped.status == 200, zipped.error);
  CHECK(header(zipped, "content-encoding") == "gzip");
  CHECK(header(zipped, "transfer-encoding") == "chunked");
  CHECK(zipped.headers.count("content-length") == 0);
  const std::string text = gunzip(zipped.body);
  CHECK(zipped.body.size() * 5 < text.size());

  const HttpResponse plain = http_request(exporter->port(), HttpRequest{});
  REQUIRE(plain.status == 200);
  CHECK(plain.headers.count("content-encoding") == 0);
  CHECK(header(plain, "content-type") == "text/plain; charset=utf-8");
  CHECK(without_self(text) == without_self(plain.body));
  CHECK(targets_by_set(text) == std::map<std::string, int>{{"a", 3000}});
  check_families_whole(text);
  PromtoolCheck lint = promtool_check_metrics(text);
  if (lint.available) CHECK_MESSAGE(lint.output.empty(), lint.output);

  // The server counts what it sent: the gzipped body, then the plain one.
  const HttpResponse after = http_request(exporter->port(), HttpRequest{});
  const auto samples = parse_exposition(after.body);
  CHECK(value_of(samples, "exposer_scrapes_total") == 2);
  CHECK(value_of(samples, "exposer_transferred_bytes_total") ==
        static_cast<double>(zipped.body.size() + plain.body.size()));
}

TEST_CASE("exporter stream: an HTTP/1.0 scrape gets the whole text up to the closed connection") {
  auto exporter = start();
  Fleet fleet(500, "a");
  install(*exporter, fleet.every());
  HttpRequest old;
  old.http10 = true;
  const HttpResponse r = http_request(exporter->port(), old);
  REQUIRE_MESSAGE(r.status == 200, r.error);
  CHECK(r.headers.count("transfer-encoding") == 0);
  CHECK(header(r, "connection") == "close");
  CHECK(targets_by_set(r.body) == std::map<std::string, int>{{"a", 500}});
  CHECK(r.body.ends_with("\n"));
}

TEST_CASE("exporter stream: basic auth guards every way of asking") {
  TempDir dir;
  const std::string password = dir.write("password", "a:colon in it\n");
  auto exporter = start(ExporterBasicAuth{"prometheus", password});
  Fleet fleet(10, "a");
  install(*exporter, fleet.every());
  const int port = exporter->port();
  // "prometheus:a:colon in it" and near misses, in base64.
  const std::string right = "Basic cHJvbWV0aGV1czphOmNvbG9uIGluIGl0";
  for (const std::string& header :
       {std::string("Authorization: Basic cHJvbWV0aGV1czphOmNvbG9uIGluIGk="),  // one letter short
        std::string("Authorization: basic cHJvbWV0aGV1czphOmNvbG9uIGluIGl0"),  // lower-case scheme
        std::string("Authorization: Bearer cHJvbWV0aGV1czphOmNvbG9uIGluIGl0"),
        std::string("Authorization: Basic cHJvbWV0aGV1cw=="),  // "prometheus", no colon
        std::string("Authorization: Basic !!!!cHJvbWV0aGV1czphOmNvbG9uIGluIGl0"),  // not base64
        std::string("Authorization: Basic cHJvbWV0aGV1czphOmNvbG9uIGluIGl"),       // bad length
        std::string("X-Nothing: 1")}) {
    for (bool gzip : {false, true}) {
      HttpRequest request;
      request.headers = {header};
      if (gzip) request.headers.push_back("Accept-Encoding: gzip");
      request.decode = false;
      const HttpResponse r = http_request(port, request);
      CHECK_MESSAGE(r.status == 401, header);
      CHECK(r.www_authenticate == "Basic realm=\"faultline\"");
      CHECK(r.body.empty());
    }
  }
  HttpRequest ok;
  ok.headers = {"Authorization: " + right, "Accept-Encoding: gzip"};
  ok.decode = false;
  const HttpResponse r = http_request(port, ok);
  REQUIRE(r.status == 200);
  CHECK(targets_by_set(gunzip(r.body)) == std::map<std::string, int>{{"a", 10}});
}

TEST_CASE("exporter stream: scrapes during reloads are valid and see one target set each") {
  auto exporter = start();
  Fleet a(2000, "a"), b(2000, "b");
  install(*exporter, a.every());
  const int port = exporter->port();
  std::atomic<bool> done{false};
  std::vector<std::string> problems;  // written by the scraper only, read after join
  std::string linted;
  int scrapes = 0;
  std::thread scraper([&] {
    for (; scrapes < 12; ++scrapes) {
      HttpRequest request;
      if (scrapes % 2) request.accept_encoding = "gzip";  // libcurl inflates it
      const HttpResponse r = http_request(port, request);
      if (r.status != 200) {
        problems.push_back("status " + std::to_string(r.status) + " " + r.error);
        continue;
      }
      const auto sets = targets_by_set(r.body);
      // Set a whole, or b whole (every target or every other one).
      if (!(sets == std::map<std::string, int>{{"a", 2000}} ||
            sets == std::map<std::string, int>{{"b", 1000}} ||
            sets == std::map<std::string, int>{{"b", 2000}})) {
        std::string seen;
        for (const auto& [set, n] : sets)
          seen += set + "=" + std::to_string(n) + " ";
        problems.push_back("one scrape saw " + seen);
      }
      check_families_whole(r.body);
      if (scrapes == 5) linted = r.body;
    }
    done = true;
  });
  for (int round = 0; !done; ++round) {
    install(*exporter, round % 3 == 0 ? a.every() : b.every(round % 3));
  }
  scraper.join();
  CHECK(scrapes == 12);
  for (const std::string& p : problems)
    FAIL_CHECK(p);
  PromtoolCheck lint = promtool_check_metrics(linted);
  if (lint.available) CHECK_MESSAGE(lint.output.empty(), lint.output);
}

TEST_CASE("exporter stream: a scraper that stops reading holds up neither reloads nor results") {
  auto exporter = start();
  Fleet a(5000, "a"), b(5000, "b");  // about 20 MB of text, far more than socket buffers hold
  install(*exporter, a.every());

  // A client that reads the first bytes, then nothing: the server blocks mid-scrape, in its
  // write, once the socket buffers are full (a few MB: the text is far larger).
  TcpConnect c = connect_tcp("127.0.0.1", static_cast<std::uint16_t>(exporter->port()), 5s);
  REQUIRE(c.error == 0);
  REQUIRE(send_all(c.fd.get(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
  char first[1024];
  const ssize_t got = recv(c.fd.get(), first, sizeof first, 0);
  REQUIRE(got > 0);

  // The loop thread's work goes through while that scrape is stuck.
  auto loop = std::async(std::launch::async, [&] {
    install(*exporter, b.every());
    install(*exporter, a.every(2));
    install(*exporter, b.every());
  });
  REQUIRE_MESSAGE(loop.wait_for(30s) == std::future_status::ready,
                  "a stalled scrape blocked the loop thread");
  // Other scrapes are served meanwhile (the second server thread), with the new set.
  const HttpResponse other = http_request(exporter->port(), HttpRequest{});
  REQUIRE(other.status == 200);
  CHECK(targets_by_set(other.body) == std::map<std::string, int>{{"b", 5000}});
  // ... while the stalled one had not finished: the stall was real.
  CHECK(value_of(parse_exposition(other.body), "exposer_scrapes_total") == 0);

  // The stalled scrape finishes with the set it started with, whole.
  Received rest = receive_until_end(c.fd.get(), 30s, std::size_t{256} << 20);
  CHECK(rest.eof);
  std::string response = std::string(first, static_cast<std::size_t>(got)) + rest.data;
  // De-chunk: size lines and the data between them.
  const std::size_t body_at = response.find("\r\n\r\n");
  REQUIRE(body_at != std::string::npos);
  std::string body;
  for (std::size_t at = body_at + 4;;) {
    const std::size_t eol = response.find("\r\n", at);
    REQUIRE(eol != std::string::npos);
    const std::size_t size = std::stoul(response.substr(at, eol - at), nullptr, 16);
    if (size == 0) break;
    body += response.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  CHECK(targets_by_set(body) == std::map<std::string, int>{{"a", 5000}});
}

TEST_CASE("exporter stream: a scraper that disconnects mid-scrape ends that scrape only") {
  auto exporter = start();
  Fleet a(5000, "a");  // about 20 MB of text, far more than socket buffers hold
  install(*exporter, a.every());
  for (bool gzip : {false, true}) {
    TcpConnect c = connect_tcp("127.0.0.1", static_cast<std::uint16_t>(exporter->port()), 5s);
    REQUIRE(c.error == 0);
    const std::string request = std::string("GET /metrics HTTP/1.1\r\nHost: x\r\n") +
                                (gzip ? "Accept-Encoding: gzip\r\n" : "") + "\r\n";
    REQUIRE(send_all(c.fd.get(), request) == 0);
    char first[1024];
    REQUIRE(recv(c.fd.get(), first, sizeof first, 0) > 0);
    // Close with a RST while the server is still writing: its next write fails.
    const linger abort{1, 0};
    REQUIRE(setsockopt(c.fd.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort) == 0);
    c.fd.reset();
  }
  // The server goes on serving; the scrapes cut short were not counted as served, and the
  // complete ones that follow are whole.
  for (int i = 0; i < 3; ++i) {
    const HttpResponse r = http_request(exporter->port(), HttpRequest{});
    REQUIRE_MESSAGE(r.status == 200, r.error);
    CHECK(targets_by_set(r.body) == std::map<std::string, int>{{"a", 5000}});
    CHECK(value_of(parse_exposition(r.body), "exposer_scrapes_total") == i);
  }
}
