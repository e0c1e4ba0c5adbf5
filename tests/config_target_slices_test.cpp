// The targets list read a slice at a time (daemon/config_target_slices.hpp): which lists are cut,
// and that a config read in slices means and reports exactly what the whole document does.
#include "daemon/config_target_slices.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/config_loader.hpp"
#include "tests/config_errors.hpp"

using namespace faultline;
using faultline::testing::error_of;
using faultline::testing::errors_of;

namespace {

std::vector<std::string> slice_texts(const std::string& yaml) {
  std::vector<std::string> out;
  if (auto slices = slice_targets(yaml)) {
    for (const TargetSlice& s : slices->items)
      out.push_back(slice_text(yaml, s));
  }
  return out;
}

}  // namespace

TEST_CASE("target slices: a block list is cut an item at a time, the rest kept line for line") {
  const std::string yaml =
      "defaults: {interval: 30s}\n"
      "targets:   # the list\n"
      "  - name: a\n"
      "    url: http://a/\n"
      "  # between\n"
      "\n"
      "  - name: b\n"
      "    url: tcp://b:1\n"
      "storage: {path: x.db}\n";
  auto slices = slice_targets(yaml);
  REQUIRE(slices);
  REQUIRE(slices->items.size() == 2);
  CHECK(slices->items[0].line == 2);
  CHECK(slices->items[1].line == 6);
  CHECK(slice_text(yaml, slices->items[0]) == "    name: a\n    url: http://a/\n  # between\n\n");
  CHECK(slice_text(yaml, slices->items[1]) == "    name: b\n    url: tcp://b:1\n");
  CHECK(slices->skeleton ==
        "defaults: {interval: 30s}\ntargets:   # the list\n\n\n\n\n\n\nstorage: {path: x.db}\n");
}

TEST_CASE("target slices: items at column 0, CRLF lines and a lone dash are cut too") {
  CHECK(slice_texts("targets:\n- name: a\n  url: http://a/\n- name: b\n  url: http://b/\n") ==
        std::vector<std::string>{"  name: a\n  url: http://a/\n", "  name: b\n  url: http://b/\n"});
  CHECK(slice_texts("targets:\r\n  - name: a\r\n    url: http://a/\r\n").size() == 1);
  CHECK(slice_texts("targets:\n  -\n    name: a\n    url: http://a/\n") ==
        std::vector<std::string>{"   \n    name: a\n    url: http://a/\n"});
}

TEST_CASE("target slices: any other form of the list is left to the whole document") {
  for (const char* yaml : {
           "targets: [{name: a, url: http://a/}]\n",               // flow list
           "targets:\n  [{name: a, url: http://a/}]\n",            // flow list on its own line
           "targets: &list\n  - name: a\n    url: http://a/\n",    // an anchor on the list
           "targets:\n  - name: a\n   url: http://a/\n",           // between dash and content
           "targets:\n  -\n      name: a\n     url: http://a/\n",  // shallower than the first
           "targets:\n  - name: a\n  url: http://a/\n",            // a key at the items' column
           "targets:\n  - name: a\n\turl: http://a/\n",            // a tab as indentation
           "targets:\nstorage: {path: x.db}\n",                    // no items
           "targets:\n",                                           // nothing at all
           "  targets:\n  - name: a\n",                            // not at the top level's column
           "storage: {path: x.db}\n",                              // no list
       }) {
    const std::string text = yaml;
    CAPTURE(text);
    CHECK_FALSE(slice_targets(yaml));
  }
}

TEST_CASE("target slices: errors in slices are placed at the file's line and column") {
  const std::string yaml =
      "defaults: {degraded_after: 3s}\n"
      "targets:\n"
      "  - name: a\n"
      "    url: http://a/\n"
      "  - name: b\n"
      "    url: http://b/\n"
      "    timeout: 2s\n"
      "  - name: a\n"
      "    url: http://c/\n"
      "    intervall: 5s\n"
      "storage: {path: x.db, bogus: 1}\n";
  REQUIRE(slice_targets(yaml));
  const auto errors = errors_of(yaml);
  for (const auto& e : errors)
    MESSAGE(e);
  CHECK(errors ==
        std::vector<std::string>{
            // a default's mark, used while reading the second slice
            "t.yaml:1:28: target 'b': degraded_after 3s must be shorter than its timeout 2s, "
            "or no probe could be slow",
            "t.yaml:8:11: duplicate target name 'a' (first used at line 3)",
            "t.yaml:10:5: unknown key 'intervall' in target (did you mean 'interval'?)",
            "t.yaml:11:23: unknown key 'bogus' in storage"});
}

