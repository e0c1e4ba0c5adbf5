// `faultline report` shows the latest path trace of each target traced in the period (issue
// 20), in text and JSON, from a history written by SqliteStore.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "daemon/report_command.hpp"
#include "fake_tracer.hpp"
#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr std::int64_t kMinute = 60'000;
// 2024-05-01T12:00:00Z: the report's "now".
constexpr std::int64_t kNow = 1'714'564'800'000;

PathTrace trace_at(std::int64_t when, PathTrace t) {
  t.address = "10.0.3.3";
  t.port = 443;
  t.started_at_ms = when;
  return t;
}

}  // namespace

TEST_CASE("path report: the latest trace of each target traced in the period") {
  TempDir dir;
  const std::string path = dir.file("h.db");
  {
    auto store = SqliteStore::open(fast_options(path));
    REQUIRE_MESSAGE(store, store.error());
    const TargetInfo api = make_target("api", "https://api.test/", Scheme::https);
    const TargetInfo web = make_target("web", "http://web.test/", Scheme::http);
    (*store)->on_targets({&api, &web});
    (*store)->on_result(api, refused_result(kNow - 30 * kMinute));
    (*store)->on_result(web, ok_result(kNow - 30 * kMinute, 5));
    // An older trace of api, then the latest; one from before the period is left out.
    PathTrace silent;
    silent.hops = {PathHop{1, "", HopReply::none, "", std::nullopt, 2, 0}};
    silent.findings = judge_path(silent.hops, {});
    (*store)->on_path_trace(api, trace_at(kNow - 48 * 60 * kMinute, silent));
    (*store)->on_path_trace(api, trace_at(kNow - 40 * kMinute, silent));
    (*store)->on_path_trace(api, trace_at(kNow - 20 * kMinute, dropped_after_hop_2()));
    (*store)->flush(std::chrono::seconds(10));
  }
  ReportOptions options;
  options.db = {path};
  options.since = "24h";
  std::ostringstream out, err;
  REQUIRE(run_report(options, kNow, out, err) == 0);
  const std::string text = out.str();
  CHECK(text.find("Path traces (the latest of each target)\napi  dropped_after_hop, "
                  "2024-05-01 11:40, to 10.0.3.3 port 443\n     packets to port 443 stop after "
                  "hop 2 (10.0.2.1); the host answers ping at hop 3\n") != std::string::npos);
  CHECK(text.find("nothing on the path") == std::string::npos);

  options.json = true;
  std::ostringstream json_out;
  REQUIRE(run_report(options, kNow, json_out, err) == 0);
  const auto j = nlohmann::json::parse(json_out.str());
  REQUIRE(j["path_traces"].size() == 1);
  const auto& t = j["path_traces"][0];
  CHECK(t["target"] == "api");
  CHECK(t["time"] == "2024-05-01T11:40:00Z");
  CHECK(t["verdict"] == "dropped_after_hop");
  CHECK(t["last_hop"]["ttl"] == 2);
  CHECK(t["last_hop"]["address"] == "10.0.2.1");
  CHECK(t["host_answers_ping"] == true);
  CHECK(t["host_hop"] == 3);
}
