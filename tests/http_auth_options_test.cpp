// Credentials of issue 18 as users write them: basic_auth {username, password_file} and
// bearer_token_file in the config (every error with file:line:col; the files read at load and
// at each reload) and `faultline check --user/--password-file/--bearer-token-file` against a
// real loopback server. That the credentials never leak is tests/secrets_test.cpp's.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "daemon/config_loader.hpp"
#include "tests/faultline_cli.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

// load_config() of `yaml` written as t.yaml into `dir`: its errors as printed, "t.yaml:L:C: ...".
std::vector<std::string> load_errors(const TempDir& dir, const std::string& yaml) {
  const std::string path = dir.write("t.yaml", yaml);
  std::vector<std::string> out;
  for (const Diagnostic& d : load_config(path).errors) {
    std::string text = d.to_string();
    // Only the file's own name, so that messages read the same wherever the folder is.
    const auto at = text.find(path);
    if (at != std::string::npos) text.replace(at, path.size(), "t.yaml");
    out.push_back(text);
  }
  return out;
}

std::string load_error(const TempDir& dir, const std::string& yaml) {
  auto errors = load_errors(dir, yaml);
  REQUIRE_MESSAGE(errors.size() == 1, "expected one error, got " << errors.size());
  return errors.front();
}

Config loaded(const TempDir& dir, const std::string& yaml) {
  ConfigLoad load = load_config(dir.write("t.yaml", yaml));
  for (const Diagnostic& d : load.errors)
    FAIL_CHECK(d.to_string());
  REQUIRE(load.config.has_value());
  return *load.config;
}

const char* kTarget = "targets:\n  - name: api\n    url: http://127.0.0.1:8080/\n";

}  // namespace

TEST_CASE("config: basic_auth and bearer_token_file read their files, trimmed, at every load") {
  TempDir dir;
  dir.write("password", "  s3cret pass\n");
  dir.write("token", "tok-123.abc\n\n");
  Config c = loaded(dir, std::string("defaults:\n  bearer_token_file: token\n") + kTarget +
                             "    basic_auth: {username: monitor, password_file: password}\n"
                             "  - name: inherits\n    url: https://127.0.0.1/\n"
                             "  - name: db\n    url: tcp://127.0.0.1:5432\n");
  REQUIRE(c.targets.size() == 3);
  REQUIRE(c.targets[0].probe.auth);
  CHECK(c.targets[0].probe.auth->kind == HttpAuth::Kind::basic);
  CHECK(c.targets[0].probe.auth->username == "monitor");
  CHECK(c.targets[0].probe.auth->secret == "s3cret pass");
  REQUIRE(c.targets[1].probe.auth);
  CHECK(c.targets[1].probe.auth->kind == HttpAuth::Kind::bearer);
  CHECK(c.targets[1].probe.auth->secret == "tok-123.abc");
  CHECK_FALSE(c.targets[2].probe.auth);  // a tcp:// target sends no request

  // A reload reads the files again, and a changed credential is a changed target.
  dir.write("token", "rotated\n");
  Config again = loaded(dir, std::string("defaults:\n  bearer_token_file: token\n") + kTarget +
                                 "    basic_auth: {username: monitor, password_file: password}\n"
                                 "  - name: inherits\n    url: https://127.0.0.1/\n"
                                 "  - name: db\n    url: tcp://127.0.0.1:5432\n");
  CHECK(again.targets[1].probe.auth->secret == "rotated");
  CHECK_FALSE(again.targets[1] == c.targets[1]);
  CHECK(again.targets[0] == c.targets[0]);
}