TEST_CASE("target slices: a slice that cannot stand alone falls back to the whole document") {
  // An alias to an anchor in another item: one YAML tree, and both targets have the header.
  const std::string alias =
      "targets:\n"
      "  - name: a\n"
      "    url: http://a/\n"
      "    headers: &h {X-Team: core}\n"
      "  - name: b\n"
      "    url: http://b/\n"
      "    headers: *h\n";
  REQUIRE(slice_targets(alias));
  auto load = parse_config(alias, "t.yaml");
  REQUIRE(load.config);
  REQUIRE(load.config->targets.size() == 2);
  CHECK(load.config->targets[1].probe.headers == load.config->targets[0].probe.headers);
  CHECK_FALSE(load.config->targets[1].probe.headers.empty());

  // A quoted string whose second line looks like an item: still one target, labelled "a - b".
  const std::string quoted =
      "targets:\n"
      "  - name: a\n"
      "    labels: {team: \"a\n"
      "  - b\"}\n"
      "    url: http://a/\n";
  REQUIRE(slice_targets(quoted));
  auto one = parse_config(quoted, "t.yaml");
  REQUIRE(one.config);
  REQUIRE(one.config->targets.size() == 1);
  REQUIRE(one.config->targets[0].labels.size() == 1);
  CHECK(one.config->targets[0].labels.front().second == "a - b");

  // A syntax error inside one item is the whole document's error, at its place.
  const std::string broken =
      "targets:\n"
      "  - name: a\n"
      "    url: http://a/\n"
      "  - name: b\n"
      "    url: [http://b/\n";
  REQUIRE(slice_targets(broken));
  CHECK(error_of(broken).starts_with("t.yaml:6:1: YAML syntax error"));
}

TEST_CASE("target slices: a second list and a second document are still refused") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\ntargets:\n  - name: b\n"
                 "    url: http://b/\n")
            .starts_with("t.yaml:4:1: duplicate key 'targets'"));
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n---\ntargets: []\n")
            .starts_with("t.yaml:5:1: a second YAML document"));
}

namespace {

// Everything a load says, targets with their positions included, as text to compare.
std::vector<std::string> outcome_of(const std::string& yaml, TargetReading reading) {
  const ConfigLoad load = parse_config(yaml, "t.yaml", reading);
  std::vector<std::string> out;
  for (const Diagnostic& d : load.errors)
    out.push_back("error " + d.to_string());
  for (const Diagnostic& d : load.warnings)
    out.push_back("warning " + d.to_string());
  if (load.config) {
    for (const TargetConfig& t : load.config->targets) {
      out.push_back(t.name + " " + t.probe.url.text + " at " + std::to_string(t.pos.line) + ":" +
                    std::to_string(t.pos.column) + " every " + std::to_string(t.interval.count()) +
                    " ms");
    }
  }
  return out;
}

}  // namespace

TEST_CASE("target slices: sliced and whole-document reading agree, errors and targets alike") {
  const std::string head =
      "defaults:\n  interval: 10s\n  timeout: 2s\n  degraded_after: 1s\n"
      "metrics: {listen: 127.0.0.1:9469}\n";
  for (const std::string& list : {
           std::string("targets:\n  - name: a\n    url: http://a/\n  - name: b\n"
                       "    url: tcp://b:1\n    interval: 5s\n"),
           std::string("targets:\n- name: a\n  url: http://a/\n# note\n- {name: b, url: "
                       "'tls://b:443'}\n"),
           std::string("targets:\n  - name: a\n    url: http://a/\n    timeout: 1s\n"
                       "  - name: a\n    url: ftp://x/\n  - name: c\n    urll: http://c/\n"
                       "  - name: d\n    url: dns://127.0.0.1/x?type=Q\n"),
           std::string("targets:\n  -\n    name: a\n    url: http://a/\n  - name: b\n    url: >\n"
                       "      http://b/\n    labels:\n      team: \"x\n      y\"\n"),
           std::string("targets:\n  - name: a\n    url: http://a/\n    headers: {X: 1}\n"
                       "storage: {path: /nonexistent-dir/x.db, retention: {bogus: 1}}\n"),
           std::string("targets:\n  - name: a\n    url: http://a/\n  - just a string\n"
                       "  - [a, list]\n  -\n"),
       }) {
    const std::string yaml = head + list;
    CAPTURE(yaml);
    CHECK(outcome_of(yaml, TargetReading::sliced_when_plain) ==
          outcome_of(yaml, TargetReading::whole_document));
  }
}
