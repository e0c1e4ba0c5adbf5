// `faultline check`: one probe, explained for a person or as JSON for a script.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace faultline {

struct CheckOptions {
  std::string target;
  bool json = false;
  std::string timeout = "5s";
  std::string ca_file;
  bool insecure = false;
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value"
  std::string expect_status;         // "200,204"; empty = 200-399
  std::string idle;                  // "10s,30s,60s": run the idle-reset experiment too
  // The HTTP exchange (issue 18), as curl names them where curl has them.
  std::optional<std::string> data;       // --data: the request body, sent with POST unless --method
  bool method_given = false;             // --method was on the command line
  std::string expect_body;               // PCRE2 pattern the body must match; empty: none
  std::string reject_body;               // PCRE2 pattern the body must not match; empty: none
  std::vector<std::string> expect_json;  // "PATH=VALUE"
  std::string body_limit;                // empty: 64 KiB
  std::string degraded_after;            // --degraded-after: an ok probe slower than this is slow
  bool location = false;                 // --location: follow up to kMaxRedirects redirects
  // Credentials, read from files as the config's basic_auth and bearer_token_file.
  std::string user;               // basic_auth user name; needs password_file
  std::string password_file;      // basic_auth password
  std::string bearer_token_file;  // the bearer token
  std::string cert;               // --cert: PEM client certificate (mutual TLS)
  std::string key;                // --key: its PEM key
  std::string server_name;        // --server-name; empty = the URL's host
  std::string tls_min;            // --tls-min "1.2"|"1.3"; empty = any
  bool ipv4_only = false;         // -4
  bool ipv6_only = false;         // -6
  std::string proxy;              // --proxy URL; empty = straight to the target
  // Per kind: tcp:// and tls:// send/expect; dns:// records the answer must hold.
  std::optional<std::string> send;    // escapes as in the config's `send`
  std::optional<std::string> expect;  // a regex, as `expect` on tcp/tls targets
  std::vector<std::string> expect_answer;
  // icmp://: the config's count, packet_interval and min_replies; unset: their defaults.
  std::optional<int> count;
  std::string packet_interval;
  std::optional<int> min_replies;
  // smtp://, imap://, pop3://: --no-starttls, the greeting and capabilities in clear only.
  bool no_starttls = false;
  // The path trace (issue 20): by default after a timeout during connect or an unreachable.
  bool trace = false;     // --trace: whatever the result
  bool no_trace = false;  // --no-trace: never
};

// Exit status: 0 when the target is ok, 1 for a classified failure (or, with `idle`, a
// middlebox or server resetting idle connections), 2 for bad options (check_usage_error).
// Every option is validated as the config validates the same setting (config_validators.hpp),
// before anything is sent.
int run_check(const CheckOptions& options);

// What `check --json` prints on stdout for bad options, so that a script reading stdout gets
// JSON either way: {"error": MESSAGE}. The message goes to stderr too.
std::string check_error_json(const std::string& message);

}  // namespace faultline
