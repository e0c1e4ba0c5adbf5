#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/config_file.hpp"
#include "daemon/config_loader.hpp"
#include "tests/config_errors.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using faultline::testing::error_of;
using faultline::testing::errors_of;
namespace fs = std::filesystem;

namespace {

// Every error of a config text, as printed: "t.yaml:LINE:COL: message".
Config valid(const std::string& yaml, const std::string& path = "t.yaml") {
  ConfigLoad load = parse_config(yaml, path);
  for (const Diagnostic& d : load.errors)
    FAIL_CHECK(d.to_string());
  REQUIRE(load.config.has_value());
  return *load.config;
}

const char* kOneTarget = "targets:\n  - name: api\n    url: http://127.0.0.1:8080/\n";

}  // namespace

TEST_CASE("config: a minimal file gets the documented defaults") {
  Config c = valid(kOneTarget);
  REQUIRE(c.targets.size() == 1);
  const TargetConfig& t = c.targets[0];
  CHECK(t.name == "api");
  CHECK(t.interval == std::chrono::seconds(30));
  CHECK(t.probe.timeout == std::chrono::seconds(5));
  CHECK(t.failure_threshold == 2);
  CHECK(t.success_threshold == 1);
  CHECK(t.probe.method == "GET");
  CHECK(t.probe.expect_status.to_string() == "200-399");
  CHECK(t.probe.tls_verify);
  CHECK(t.probe.ca_file.empty());
  CHECK(c.metrics.listen == "127.0.0.1:9469");
  CHECK(c.log.level == "info");
  CHECK(c.storage.retention.failures == std::chrono::days(90));
  CHECK(c.storage.retention.rollups == std::chrono::days(400));
  CHECK_FALSE(c.storage.record_successes);
  CHECK_FALSE(c.engine.max_in_flight.has_value());
}

TEST_CASE("config: defaults are inherited and targets override them") {
  Config c = valid(R"(defaults:
  interval: 10s
  timeout: 2s
  failure_threshold: 3
  expect_status: [200, 204]
  labels: {env: prod, team: ops}
  headers: {User-Agent: faultline-test, X-A: one}
targets:
  - name: a
    url: https://a.example/
  - name: b
    url: https://b.example/
    interval: 1m
    timeout: 20s
    expect_status: 200-299
    labels: {team: core}
    headers: {x-a: two}
  - name: c
    url: tcp://c.example:22
)");
  REQUIRE(c.targets.size() == 3);
  const auto& a = c.targets[0];
  CHECK(a.interval == std::chrono::seconds(10));
  CHECK(a.probe.timeout == std::chrono::seconds(2));
  CHECK(a.failure_threshold == 3);
  CHECK(a.probe.expect_status.to_string() == "200,204");
  CHECK(a.labels == Labels{{"env", "prod"}, {"team", "ops"}});
  const auto& b = c.targets[1];
  CHECK(b.interval == std::chrono::minutes(1));
  CHECK(b.probe.timeout == std::chrono::seconds(20));
  CHECK(b.failure_threshold == 3);
  CHECK(b.probe.expect_status.to_string() == "200-299");
  CHECK(b.labels == Labels{{"env", "prod"}, {"team", "core"}});
  REQUIRE(b.probe.headers.size() == 2);
  CHECK(b.probe.headers[0].name == "x-a");
  CHECK(b.probe.headers[0].value == "two");
  CHECK(b.probe.headers[1].name == "User-Agent");
  // defaults' http-only settings do not make a tcp target invalid
  CHECK(c.targets[2].probe.url.scheme == Scheme::tcp);
}

TEST_CASE("config: relative paths resolve against the config file's folder") {
  fs::path dir = fs::temp_directory_path() / ("faultline-config-" + std::to_string(getpid()));
  fs::create_directories(dir / "certs");
  std::ofstream(dir / "certs" / "ca.pem") << "not checked here\n";
  std::ofstream(dir / "faultline.yaml") << "storage: {path: ../data/f.db}\n"
                                           "targets:\n  - name: a\n    url: https://a/\n"
                                           "    ca_file: certs/ca.pem\n";
  ConfigLoad load = load_config((dir / "faultline.yaml").string());
  REQUIRE(load.config);
  CHECK(load.config->storage.path == (dir.parent_path() / "data" / "f.db").string());
  CHECK(load.config->targets[0].probe.ca_file == (dir / "certs" / "ca.pem").string());
  fs::remove_all(dir);
}

