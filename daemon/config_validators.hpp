// The rules for what users write, in one place for the config loader and `faultline check`, so
// that both accept the same values and say the same about the rest. A validator returns the
// value (or nothing) when it is valid, else the message; a value it names is shown through
// quote() or printable(). Messages of the form "<subject> must ..." take the subject from the
// caller: "'method'" in the config, "--method" on the command line.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/dns_record_type.hpp"
#include "checks/expected.hpp"
#include "checks/pattern.hpp"
#include "checks/probe_spec.hpp"

namespace faultline {

// A target's name is the `target` label of every series it has and a key in the history; a
// label value is repeated on every series of its target. Both stay readable in a dashboard.
inline constexpr std::size_t kMaxTargetNameChars = 200;
inline constexpr std::size_t kMaxLabelValueChars = 200;

// What is wrong with a value, or nullopt when nothing is.
using Problem = std::optional<std::string>;

// Letters, digits, '_', '.' and '-', 1 to kMaxTargetNameChars of them.
Problem target_name_problem(std::string_view name);

// A Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __) that faultline does not
// set itself (exporters/own_labels.hpp).
Problem label_name_problem(std::string_view name);

// "<subject> must ..." when `value` is not UTF-8 text without control characters of at most
// kMaxLabelValueChars characters.
Problem label_value_problem(std::string_view value, std::string_view subject);

// "<subject> must ..." when `method` is not an HTTP token (RFC 9110: letters, digits and
// !#$%&'*+-.^_`|~), which keeps it from splitting or emptying the request line.
Problem http_method_problem(std::string_view method, std::string_view subject);

// When `name` is not an HTTP token.
Problem header_name_problem(std::string_view name);

// When `value` holds CR, LF or NUL, which would end the header line early or cut it. The value
// is never shown: it may be a secret.
Problem header_value_problem(std::string_view name, std::string_view value);

// When `name` is already among `earlier` (header names compare without regard to case).
Problem duplicate_header_problem(const std::vector<Header>& earlier, std::string_view name);

// Parses a duration (daemon/duration.hpp) of at least `minimum` (positive). Errors read
// "<subject>: duration ..." for text that is no duration and "<subject> must be at least 30s,
// got 10s" (or "must be positive, got 0s" when the minimum is 1ms) for one too short.
Expected<std::chrono::milliseconds> duration_at_least(std::string_view text,
                                                      std::chrono::milliseconds minimum,
                                                      std::string_view subject);

// `path` when it names a regular, readable, non-empty file; else why not ("cannot read PATH:
// No such file or directory", "PATH is a directory, not a file", "PATH is empty"). Opens the
// file to find out, reads nothing.
Expected<std::string> readable_file(const std::string& path);

// When the readable file at `path` holds nothing but white space, which the metrics endpoint
// trims from a password file: no password at all.
Problem blank_password_file_problem(const std::string& path);

// Whether faultline can keep its SQLite history at `path` (absolute), found out without
// changing anything: an existing `path` is a writable regular file; its folder is a writable
// folder, or can be created in the nearest folder that exists. The message says what to do.
Problem storage_path_problem(const std::string& path);

// The HTTP exchange options (issue 18): the request body and the assertions on the response
// body, shared by the config (body, body_file, expect_body, reject_body, expect_json,
// body_limit) and `faultline check` (--data, --expect-body, --reject-body, --expect-json,
// --body-limit).

// `text` compiled as a PCRE2 pattern for `what` (pattern.hpp). Error: "<subject>: pattern 'a(b'
// is not a valid regular expression: at character 4, missing closing parenthesis"; its
// character (from 1) is also put in `*error_at` when that is given.
Expected<Pattern> pattern_value(std::string_view text, std::string_view subject,
                                std::size_t* error_at = nullptr,
                                PatternSubject what = PatternSubject::body);

// A body_limit from 1 byte to kMaxBodyLimit (parse_byte_size: 65536, 64KiB, 1MiB).
Expected<std::size_t> body_limit_value(std::string_view text, std::string_view subject);

// When a request body of `size` bytes cannot go with `method`: GET and HEAD send none (the
// config refuses them rather than send what servers ignore), and more than kMaxRequestBody is
// refused. The body itself is never shown: it may hold a secret.
Problem request_body_problem(std::string_view method, std::size_t size, std::string_view subject);

// The credential in a basic_auth password_file or a bearer_token_file: the file's text without
// the white space around it, at most 4 KiB. Error: not readable (readable_file()), blank, or
// holding a line break, a NUL or another control character inside, which would cut or split
// the Authorization header. The content is never shown: it is a secret.
Expected<std::string> credential_file(const std::string& path);

// When `name` is no basic_auth user name: empty, or holding ':' (RFC 7617 ends the user name
// there) or a control character.
Problem basic_auth_username_problem(std::string_view name, std::string_view subject);

// When `headers` hold an Authorization header, which credentials (named by `subject`) would set
// too.
Problem authorization_header_problem(const std::vector<Header>& headers, std::string_view subject);

// The content of a body_file: a readable regular file (readable_file()) of at most
// kMaxRequestBody bytes, read whole.
Expected<std::string> request_body_file(const std::string& path);
// `text` as a tls_min_version: "1.2" or "1.3"; else "<subject> must be \"1.2\" or \"1.3\", ...".
Expected<TlsMinVersion> tls_min_version_from(std::string_view text, std::string_view subject);

// `text` as an ip_family: any, ipv4 or ipv6; else "<subject> must be any, ipv4 or ipv6, ...".
Expected<IpFamily> ip_family_from(std::string_view text, std::string_view subject);

// "<subject> must ..." when `name` is not a DNS name to send as SNI: 1 to 253 characters of
// letters, digits, '-' and '.', no empty label, not an IP address (SNI carries names only).
Problem server_name_problem(std::string_view name, std::string_view subject);

// `text` as a proxy setting: a proxy URL (checks/proxy_url.hpp), or "none" for no proxy (a
// target's way out of a default). Errors start with `subject` and never show credentials.
Expected<std::optional<ProxyUrl>> proxy_setting_from(std::string_view text,
                                                     std::string_view subject);

// When an ip_family other than any meets a proxy that resolves the target's name itself (http,
// https, socks5h): the proxy, not this host, then picks the address.
Problem proxy_ip_family_problem(const ProbeSpec& spec);

// Whether a target of `scheme` can go through a proxy: the kinds libcurl connects (http, https,
// tcp, tls); dns:// asks its server directly.
bool proxy_applies(Scheme scheme);

// When a URL whose host is an IP address of one family meets an ip_family that excludes it.
Problem ip_family_conflict_problem(const TargetUrl& url, IpFamily family);

// When exactly one of a client certificate and its key is set: mutual TLS needs both.
Problem client_pair_problem(const std::string& cert, const std::string& key);
// --- Keys of some kinds of target (daemon/config_kind_keys.hpp, `faultline check`) ---

// How many bytes `send` may hold, after its escapes are decoded.
inline constexpr std::size_t kMaxSendBytes = 64 * 1024;

// The bytes `text` stands for, with the escapes \r \n \t \\ and \xNN (two hex digits)
// decoded; "<subject>: ..." when an escape is unknown or cut, or the result is empty or longer
// than kMaxSendBytes.
Expected<std::string> send_bytes(std::string_view text, std::string_view subject);

// `value` as a record of `type` in its textual form (checks/dns_record_type.hpp); else
// "<subject>: ..." saying what a value of that type looks like.
Expected<std::string> expect_answer_value(DnsType type, std::string_view value,
                                          std::string_view subject);

}  // namespace faultline
