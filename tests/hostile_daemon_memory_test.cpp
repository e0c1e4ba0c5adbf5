// `faultline run` probing every hostile server at once, four times a second: its resident memory
// and open descriptors must level off after a warm-up instead of growing with every probe. The
// rate, not the wall-clock time, is what shows a leak: about 3,400 probes follow the warm-up.
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
  slow_options.slow_body_interval = milliseconds(100);
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
                     "defaults: {interval: 250ms, timeout: 200ms, ca_file: " +
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

  // Samples every 250 ms: 8 s of warm-up (about 2,300 probes), then 12 s more. "After
  // warm-up" is the largest sample of the warm-up's last 2 s, "at the end" of the last 3 s.
  constexpr milliseconds kSample{250};
  constexpr int kWarmup = 32, kTotal = 80, kWarmWindow = 8, kEndWindow = 12;
  std::vector<long> rss;
  std::vector<int> fds;
  auto next = std::chrono::steady_clock::now();
  for (int s = 0; s < kTotal; ++s) {
    next += kSample;
    std::this_thread::sleep_until(next);
    REQUIRE_MESSAGE(daemon.running(), daemon.log());
    rss.push_back(daemon.rss_kib());
    fds.push_back(daemon.open_fds());
  }
  const auto scrape = parse_exposition(http_get(port).body);
  double probes = 0;
  for (const Sample& s : scrape)
    if (s.name == "faultline_probes_total") probes += s.value;
  CHECK(daemon.stop() == 0);

  const long warm = *std::max_element(rss.begin() + kWarmup - kWarmWindow, rss.begin() + kWarmup);
  const long end = *std::max_element(rss.end() - kEndWindow, rss.end());
  const int fds_warm =
      *std::max_element(fds.begin() + kWarmup - kWarmWindow, fds.begin() + kWarmup);
  const int fds_end = *std::max_element(fds.end() - kEndWindow, fds.end());
  std::string curve;
  for (std::size_t i = 3; i < rss.size(); i += 4)
    curve += std::to_string(rss[i]) + " ";
  MESSAGE(probes << " probes; RSS " << rss.front() << " KiB at 0.25 s, " << warm
                 << " KiB after warm-up, " << end << " KiB at the end; descriptors " << fds_warm
                 << " -> " << fds_end << "; RSS each second: " << curve);
  // Every target four times a second for the whole run, give or take the slow ones and a
  // loaded machine.
  const double seconds_run = static_cast<double>(kTotal * kSample.count()) / 1000.0;
  CHECK(probes > 0.5 * kinds.size() * kCopies * seconds_run * 4);
  CHECK(end <= warm + warm / 5 + 4096);  // generous: allocator noise, not leaks
  CHECK(end < 200 * 1024);
  CHECK(fds_end <= fds_warm + kinds.size() * kCopies);
}