TEST_CASE("config: idle_probe, engine, metrics, log and storage settings") {
  Config c = valid(R"(engine: {max_in_flight: 500}
metrics: {listen: "127.0.0.2:9470", histograms: true}
log: {level: debug}
storage: {record_successes: true, retention: {failures: 30d, rollups: 400d}}
targets:
  - name: api
    url: https://api.example/
    idle_probe: {ladder: [30s, 2m, 5m], keepalive_check: true}
)");
  CHECK(c.engine.max_in_flight == 500);
  CHECK(c.metrics.listen == "127.0.0.2:9470");
  CHECK(c.metrics.histograms);
  CHECK(c.log.level == "debug");
  CHECK(c.storage.record_successes);
  CHECK(c.storage.retention.failures == std::chrono::days(30));
  REQUIRE(c.targets[0].idle_probe);
  CHECK(c.targets[0].idle_probe->ladder ==
        std::vector<std::chrono::milliseconds>{std::chrono::seconds(30), std::chrono::minutes(2),
                                               std::chrono::minutes(5)});
  CHECK(c.targets[0].idle_probe->keepalive_check);
}

// --- Validation: every rule, with its message and position -------------------------------

TEST_CASE("config error: unknown top-level key suggests the right one") {
  auto errors = errors_of("target:\n  - name: a\n");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == "t.yaml:1:1: unknown key 'target' in the top level (did you mean 'targets'?)");
  CHECK(errors[1] == "t.yaml:1:1: missing 'targets:' list (use 'targets: []' for none)");
}

TEST_CASE("config error: unknown target key suggests the right one") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    intervall: 10s\n") ==
        "t.yaml:4:5: unknown key 'intervall' in target (did you mean 'interval'?)");
}

TEST_CASE("config error: unknown key far from every known key gets no suggestion") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    colour: red\n") ==
        "t.yaml:4:5: unknown key 'colour' in target");
}

TEST_CASE("config error: unknown key in defaults") {
  CHECK(error_of("defaults:\n  timout: 1s\ntargets: []\n") ==
        "t.yaml:2:3: unknown key 'timout' in defaults (did you mean 'timeout'?)");
}

TEST_CASE("config error: unknown key in storage.retention") {
  CHECK(error_of("storage:\n  retention: {failure: 10d}\ntargets: []\n") ==
        "t.yaml:2:15: unknown key 'failure' in storage.retention (did you mean 'failures'?)");
}

TEST_CASE("config error: duplicate key in a mapping") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    name: b\n") ==
        "t.yaml:4:5: duplicate key 'name' in target");
}

TEST_CASE("config error: a list where a duration belongs") {
  CHECK(error_of("defaults:\n  interval: [1, 2]\ntargets: []\n") ==
        "t.yaml:2:13: 'interval' must be a single value, not a list");
}

TEST_CASE("config error: a duration without unit") {
  CHECK(error_of("defaults:\n  interval: 30\ntargets: []\n") ==
        "t.yaml:2:13: 'interval': duration '30' has no unit; write e.g. 30s");
}

TEST_CASE("config error: a duration with an unknown unit") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    timeout: 5w\n") ==
        "t.yaml:4:14: 'timeout': duration '5w' has an unknown unit; use ms, s, m, h or d");
}

TEST_CASE("config error: an interval below the minimum") {
  CHECK(error_of("defaults: {interval: 10ms}\ntargets: []\n") ==
        "t.yaml:1:22: 'interval' must be at least 100ms, got 10ms");
}

TEST_CASE("config error: timeout not shorter than interval, set on the target") {
  CHECK(
      error_of("targets:\n  - name: a\n    url: http://a/\n    interval: 5s\n    timeout: 5s\n") ==
      "t.yaml:5:14: target 'a': timeout 5s must be shorter than its interval 5s");
}

TEST_CASE("config error: timeout not shorter than interval, inherited") {
  CHECK(error_of("defaults: {timeout: 1m}\ntargets:\n  - name: a\n    url: http://a/\n") ==
        "t.yaml:3:5: target 'a': timeout 1m must be shorter than its interval 30s");
}

TEST_CASE("config error: duplicate target names") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n  - name: a\n    url: http://b/\n") ==
        "t.yaml:4:11: duplicate target name 'a' (first used at line 2)");
}

TEST_CASE("config error: unsupported URL scheme") {
  CHECK(error_of("targets:\n  - name: a\n    url: ftp://a/\n") ==
        "t.yaml:3:10: 'url': unsupported scheme 'ftp://'; use http://, https://, tcp://host:port, "
        "tls://host:port, dns://SERVER/NAME, icmp://host, smtp://host, smtps://host, imap://host, "
        "imaps://host, pop3://host, pop3s://host, grpc://host:port or grpcs://host:port");
}

TEST_CASE("config error: tcp target without a port") {
  CHECK(error_of("targets:\n  - name: db\n    url: tcp://db.internal\n") ==
        "t.yaml:3:10: 'url': tcp:// targets need a port: tcp://db.internal:PORT");
}

TEST_CASE("config error: credentials in the URL") {
  CHECK(error_of("targets:\n  - name: a\n    url: https://u:p@a/\n") ==
        "t.yaml:3:10: 'url': credentials in the URL are not supported (they would leak into "
        "logs, metrics and the database); send them with `headers:` instead");
}

