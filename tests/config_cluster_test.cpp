// The `cluster:` section: shard, shards and vantage, validated with positioned errors like the
// rest of the config.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "daemon/config_loader.hpp"
#include "daemon/shard.hpp"
#include "tests/config_errors.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;
using faultline::testing::error_of;

namespace {

Config valid(const std::string& yaml) {
  ConfigLoad load = parse_config(yaml, "t.yaml");
  for (const Diagnostic& d : load.errors)
    FAIL_CHECK(d.to_string());
  REQUIRE(load.config.has_value());
  return *load.config;
}

}  // namespace

TEST_CASE("config cluster: absent means one shard and no vantage") {
  Config c = valid("targets: []\n");
  CHECK(c.cluster.shard == 0);
  CHECK(c.cluster.shards == 1);
  CHECK_FALSE(c.cluster.vantage.has_value());
}

TEST_CASE("config cluster: every key is optional") {
  Config c = valid("cluster: {shard: 2, shards: 3, vantage: eu-west}\ntargets: []\n");
  CHECK(c.cluster.shard == 2);
  CHECK(c.cluster.shards == 3);
  CHECK(c.cluster.vantage == "eu-west");

  c = valid("cluster:\n  vantage: Frankfurt (DE) \xc3\xa4\ntargets: []\n");
  CHECK(c.cluster.shards == 1);
  CHECK(c.cluster.vantage == "Frankfurt (DE) \xc3\xa4");

  c = valid("cluster: {shards: 4}\ntargets: []\n");
  CHECK(c.cluster.shard == 0);
  CHECK(c.cluster.shards == 4);
  CHECK(valid("cluster: {}\ntargets: []\n").cluster == ClusterConfig{});
}

TEST_CASE("config cluster error: the shard must be below the number of shards") {
  CHECK(error_of("cluster: {shard: 3, shards: 3}\ntargets: []\n") ==
        "t.yaml:1:18: 'cluster.shard' is 3, but with 3 shards ('cluster.shards') it must be "
        "from 0 to 2");
  CHECK(error_of("cluster:\n  shard: 1\ntargets: []\n") ==
        "t.yaml:2:10: 'cluster.shard' is 1, but with 1 shard ('cluster.shards') it must be from "
        "0 to 0");
}

TEST_CASE("config cluster error: numbers out of range or not numbers") {
  CHECK(error_of("cluster: {shards: 0}\ntargets: []\n") ==
        "t.yaml:1:19: 'cluster.shards' must be a whole number from 1 to 1000, not '0'");
  CHECK(error_of("cluster: {shard: -1, shards: 2}\ntargets: []\n") ==
        "t.yaml:1:18: 'cluster.shard' must be a whole number from 0 to 999, not '-1'");
  // One typo, one error: the shard is not compared with a number of shards that did not parse.
  CHECK(error_of("cluster: {shard: 2, shards: three}\ntargets: []\n") ==
        "t.yaml:1:29: 'cluster.shards' must be a whole number from 1 to 1000, not 'three'");
}

TEST_CASE("config cluster error: vantage must be a usable label value") {
  CHECK(error_of("cluster: {vantage: ''}\ntargets: []\n") ==
        "t.yaml:1:20: 'cluster.vantage' must not be empty");
  CHECK(error_of("cluster: {vantage: \"eu\\twest\"}\ntargets: []\n") ==
        "t.yaml:1:20: 'cluster.vantage' must be UTF-8 text without control characters: it "
        "becomes the value of the 'vantage' label on every series");
  CHECK(error_of("cluster: {vantage: \"eu\xff\"}\ntargets: []\n") ==
        "t.yaml:1:20: 'cluster.vantage' must be UTF-8 text without control characters: it "
        "becomes the value of the 'vantage' label on every series");
  CHECK(error_of("cluster: {vantage: [a, b]}\ntargets: []\n") ==
        "t.yaml:1:20: 'cluster.vantage' must be a single value, not a list");
}

TEST_CASE("config cluster error: unknown keys, with a suggestion") {
  CHECK(error_of("cluster: {shard: 0, shard_count: 2}\ntargets: []\n") ==
        "t.yaml:1:21: unknown key 'shard_count' in cluster");
  CHECK(error_of("cluster:\n  vantge: eu\ntargets: []\n") ==
        "t.yaml:2:3: unknown key 'vantge' in cluster (did you mean 'vantage'?)");
  CHECK(error_of("clustr: {shards: 2}\ntargets: []\n") ==
        "t.yaml:1:1: unknown key 'clustr' in the top level (did you mean 'cluster'?)");
  CHECK(error_of("cluster: 3\ntargets: []\n") ==
        "t.yaml:1:10: 'cluster' must be a mapping of keys to values, not '3'");
}

TEST_CASE("config cluster error: vantage stays reserved as a target label") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://a.test/\n    labels: {vantage: x}\n") ==
        "t.yaml:4:14: label name 'vantage' is reserved: faultline sets it itself");
}

TEST_CASE("config cluster: `faultline config check` says how many targets the shard probes") {
  faultline::testing::TempDir dir;
  std::string text = "cluster: {shard: 2, shards: 3}\ntargets:\n";
  std::vector<TargetConfig> targets;
  for (int i = 0; i < 12; ++i) {
    const std::string name = "t" + std::to_string(i);
    text += "  - {name: " + name + ", url: 'http://" + name + ".test/'}\n";
    targets.emplace_back().name = name;
  }
  const std::string path = dir.write("faultline.yaml", text);
  ClusterConfig cluster;
  cluster.shard = 2;
  cluster.shards = 3;
  const std::size_t owned = owned_targets(targets, cluster).size();

  FILE* pipe =
      popen((std::string("'") + FAULTLINE_BINARY + "' config check '" + path + "'").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[512];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;)
    out.append(buf, n);
  CHECK(pclose(pipe) == 0);
  CHECK(out == path + ": ok, 12 targets (shard 2 of 3 probes " + std::to_string(owned) + ")\n");
}
