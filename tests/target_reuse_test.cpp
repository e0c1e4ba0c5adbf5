// A reload reads each target again; one whose settings are the running ones is shared, not
// copied (daemon/target_list.hpp), which halves what a reload of 100,000 targets needs beside
// the running daemon. And Boxed, which keeps ProbeSpec's rarely-set options off every target.
#include <doctest/doctest.h>

#include <string>

#include "checks/boxed.hpp"
#include "daemon/config_loader.hpp"
#include "daemon/shard.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

ReusableTargets running_of(const Config& config) {
  ReusableTargets out;
  for (std::size_t i = 0; i < config.targets.size(); ++i)
    out.emplace(config.targets[i].name, config.targets.shared(i));
  return out;
}

constexpr const char* kTargets =
    "targets:\n"
    "  - {name: same, url: 'https://a.test/', timeout: 2s}\n"
    "  - name: secret\n"
    "    url: https://b.test/\n"
    "    basic_auth: {username: u, password_file: password}\n"
    "  - name: edited\n"
    "    url: tcp://c.test:22\n";

// kTargets loaded once, as a running daemon holds them, and the file to load again.
struct Running {
  TempDir dir;
  std::string path;
  ConfigLoad first;
  ReusableTargets running;

  Running() {
    dir.write("password", "one\n");
    path = dir.write("t.yaml", kTargets);
    first = load_config(path, StorageUse::none);
    REQUIRE(first.config);
    running = running_of(*first.config);
  }
};

}  // namespace

TEST_CASE("reload: a target read with the running settings is the running object") {
  Running r;
  TempDir& dir = r.dir;
  const std::string& path = r.path;
  const ConfigLoad& first = r.first;
  const ReusableTargets& running = r.running;

  // The same file: every target is shared, and the list reads as before.
  ConfigLoad again = load_config(path, StorageUse::none, &running);
  REQUIRE(again.config);
  REQUIRE(again.config->targets.size() == 3);
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(again.config->targets.shared(i) == first.config->targets.shared(i));

  // A changed setting, and a password file that changed under an unchanged config line: both
  // are read anew (the secret is part of the settings compared), the rest is still shared.
  dir.write("password", "two\n");
  dir.write("t.yaml", std::string(kTargets) + "    timeout: 3s\n");
  ConfigLoad changed = load_config(path, StorageUse::none, &running);
  REQUIRE(changed.config);
  const TargetList& t = changed.config->targets;
  REQUIRE(t.size() == 3);
  CHECK(t.shared(0) == first.config->targets.shared(0));
  CHECK(t.shared(1) != first.config->targets.shared(1));
  REQUIRE(t[1].probe.auth);
  CHECK(t[1].probe.auth->secret == "two");
  CHECK(t.shared(2) != first.config->targets.shared(2));
  CHECK(t[2].probe.timeout == std::chrono::seconds(3));
  // The running objects were compared, never changed.
  CHECK(first.config->targets[1].probe.auth->secret == "one");
  CHECK(first.config->targets[2].probe.timeout == std::chrono::seconds(5));
}

TEST_CASE("reload: reuse never hides an error, and a shard keeps only its own targets") {
  Running r;
  TempDir& dir = r.dir;
  const std::string& path = r.path;
  const ReusableTargets& running = r.running;

  // A duplicate name is still an error when its first use is a reused target.
  dir.write("t.yaml", std::string(kTargets) + "  - {name: same, url: 'https://a.test/'}\n");
  ConfigLoad dup = load_config(path, StorageUse::none, &running);
  CHECK_FALSE(dup.config);
  REQUIRE_FALSE(dup.errors.empty());
  CHECK(dup.errors[0].message.find("same") != std::string::npos);

  dir.write("t.yaml", kTargets);
  ConfigLoad ok = load_config(path, StorageUse::none, &running);
  REQUIRE(ok.config);
  ClusterConfig cluster;
  cluster.shards = 3;
  std::size_t owned = 0;
  for (cluster.shard = 0; cluster.shard < 3; ++cluster.shard) {
    const TargetList mine = owned_targets(ok.config->targets, cluster);
    for (const TargetConfig& target : mine)
      CHECK(shard_of(target.name, 3) == cluster.shard);
    owned += mine.size();
  }
  CHECK(owned == 3);
  CHECK(ok.config->targets.size() == 3);  // owned_targets took a copy of the list
}

TEST_CASE("Boxed: an optional on the heap that copies and compares by value") {
  Boxed<std::string> empty;
  CHECK_FALSE(empty);
  CHECK(empty == std::nullopt);
  CHECK(empty == Boxed<std::string>());
  CHECK_FALSE(empty.optional());
  CHECK_THROWS_AS(static_cast<void>(empty.value()), std::bad_optional_access);

  Boxed<std::string> a = std::string("text");
  Boxed<std::string> b = a;  // a copy, not a second owner
  REQUIRE(b);
  CHECK(&*a != &*b);
  CHECK(a == b);
  CHECK(a == "text");
  *b += "!";
  CHECK(a != b);
  CHECK(*a == "text");

  b = std::nullopt;
  CHECK_FALSE(b);
  CHECK(a != b);
  b = "other";
  CHECK(*b == "other");
  b.emplace(3, 'x');
  CHECK(*b == "xxx");
  std::optional<std::string> from = std::string("opt");
  b = from;
  CHECK(b.optional() == from);
  Boxed<std::string> moved = std::move(b);
  CHECK(*moved == "opt");
  moved.reset();
  CHECK_FALSE(moved);
  CHECK(sizeof(Boxed<std::string>) == sizeof(void*));
}