TEST_CASE("config error: unreadable ca_file") {
  CHECK(
      error_of("targets:\n  - name: a\n    url: https://a/\n    ca_file: /nonexistent/ca.pem\n") ==
      "t.yaml:4:14: 'ca_file': cannot read /nonexistent/ca.pem: No such file or directory");
}

TEST_CASE("config error: label name that Prometheus would reject") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    labels: {team-name: x}\n") ==
        "t.yaml:4:14: label name 'team-name' is not a valid Prometheus label name "
        "([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)");
}

TEST_CASE("config error: label name reserved for faultline's own labels") {
  CHECK(error_of("defaults:\n  labels:\n    class: gold\ntargets: []\n") ==
        "t.yaml:3:5: label name 'class' is reserved: faultline sets it itself");
}

TEST_CASE("config error: label names starting with two underscores") {
  CHECK(error_of("defaults: {labels: {__x: y}}\ntargets: []\n") ==
        "t.yaml:1:21: label name '__x' is not a valid Prometheus label name "
        "([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)");
}

TEST_CASE("config error: empty file") {
  CHECK(error_of("") == "t.yaml:1:1: the file is empty; it needs at least a 'targets:' list");
  CHECK(error_of("# only a comment\n") ==
        "t.yaml:1:1: the file is empty; it needs at least a 'targets:' list");
}

TEST_CASE("config error: top level is not a mapping") {
  CHECK(error_of("- name: a\n") ==
        "t.yaml:1:1: the top level must be a mapping with a 'targets:' list, not a list");
}

TEST_CASE("config error: YAML syntax error with its position") {
  CHECK(error_of("targets:\n  - name: a\n    url: [http://a/\n") ==
        "t.yaml:4:1: YAML syntax error: end of sequence flow not found");
}

TEST_CASE("config error: no targets key") {
  CHECK(error_of("log: {level: info}\n") ==
        "t.yaml:1:1: missing 'targets:' list (use 'targets: []' for none)");
}

TEST_CASE("config error: targets is not a list") {
  CHECK(error_of("targets: {name: a}\n") ==
        "t.yaml:1:10: 'targets' must be a list of targets, not a mapping");
}

TEST_CASE("config error: target without url or name") {
  CHECK(error_of("targets:\n  - name: a\n") == "t.yaml:2:5: target 'a' has no 'url'");
  CHECK(error_of("targets:\n  - url: http://a/\n") == "t.yaml:2:5: target has no 'name'");
}

TEST_CASE("config error: target name with characters outside the allowed set") {
  CHECK(error_of("targets:\n  - name: my api\n    url: http://a/\n") ==
        "t.yaml:2:11: target name 'my api' may only hold letters, digits, '_', '.' and '-'");
}

TEST_CASE("config error: a boolean that is not true or false") {
  CHECK(error_of("targets:\n  - name: a\n    url: https://a/\n    tls_verify: maybe\n") ==
        "t.yaml:4:17: 'tls_verify' must be true or false, not 'maybe'");
}

TEST_CASE("config error: thresholds out of range") {
  CHECK(error_of("defaults: {failure_threshold: 0}\ntargets: []\n") ==
        "t.yaml:1:31: 'failure_threshold' must be a whole number from 1 to 1000, not '0'");
  CHECK(error_of("defaults: {success_threshold: two}\ntargets: []\n") ==
        "t.yaml:1:31: 'success_threshold' must be a whole number from 1 to 1000, not 'two'");
}

TEST_CASE("config error: status codes outside 100-599 and descending ranges") {
  CHECK(error_of("defaults: {expect_status: [200, 200-1000]}\ntargets: []\n") ==
        "t.yaml:1:33: 'expect_status': status code 1000 is outside 100-599");
  CHECK(error_of("defaults: {expect_status: 399-200}\ntargets: []\n") ==
        "t.yaml:1:27: 'expect_status': status range '399-200' is descending");
}

TEST_CASE("config error: HTTP settings on a tcp target") {
  CHECK(error_of("targets:\n  - name: db\n    url: tcp://db:5432\n    method: HEAD\n") ==
        "t.yaml:4:5: 'method' only applies to http:// and https:// targets, and 'db' is tcp://");
}

TEST_CASE("config error: header names that are not HTTP tokens, and line breaks in values") {
  CHECK(error_of("defaults: {headers: {\"Bad Header\": x}}\ntargets: []\n") ==
        "t.yaml:1:22: header name 'Bad Header' is not a valid HTTP header name");
  CHECK(error_of("defaults: {headers: {X-A: \"a\\r\\nInjected: 1\"}}\ntargets: []\n") ==
        "t.yaml:1:27: header 'X-A' has a line break in its value");
}

