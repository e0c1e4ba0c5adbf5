// The daemon with `cluster:` set: it schedules, and tells its sinks of, only the targets its
// shard owns, and a reload that changes the shard or the number of shards applies at once.
#include <doctest/doctest.h>
#include <uv.h>

#include <algorithm>
#include <functional>

#include "checks/uv_timer.hpp"
#include "daemon/daemon.hpp"
#include "daemon/shard.hpp"
#include "daemon_fakes.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

std::vector<std::string> names(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back("t" + std::to_string(i));
  return out;
}

std::string config_text(const std::string& cluster, const std::vector<std::string>& targets) {
  std::string text = cluster + "\ndefaults: {interval: 10s, timeout: 1s}\ntargets:\n";
  for (const auto& n : targets)
    text += "  - name: " + n + "\n    url: http://" + n + ".test/\n";
  return text;
}

// The names `shard` of `shards` owns, in config order.
std::vector<std::string> owned(const std::vector<std::string>& all, int shard, int shards) {
  std::vector<std::string> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [&](const std::string& n) { return shard_of(n, shards) == shard; });
  return out;
}

struct Harness {
  TempDir dir;
  uv_loop_t loop{};
  SystemClock clock;
  FakeProber prober;
  RecordingSink sink;
  RecordingNotifier notifier;
  RecordingProcessSink process;
  std::unique_ptr<Daemon> daemon;

  explicit Harness(const std::string& text) {
    uv_loop_init(&loop);
    ConfigLoad load = load_config(dir.write("faultline.yaml", text));
    REQUIRE(load.config);
    daemon = std::make_unique<Daemon>(&loop, std::move(*load.config), clock, prober,
                                      std::vector<ResultSink*>{&sink}, &process, notifier,
                                      DaemonOptions{});
  }
  ~Harness() {
    daemon.reset();
    int rc = uv_loop_close(&loop);
    for (int i = 0; i < 100 && rc == UV_EBUSY; ++i) {
      uv_run(&loop, UV_RUN_NOWAIT);
      rc = uv_loop_close(&loop);
    }
  }

  void reload(const std::string& text) {
    dir.write("faultline.yaml", text);
    const std::size_t before = process.reloads.size();
    daemon->request_reload();
    bool expired = false;
    UvTimer guard(&loop);
    guard.start(5000, [&] { expired = true; });
    while (process.reloads.size() == before && !expired)
      uv_run(&loop, UV_RUN_ONCE);
    REQUIRE(process.reloads.size() == before + 1);
  }
};

}  // namespace

TEST_CASE("daemon shard: only the shard's own targets are scheduled and reach the sinks") {
  const auto all = names(30);
  const auto mine = owned(all, 1, 3);
  REQUIRE(!mine.empty());
  REQUIRE(mine.size() < all.size());
  Harness h(config_text("cluster: {shard: 1, shards: 3}", all));
  h.daemon->start();
  REQUIRE(h.sink.target_sets.size() == 1);
  CHECK(h.sink.target_sets[0] == mine);
  CHECK(h.daemon->scheduler().targets().size() == mine.size());
  CHECK(h.daemon->configured_targets() == all.size());
  CHECK(h.notifier.messages.back() == "READY=1");
}

TEST_CASE("daemon shard: a reload applies a new shard count, a new vantage waits for a restart") {
  const auto all = names(40);
  Harness h(config_text("cluster: {shard: 0, shards: 3, vantage: eu-west}", all));
  h.daemon->start();
  REQUIRE(h.sink.target_sets.size() == 1);
  CHECK(h.sink.target_sets[0] == owned(all, 0, 3));

  h.reload(config_text("cluster: {shard: 0, shards: 4, vantage: us-east}", all));
  REQUIRE(h.sink.target_sets.size() == 2);
  CHECK(h.sink.target_sets[1] == owned(all, 0, 4));
  CHECK(h.daemon->config().cluster.shards == 4);
  // The exporter was started with the old vantage label, so the config keeps saying so.
  CHECK(h.daemon->config().cluster.vantage == "eu-west");

  // Without a cluster section this instance probes everything.
  h.reload(config_text("", all));
  REQUIRE(h.sink.target_sets.size() == 3);
  CHECK(h.sink.target_sets[2] == all);
}
