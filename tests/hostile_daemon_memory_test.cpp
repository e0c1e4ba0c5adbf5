// `faultline run` probing every hostile server at once, once a second, for a minute: its
// resident memory and open descriptors must level off after a warm-up instead of growing with
// every probe.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include "tests/daemon_process.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/never_reading_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

LoopbackServerOptions with(Behavior b) {
  LoopbackServerOptions o;
  o.behavior = b;
  return o;
}

LoopbackServerOptions tls_with(Behavior b) {
  LoopbackServerOptions o = with(b);
  o.tls = shared_test_pki().good.material();
  return o;
}

}  // namespace

TEST_CASE("hostile: a daemon probing every hostile server keeps RSS and descriptors flat") {
  LoopbackServer flood(with(Behavior::header_flood));
  LoopbackServer huge(with(Behavior::huge_header_line));
  LoopbackServer endless(with(Behavior::endless_body));
  LoopbackServerOptions slow_options = with(Behavior::slow_head);
  slow_options.slow_body_interval = milliseconds(300);
  LoopbackServer slow(slow_options);
  LoopbackServer tls_garbage(tls_with(Behavior::tls_garbage));
  LoopbackServerOptions raw_options = tls_with(Behavior::tls_raw_garbage);
  raw_options.garbage = std::string(2048, '\x17');
  LoopbackServer tls_raw(raw_options);
  LoopbackServerOptions redirect_options = with(Behavior::http_status);
  redirect_options.status = 301;
  redirect_options.extra_headers = "Location: /\r\n";
  LoopbackServer redirect(redirect_options);
  NeverReadingServer never_reads;
  LoopbackServer ok(with(Behavior::http_ok));

  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"flood", flood.url()},
      {"huge", huge.url()},
      {"endless", endless.url()},
      {"slow", slow.url()},
      {"tlsgarbage", tls_garbage.url("https", "/")},
      {"tlsraw", tls_raw.url("https", "/")},
      {"redirect", redirect.url()},
      {"neverreads", never_reads.url()},
      {"ok", ok.url()},
  };
  constexpr int kCopies = 8;
  TempDir dir;
  std::string text = "storage: {path: " + dir.file("h.db") +
                     "}\nmetrics: {listen: 127.0.0.1:0}\n"
                     "defaults: {interval: 1s, timeout: 800ms, ca_file: " +
                     shared_test_pki().ca_path + "}\ntargets:\n";
  for (const auto& [kind, url] : kinds) {
    for (int i = 0; i < kCopies; ++i)
      text += "  - {name: " + kind + std::to_string(i) + ", url: '" + url + "'}\n";
  }
  DaemonLaunch launch;
  launch.config = dir.write("faultline.yaml", text);
  launch.log_level = "info";
  // A sanitizer build keeps freed memory in quarantine (256 MB by default), which would read
  // as growth; a small quarantine keeps the check meaningful there too.
  launch.env = {"ASAN_OPTIONS=quarantine_size_mb=8:detect_leaks=0"};
  DaemonProcess daemon(launch);
  const int port = daemon.metrics_port();
  REQUIRE_MESSAGE(port > 0, daemon.log());

  constexpr int kWarmup = 25, kTotal = 70;
  std::vector<long> rss;
  std::vector<int> fds;
  for (int s = 0; s < kTotal; ++s) {
    std::this_thread::sleep_for(seconds(1));
    REQUIRE_MESSAGE(daemon.running(), daemon.log());
    rss.push_back(daemon.rss_kib());
    fds.push_back(daemon.open_fds());
  }
  const auto scrape = parse_exposition(http_get(port).body);
  double probes = 0;
  for (const Sample& s : scrape)
    if (s.name == "faultline_probes_total") probes += s.value;
  CHECK(daemon.stop() == 0);

  const long warm = *std::max_element(rss.begin() + kWarmup - 5, rss.begin() + kWarmup);
  const long end = *std::max_element(rss.end() - 10, rss.end());
  const int fds_warm = *std::max_element(fds.begin() + kWarmup - 5, fds.begin() + kWarmup);
  const int fds_end = *std::max_element(fds.end() - 10, fds.end());
  MESSAGE(probes << " probes; RSS " << rss.front() << " KiB at 1 s, " << warm
                 << " KiB after warm-up, " << end << " KiB at the end; descriptors " << fds_warm
                 << " -> " << fds_end);
  // Every target once a second for the whole run, give or take the slow ones.
  CHECK(probes > 0.7 * kinds.size() * kCopies * kTotal);
  CHECK(end <= warm + warm / 5 + 4096);  // generous: allocator noise, not leaks
  CHECK(end < 200 * 1024);
  CHECK(fds_end <= fds_warm + kinds.size() * kCopies);
}