TEST_CASE("config error: credentials, each at its position, never showing the secret") {
  TempDir dir;
  dir.write("blank", " \n\n");
  dir.write("two-lines", "first-half-of-secret\nsecond-half\n");
  dir.write("password", "pw\n");
  CHECK(load_error(dir, std::string(kTarget) + "    bearer_token_file: missing\n") ==
        "t.yaml:4:24: 'bearer_token_file': cannot read " + dir.file("missing") +
            ": No such file or directory");
  CHECK(load_error(dir, std::string(kTarget) + "    bearer_token_file: blank\n") ==
        "t.yaml:4:24: 'bearer_token_file': " + dir.file("blank") +
            " holds no credential, only white space");
  const std::string split = load_error(
      dir, std::string(kTarget) + "    basic_auth: {username: u, password_file: two-lines}\n");
  CHECK(split == "t.yaml:4:46: 'basic_auth.password_file': " + dir.file("two-lines") +
                     " holds a line break or another control character inside its credential "
                     "(not shown); write it on one line");
  CHECK(split.find("secret") == std::string::npos);
  CHECK(load_error(dir, std::string(kTarget) + "    basic_auth: {username: u}\n") ==
        "t.yaml:4:17: 'basic_auth' needs both 'username' and 'password_file'");
  CHECK(load_error(dir, std::string(kTarget) +
                            "    basic_auth: {username: 'a:b', password_file: password}\n") ==
        "t.yaml:4:28: 'basic_auth.username' must not contain ':', which ends a basic_auth user "
        "name");
  CHECK(load_error(dir, std::string(kTarget) +
                            "    basic_auth: {username: u, password_file: password}\n"
                            "    bearer_token_file: password\n") ==
        "t.yaml:5:5: credentials are one of 'basic_auth' or 'bearer_token_file', not both");
  CHECK(load_error(dir, std::string(kTarget) + "    headers: {Authorization: Basic xyz}\n"
                                               "    bearer_token_file: password\n") ==
        "t.yaml:5:5: target 'api': 'bearer_token_file' and an Authorization header both set "
        "the Authorization header; keep one");
  CHECK(load_error(dir,
                   "targets:\n  - name: db\n    url: tcp://db:5432\n"
                   "    bearer_token_file: password\n") ==
        "t.yaml:4:5: 'bearer_token_file' only applies to http:// and https:// targets, and 'db' "
        "is tcp://");
}

TEST_CASE("check: --user with --password-file and --bearer-token-file send Authorization") {
  TempDir dir;
  const std::string password = dir.write("password", "open sesame\n");
  const std::string token = dir.write("token", "tok-123\n");
  LoopbackServer server(Behavior::http_ok);
  Run basic =
      run_faultline({"check", "--user", "monitor", "--password-file", password, server.url()});
  INFO(basic.output);
  CHECK(basic.status == 0);
  // base64("monitor:open sesame")
  CHECK(server.last_request().find("Authorization: Basic bW9uaXRvcjpvcGVuIHNlc2FtZQ==\r\n") !=
        std::string::npos);
  CHECK(run_faultline({"check", "--bearer-token-file", token, server.url()}).status == 0);
  CHECK(server.last_request().find("Authorization: Bearer tok-123\r\n") != std::string::npos);

  const int before = server.requests();
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--user", "monitor"}, "--user and --password-file go together (basic_auth needs both)"},
      {{"--user", "a:b", "--password-file", password},
       "--user must not contain ':', which ends a basic_auth user name"},
      {{"--bearer-token-file", token, "--user", "u", "--password-file", password},
       "credentials are one of --user with --password-file, or --bearer-token-file, not both"},
      {{"--bearer-token-file", dir.file("none")},
       "--bearer-token-file: cannot read " + dir.file("none") + ": No such file or directory"},
      {{"--bearer-token-file", token, "--header", "Authorization: Basic x"},
       "--bearer-token-file and an Authorization header both set the Authorization header; "
       "keep one"},
  };
  for (const auto& [args, message] : bad) {
    std::vector<std::string> argv = {"check"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(server.url());
    Run run = run_faultline(argv);
    INFO(run.output);
    CHECK(run.status == 2);
    CHECK(run.output.find("faultline check: " + message) != std::string::npos);
  }
  CHECK(server.requests() == before);
}