TEST_CASE("config error: idle_probe ladder must ascend") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n"
                 "    idle_probe: {ladder: [2m, 30s]}\n") ==
        "t.yaml:4:31: 'idle_probe.ladder' must be in ascending order without repeats");
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n"
                 "    idle_probe: {keepalive_check: true}\n") ==
        "t.yaml:4:17: 'idle_probe' needs a 'ladder' of idle times, e.g. [30s, 2m, 5m]");
}

TEST_CASE("config error: log level with a suggestion") {
  CHECK(error_of("log: {level: inf}\ntargets: []\n") ==
        "t.yaml:1:14: 'log.level' must be one of trace, debug, info, warn, error, critical, off; "
        "not 'inf' (did you mean 'info'?)");
}

TEST_CASE("config error: metrics listen address") {
  CHECK(error_of("metrics: {listen: localhost}\ntargets: []\n") ==
        "t.yaml:1:19: 'listen': 'localhost' is not IPv4:PORT or [IPv6]:PORT (no port)");
  CHECK(error_of("metrics: {listen: \"::1:9469\"}\ntargets: []\n") ==
        "t.yaml:1:19: 'listen': '::1:9469' is not IPv4:PORT or [IPv6]:PORT ('::1' is not a "
        "numeric IPv4 address)");
  CHECK(error_of("metrics: {listen: \"[::1]:9469\"}\ntargets: []\n") ==
        "t.yaml:1:19: 'listen': IPv6 addresses cannot be served (Debian's civetweb, which "
        "prometheus-cpp uses, has no IPv6); use an IPv4 address such as 127.0.0.1:9469");
}

TEST_CASE("config error: basic_auth needs both fields") {
  CHECK(error_of("metrics: {basic_auth: {username: prom}}\ntargets: []\n") ==
        "t.yaml:1:23: 'metrics.basic_auth' needs both 'username' and 'password_file'");
}

TEST_CASE("config error: engine.max_in_flight must be positive") {
  CHECK(error_of("engine: {max_in_flight: -1}\ntargets: []\n") ==
        "t.yaml:1:25: 'engine.max_in_flight' must be a whole number from 1 to 1000000, not '-1'");
}

TEST_CASE("config error: every error is reported, in file order") {
  auto errors = errors_of(R"(defaults:
  intervall: 10s
targets:
  - name: a
    url: gopher://a/
  - name: a
    url: http://b/
    timeout: soon
)");
  REQUIRE(errors.size() == 4);
  CHECK(errors[0] == "t.yaml:2:3: unknown key 'intervall' in defaults (did you mean 'interval'?)");
  CHECK(errors[1].starts_with("t.yaml:5:10: 'url': unsupported scheme 'gopher://'"));
  CHECK(errors[2] == "t.yaml:6:11: duplicate target name 'a' (first used at line 4)");
  CHECK(errors[3] ==
        "t.yaml:8:14: 'timeout': invalid duration 'soon': expected a whole number "
        "followed by ms, s, m, h or d");
}

TEST_CASE("config error: the file cannot be read") {
  ConfigLoad load = load_config("/nonexistent/faultline.yaml");
  REQUIRE(load.errors.size() == 1);
  CHECK(load.errors[0].to_string() ==
        "/nonexistent/faultline.yaml:1:1: cannot read the config file: No such file or directory");
}

TEST_CASE("config warning: metrics on a public address without auth") {
  ConfigLoad load = parse_config("metrics: {listen: 0.0.0.0:9469}\ntargets: []\n", "t.yaml");
  REQUIRE(load.config);
  REQUIRE(load.warnings.size() == 1);
  CHECK(load.warnings[0].to_string() ==
        "t.yaml:1:19: metrics are served on a non-loopback address without basic_auth; anyone who "
        "can reach 0.0.0.0:9469 can read them");
}

TEST_CASE("config: the shipped example is valid") {
  ConfigLoad load = load_config(FAULTLINE_SOURCE_DIR "/etc/faultline.yaml");
  for (const Diagnostic& d : load.errors)
    FAIL_CHECK(d.to_string());
  CHECK(load.warnings.empty());
  REQUIRE(load.config);
  CHECK(load.config->targets.size() >= 3);
}

TEST_CASE("config: reuse_connection is off by default, per target or from defaults for http(s)") {
  Config off = valid(kOneTarget);
  CHECK_FALSE(off.targets[0].probe.reuse_connection);
  Config on = valid(
      "defaults: {reuse_connection: true}\n"
      "targets:\n"
      "  - {name: web, url: 'https://127.0.0.1/'}\n"
      "  - {name: db, url: 'tcp://127.0.0.1:5432'}\n"
      "  - {name: own, url: 'http://127.0.0.1/', reuse_connection: false}\n");
  CHECK(on.targets[0].probe.reuse_connection);
  CHECK_FALSE(on.targets[1].probe.reuse_connection);  // nothing to send over a tcp:// one
  CHECK_FALSE(on.targets[2].probe.reuse_connection);
  // A changed setting is a changed target, so a reload starts it over.
  CHECK_FALSE(on.targets[0] ==
              valid("targets:\n  - {name: web, url: 'https://127.0.0.1/'}\n").targets[0]);
}

