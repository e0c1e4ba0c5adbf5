// What one scrape of /metrics costs the exporter: CPU seconds, wall time, peak RSS and bytes,
// plain or gzipped, for a fleet like bench/run.py's scale workload (half tcp://, 40 % http://,
// 10 % https://, every target probed once and up).
// Usage: exporter_scrape_bench [TARGETS [plain|gzip|both [SCRAPES]]]
//
// The client (this program's main thread) reads the response over a plain socket and throws it
// away; its own CPU time is taken out, so the CPU reported is the server's: writing the text,
// gzip, and the kernel's copies. Peak RSS is the process's high-water mark (ru_maxrss) after the
// scrapes against the one before the first: run one mode per process to see each mode's peak.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "exporters/prometheus_exporter.hpp"

using namespace faultline;

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// GET /metrics over HTTP/1.1; returns the bytes received (headers and chunk framing too).
std::size_t scrape(int port, bool gzip) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  const std::string request = std::string("GET /metrics HTTP/1.1\r\nHost: x\r\n") +
                              (gzip ? "Accept-Encoding: gzip\r\n" : "") + "\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    std::perror("write");
    std::exit(1);
  }
  std::vector<char> buf(1 << 20);
  std::size_t total = 0;
  ssize_t n;
  while ((n = read(fd, buf.data(), buf.size())) > 0)
    total += static_cast<std::size_t>(n);
  close(fd);
  return total;
}

ProbeResult result_for(Scheme scheme) {
  ProbeResult r;
  r.started_at_ms = 1'700'000'000'000;
  r.timings.dns_ms = 0.01;
  r.timings.connect_ms = 0.123;
  r.timings.total_ms = 0.456;
  if (scheme != Scheme::tcp) r.timings.first_byte_ms = 0.345;
  if (scheme == Scheme::https) {
    r.timings.tls_ms = 1.234;
    r.tls = TlsInfo{"TLSv1.3", "CN=x", "CN=ca", 1'900'000'000, 1'700'000'000};
  }
  return r;
}

// Seconds of CPU (user + system) of this thread only.
double thread_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  auto sec = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

long rss_now_kb() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Targets named like the scale workload's, each probed once and up.
std::vector<TargetInfo> fill(PrometheusExporter& exporter, int count) {
  std::vector<TargetInfo> targets;
  targets.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const int tenth = i % 10;
    const Scheme scheme = tenth < 5 ? Scheme::tcp : tenth < 9 ? Scheme::http : Scheme::https;
    const std::string kind = scheme == Scheme::tcp    ? "tcp"
                             : scheme == Scheme::http ? "http"
                                                      : "https";
    targets.push_back({kind + "-" + std::to_string(i), kind + "://127.1.0.1/", scheme, {}});
  }
  std::vector<const TargetInfo*> set;
  for (const TargetInfo& t : targets)
    set.push_back(&t);
  exporter.on_targets(set);
  for (const TargetInfo& t : targets) {
    exporter.on_result(t, result_for(t.kind));
    StateChange up;
    up.to = TargetState::up;
    exporter.on_state_change(t, up);
  }
  return targets;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const std::string mode = argc > 2 ? argv[2] : "both";
  const int scrapes = argc > 3 ? std::atoi(argv[3]) : 1;
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  options.const_labels = {{"vantage", "bench"}};
  auto started = PrometheusExporter::start(options);
  if (!started) {
    std::fprintf(stderr, "%s\n", started.error().c_str());
    return 1;
  }
  PrometheusExporter& exporter = **started;
  const std::vector<TargetInfo> targets = fill(exporter, count);
  const long peak_before = max_rss_kb();
  std::printf("%d targets: RSS %ld MB, peak %ld MB before scraping\n", count, rss_now_kb() / 1024,
              peak_before / 1024);
  for (int i = 0; i < scrapes; ++i) {
    for (bool gzip : {false, true}) {
      if (mode != "both" && (mode == "gzip") != gzip) continue;
      const double c0 = cpu_seconds(), client0 = thread_cpu_seconds();
      const auto t0 = std::chrono::steady_clock::now();
      const std::size_t bytes = scrape(exporter.port(), gzip);
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double server_cpu = (cpu_seconds() - c0) - (thread_cpu_seconds() - client0);
      std::printf("%-5s %8.2f MB  %.3f s wall  %.3f CPU s  peak RSS +%ld MB  RSS now %ld MB\n",
                  gzip ? "gzip" : "plain", static_cast<double>(bytes) / 1e6, wall, server_cpu,
                  (max_rss_kb() - peak_before) / 1024, rss_now_kb() / 1024);
    }
  }
  return 0;
}