TEST_CASE("config error: reuse_connection on a tcp target, or not a boolean") {
  CHECK(error_of("targets:\n  - name: db\n    url: tcp://db:5432\n    reuse_connection: true\n") ==
        "t.yaml:4:5: 'reuse_connection' only applies to http:// and https:// targets, and 'db' "
        "is tcp://");
  CHECK(error_of("targets:\n  - name: api\n    url: http://api/\n    reuse_connection: often\n")
            .find("t.yaml:4:23: 'reuse_connection' must be") == 0);
}

// --- #22: bounded input, checks on disk, messages ------------------------------------------

namespace {

struct CliRun {
  int status = -1;
  std::string output;  // stdout and stderr
};

// `faultline ARGS`, which must end within 20 s.
CliRun faultline_cli(const std::vector<std::string>& args) {
  faultline::testing::TempDir dir;
  std::vector<std::string> argv = {FAULTLINE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  faultline::testing::ChildProcess p(argv, {}, dir.file("out"));
  auto status = p.wait(std::chrono::seconds(20));
  REQUIRE_MESSAGE(status.has_value(), "faultline did not finish: " << p.output());
  return {*status, p.output()};
}

// The one error of load_config(path), as printed.
std::string load_error(const std::string& path) {
  ConfigLoad load = load_config(path);
  REQUIRE_MESSAGE(load.errors.size() == 1, "expected one error, got " << load.errors.size());
  return load.errors[0].to_string();
}

}  // namespace

// Item 4: /dev/zero never ended and grew past 1 GB; a pipe would wait for a writer.
TEST_CASE("config error: only regular files are read: devices, pipes and directories are not") {
  CliRun zero = faultline_cli({"config", "check", "/dev/zero"});
  CHECK(zero.status == 1);
  CHECK(zero.output.find("/dev/zero:1:1: the config file is a character device, not a regular "
                         "file\n") != std::string::npos);
  CliRun run = faultline_cli({"run", "-c", "/dev/urandom"});
  CHECK(run.status == 1);
  CHECK(run.output.find("/dev/urandom:1:1: the config file is a character device") !=
        std::string::npos);

  faultline::testing::TempDir dir;
  const std::string fifo = dir.file("fifo.yaml");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CliRun pipe = faultline_cli({"config", "check", fifo});
  CHECK(pipe.status == 1);
  CHECK(pipe.output.find(fifo + ":1:1: the config file is a pipe, not a regular file") !=
        std::string::npos);

  // Item 13: it said the file was empty.
  CHECK(load_error(dir.path().string()) ==
        dir.path().string() + ":1:1: the config file is a directory, not a regular file");
}

TEST_CASE("config error: a file over the size limit is refused before it is read") {
  faultline::testing::TempDir dir;
  const std::string path = dir.file("huge.yaml");
  {
    // Sparse: the size without the disk space.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(faultline::kMaxConfigFileBytes + 1)) == 0);
    ::close(fd);
  }
  CHECK(load_error(path) == path +
                                ":1:1: the config file is larger than 64 MiB (65 MiB); a config "
                                "of 100,000 targets takes about 20 MB");
  REQUIRE(::truncate(path.c_str(), 0) == 0);
  CHECK(load_error(path) == path + ":1:1: the file is empty; it needs at least a 'targets:' list");
}

// Item 5: config check said ok for configs that run refuses.
TEST_CASE("config error: an empty or blank password_file") {
  faultline::testing::TempDir dir;
  dir.write("empty.pw", "");
  dir.write("blank.pw", " \n\t\n");
  const std::string empty =
      dir.write("empty.yaml",
                "metrics: {basic_auth: {username: prom, password_file: empty.pw}}\ntargets: []\n");
  CHECK(load_error(empty) ==
        empty + ":1:55: 'basic_auth.password_file': " + dir.file("empty.pw") + " is empty");
  const std::string blank =
      dir.write("blank.yaml",
                "metrics: {basic_auth: {username: prom, password_file: blank.pw}}\ntargets: []\n");
  CHECK(load_error(blank) == blank + ":1:55: 'basic_auth.password_file': " + dir.file("blank.pw") +
                                 " holds no password, only white space");
}

// Item 9: "needs both" was said although both were given.
TEST_CASE("config error: a missing password_file gives its own error only") {
  CHECK(error_of("metrics: {basic_auth: {username: prom, password_file: /nonexistent/x.pw}}\n"
                 "targets: []\n") ==
        "t.yaml:1:55: 'basic_auth.password_file': cannot read /nonexistent/x.pw: No such file or "
        "directory");
}

TEST_CASE("config error: storage.path that faultline run could not use") {
  faultline::testing::TempDir dir;
  const std::string folder = dir.file("history");
  std::filesystem::create_directory(folder);
  dir.write("file", "x");
  const std::string yaml = "storage: {path: " + folder + "}\ntargets: []\n";
  const std::string as_dir = dir.write("dir.yaml", yaml);
  CHECK(load_error(as_dir) == as_dir + ":1:17: 'storage.path': " + folder +
                                  " is a directory; name the history file in it, e.g. " + folder +
                                  "/faultline.db");
  const std::string dev_null = dir.write("null.yaml", "storage: {path: /dev/null}\ntargets: []\n");
  CHECK(load_error(dev_null) ==
        dev_null +
            ":1:17: 'storage.path': /dev/null is not a regular file (a device, pipe or socket); "
            "name a file for the SQLite history");
  // A folder that cannot be created: a file stands where a folder above it would go.
  const std::string under_file =
      dir.write("under.yaml", "storage: {path: file/sub/f.db}\ntargets: []\n");
  CHECK(load_error(under_file) == under_file + ":1:17: 'storage.path': cannot create " +
                                      dir.file("file/sub") + ": " + dir.file("file") +
                                      " is not a directory");
  // A folder that does not exist yet is fine: faultline run creates it.
  ConfigLoad fresh =
      load_config(dir.write("fresh.yaml", "storage: {path: new/a/f.db}\ntargets: []\n"));
  CHECK(fresh.errors.empty());
  // report only reads the history; it checks the path itself.
  CHECK(load_config(as_dir, StorageUse::none).errors.empty());
  // The same rules for the default path, at the top of the file.
  ::setenv("STATE_DIRECTORY", dir.file("file").c_str(), 1);
  const std::string unset = dir.write("unset.yaml", "targets: []\n");
  const std::string message = load_error(unset);
  ::unsetenv("STATE_DIRECTORY");
  CHECK(message == unset + ":1:1: storage.path is not set, so the history goes to " +
                       dir.file("file/faultline.db") + ", but cannot create the history in " +
                       dir.file("file") + ": not a directory");
}

TEST_CASE("config check: exit 1 where run would refuse, a metrics address in use is a warning") {
  faultline::testing::TempDir dir;
  std::filesystem::create_directory(dir.file("history"));
  const std::string bad = dir.write("bad.yaml", "storage: {path: history}\ntargets: []\n");
  CliRun r = faultline_cli({"config", "check", bad});
  CHECK(r.status == 1);
  CHECK(r.output.find("'storage.path': " + dir.file("history") + " is a directory") !=
        std::string::npos);

  faultline::testing::LoopbackServer taken(faultline::testing::Behavior::http_ok);
  const std::string busy = dir.write("busy.yaml", "storage: {path: f.db}\nmetrics: {listen: '" +
                                                      taken.authority() + "'}\ntargets: []\n");
  r = faultline_cli({"config", "check", busy});
  CHECK(r.status == 0);
  CHECK(r.output.find(busy + ": warning: metrics.listen " + taken.authority() +
                      " cannot be listened on now (Address already in use)") != std::string::npos);
  CHECK(r.output.find(busy + ": ok, 0 targets\n") != std::string::npos);
}

// Item 7: a second document was silently ignored.
TEST_CASE("config error: a second YAML document, at its position") {
  CHECK(error_of("targets: []\n---\ntargets:\n  - {name: a, url: 'http://a/'}\n") ==
        "t.yaml:3:1: a second YAML document (after '---'); faultline reads one document per "
        "file: merge it into the first or remove the '---'");
  // An empty one after a final '---' hides nothing.
  valid("targets: []\n---\n# nothing more\n");
  // yaml-cpp 0.7 answers a stray ',' with endless empty documents (found by fuzz.parse_config
  // when the loader used YAML::LoadAll): both must finish.
  CHECK(error_of(",") == "t.yaml:1:1: the file is empty; it needs at least a 'targets:' list");
  valid("targets: []\n---\n,\n");
}

// Item 8: a 2 MB value gave a 2 MB error line, and CR, LF and NUL were printed raw.
TEST_CASE("config error: values in messages are escaped and cut at 80 characters") {
  const std::string huge(2'000'000, 'x');
  const std::string long_url = error_of("targets:\n  - name: a\n    url: " + huge + "\n");
  CHECK(long_url ==
        "t.yaml:3:10: 'url': '" + std::string(80, 'x') +
            "…' has no scheme; use http://, https://, tcp://host:port, "
            "tls://host:port, dns://SERVER/NAME, icmp://host, smtp://host, smtps://host, "
            "imap://host, imaps://host, pop3://host, pop3s://host, grpc://host:port or "
            "grpcs://host:port");
  // An explicit key ('? '): YAML limits implicit ones to 1024 characters.
  const std::string long_key = error_of("? " + huge + "\n: 1\ntargets: []\n");
  CHECK(long_key == "t.yaml:1:3: unknown key '" + std::string(80, 'x') + "…' in the top level");
  CHECK(error_of("targets:\n  - name: \"a\\r\\nb\\0c\\x1b\"\n    url: http://a/\n") ==
        "t.yaml:2:11: target name 'a\\r\\nb\\0c\\x1B' may only hold letters, digits, '_', '.' "
        "and '-'");
  CHECK(error_of("defaults: {tls_verify: \"yes\\tno\"}\ntargets: []\n") ==
        "t.yaml:1:24: 'tls_verify' must be true or false, not 'yes\\tno'");
  for (const std::string& e : errors_of("targets:\n  - name: \"" + huge + "\\n\"\n")) {
    CHECK(e.size() < 300);
    CHECK(e.find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
  }
}

// Item 13: yaml-cpp says "bad file" when its depth guard stops it.
TEST_CASE("config error: nesting deeper than the YAML parser allows says so") {
  const std::string deep = "targets: " + std::string(10'000, '[') + std::string(10'000, ']');
  const std::string e = error_of(deep + "\n");
  CHECK(e.find("t.yaml:1:") == 0);
  CHECK(e.find("YAML nesting too deep: the YAML parser (yaml-cpp) stops at 500 levels of lists "
               "and mappings inside each other; a faultline config needs 5") != std::string::npos);
  // Short of the limit, the config's own rules speak.
  CHECK(error_of("targets: " + std::string(400, '[') + std::string(400, ']') + "\n") ==
        "t.yaml:1:11: each target must be a mapping of keys to values, not a list");
}

// Item 14: a 20,000-character name became a metrics label.
TEST_CASE("config error: target names and label values are at most 200 characters") {
  valid("targets:\n  - name: " + std::string(200, 'a') + "\n    url: http://a/\n");
  CHECK(error_of("targets:\n  - name: " + std::string(20'000, 'a') + "\n    url: http://a/\n") ==
        "t.yaml:2:11: target name '" + std::string(80, 'a') +
            "…' is 20000 characters long; at most 200 are allowed (it becomes the 'target' label "
            "of every series)");
  valid("defaults: {labels: {team: " + std::string(200, 'b') + "}}\ntargets: []\n");
  CHECK(error_of("defaults: {labels: {team: " + std::string(201, 'b') + "}}\ntargets: []\n") ==
        "t.yaml:1:27: 'labels.team' must be at most 200 characters long, not 201");
  CHECK(error_of("cluster: {vantage: " + std::string(201, 'v') + "}\ntargets: []\n") ==
        "t.yaml:1:20: 'cluster.vantage' must be at most 200 characters long, not 201: it becomes "
        "the value of the 'vantage' label on every series");
  CHECK(error_of("defaults: {labels: {team: \"a\\nb\"}}\ntargets: []\n") ==
        "t.yaml:1:27: 'labels.team' must be UTF-8 text without control characters");
}

// #16: one table of the labels faultline sets (exporters/own_labels.hpp).
TEST_CASE("config: reserved label names are those the exporter sets on a target's series") {
  for (const char* name : {"target", "class", "phase", "le", "vantage"}) {
    CHECK(error_of(std::string("defaults: {labels: {") + name + ": x}}\ntargets: []\n") ==
          std::string("t.yaml:1:21: label name '") + name +
              "' is reserved: faultline sets it itself");
  }
  // Only faultline_build_info carries `version`, never with a target's labels.
  valid("defaults: {labels: {version: v2}}\ntargets: []\n");
}

// #16: "warning" was accepted by --log-level's parser but refused by the config.
TEST_CASE("config: log.level takes 'warning' for 'warn'") {
  CHECK(valid("log: {level: warning}\ntargets: []\n").log.level == "warn");
}

TEST_CASE("config: server_name, tls_min_version and ip_family, per target or from defaults") {
  Config c = valid(R"(defaults:
  tls_min_version: "1.3"
  ip_family: ipv6
targets:
  - name: a
    url: https://[::1]:8443/
    server_name: api.example.com
  - name: b
    url: https://b.example/
    tls_min_version: "1.2"
    ip_family: any
  - name: c
    url: tcp://c.example:22
    ip_family: ipv4
)");
  REQUIRE(c.targets.size() == 3);
  CHECK(c.targets[0].probe.server_name == "api.example.com");
  CHECK(c.targets[0].probe.tls_min_version == TlsMinVersion::tls1_3);
  CHECK(c.targets[0].probe.ip_family == IpFamily::ipv6);
  CHECK(c.targets[1].probe.server_name.empty());
  CHECK(c.targets[1].probe.tls_min_version == TlsMinVersion::tls1_2);
  CHECK(c.targets[1].probe.ip_family == IpFamily::any);
  CHECK(c.targets[2].probe.ip_family == IpFamily::ipv4);
  Config plain = valid("targets:\n  - name: a\n    url: https://a/\n");
  CHECK(plain.targets[0].probe.tls_min_version == TlsMinVersion::any);
  CHECK(plain.targets[0].probe.ip_family == IpFamily::any);
  CHECK(plain.targets[0].probe.server_name.empty());
}

TEST_CASE("config error: server_name, tls_min_version and ip_family values") {
  CHECK(error_of("defaults: {tls_min_version: 1.1}\ntargets: []\n") ==
        "t.yaml:1:29: 'tls_min_version' must be \"1.2\" or \"1.3\", not '1.1'");
  CHECK(error_of("targets:\n  - name: a\n    url: https://a/\n    ip_family: inet6\n") ==
        "t.yaml:4:16: 'ip_family' must be any, ipv4 or ipv6, not 'inet6'");
  CHECK(error_of("targets:\n  - name: a\n    url: https://a/\n    server_name: \"a b\"\n") ==
        "t.yaml:4:18: 'server_name' must be a DNS name (letters, digits, '-' and '.'), not "
        "'a b'");
  CHECK(error_of("targets:\n  - name: a\n    url: https://a/\n    server_name: 10.0.0.1\n") ==
        "t.yaml:4:18: 'server_name' must be a DNS name, not an IP address (TLS sends names "
        "only): '10.0.0.1'");
  CHECK(error_of("targets:\n  - name: a\n    url: https://a/\n    server_name: a..b\n") ==
        "t.yaml:4:18: 'server_name' must be a DNS name without empty labels, not 'a..b'");
}

TEST_CASE("config error: an ip_family that excludes the URL's own address") {
  CHECK(error_of("targets:\n  - name: a\n    url: http://127.0.0.1:80/\n    ip_family: ipv6\n") ==
        "t.yaml:4:16: target 'a': ip_family: ipv6 excludes the URL's address '127.0.0.1'");
  CHECK(error_of("defaults: {ip_family: ipv4}\ntargets:\n  - name: a\n    url: tcp://[::1]:22\n") ==
        "t.yaml:3:5: target 'a': ip_family: ipv4 excludes the URL's address '::1'");
}

TEST_CASE("config: client_cert and client_key resolve against the config's folder, or defaults") {
  fs::path dir = fs::temp_directory_path() / ("faultline-mtls-" + std::to_string(getpid()));
  fs::create_directories(dir / "certs");
  const faultline::testing::TestPki& pki = faultline::testing::shared_test_pki();
  fs::copy_file(pki.client.cert_path, dir / "certs" / "probe.pem");
  fs::copy_file(pki.client.key_path, dir / "certs" / "probe.key");
  std::ofstream(dir / "faultline.yaml")
      << "defaults: {client_cert: certs/probe.pem, client_key: certs/probe.key}\n"
         "targets:\n  - name: a\n    url: https://a/\n";
  ConfigLoad load = load_config((dir / "faultline.yaml").string());
  REQUIRE(load.config);
  CHECK(load.config->targets[0].probe.client_cert == (dir / "certs" / "probe.pem").string());
  CHECK(load.config->targets[0].probe.client_key == (dir / "certs" / "probe.key").string());
  fs::remove_all(dir);
}

TEST_CASE("config error: client_cert unreadable, or without its client_key") {
  CHECK(error_of("targets:\n  - name: a\n    url: https://a/\n    client_cert: /nonexistent/c.pem\n"
                 "    client_key: /proc/self/exe\n") ==
        "t.yaml:4:18: 'client_cert': cannot read /nonexistent/c.pem: No such file or directory");
  const std::string self = "/proc/self/exe";  // any readable, non-empty file
  CHECK(error_of("targets:\n  - name: a\n    url: https://a/\n    client_cert: " + self + "\n") ==
        "t.yaml:4:5: target 'a': client_cert needs a client_key (both or neither)");
  CHECK(error_of("defaults: {client_key: " + self +
                 "}\ntargets:\n  - name: a\n    url: https://a/\n") ==
        "t.yaml:3:5: target 'a': client_key needs a client_cert (both or neither)");
}

TEST_CASE("config error: a client_cert that is no certificate, or a client_key of another") {
  const faultline::testing::TestPki& pki = faultline::testing::shared_test_pki();
  const std::string head = "targets:\n  - name: a\n    url: https://a/\n    client_cert: ";
  CHECK(error_of(head + pki.client.cert_path + "\n    client_key: " + pki.other_client.key_path +
                 "\n") == "t.yaml:4:5: target 'a': client_key '" + pki.other_client.key_path +
                              "' does not match client_cert '" + pki.client.cert_path + "'");
  CHECK(error_of(head + pki.client.key_path + "\n    client_key: " + pki.client.key_path + "\n") ==
        "t.yaml:4:5: target 'a': client_cert '" + pki.client.key_path +
            "' holds no PEM certificate");
  CHECK(error_of(head + pki.client.cert_path + "\n    client_key: " + pki.client.cert_path + "\n")
            .find("holds no PEM private key") != std::string::npos);
}
