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

#include "checks/expected.hpp"
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

// `text` as a tls_min_version: "1.2" or "1.3"; else "<subject> must be \"1.2\" or \"1.3\", ...".
Expected<TlsMinVersion> tls_min_version_from(std::string_view text, std::string_view subject);

// `text` as an ip_family: any, ipv4 or ipv6; else "<subject> must be any, ipv4 or ipv6, ...".
Expected<IpFamily> ip_family_from(std::string_view text, std::string_view subject);

// "<subject> must ..." when `name` is not a DNS name to send as SNI: 1 to 253 characters of
// letters, digits, '-' and '.', no empty label, not an IP address (SNI carries names only).
Problem server_name_problem(std::string_view name, std::string_view subject);

// When a URL whose host is an IP address of one family meets an ip_family that excludes it.
Problem ip_family_conflict_problem(const TargetUrl& url, IpFamily family);

// When exactly one of a client certificate and its key is set: mutual TLS needs both.
Problem client_pair_problem(const std::string& cert, const std::string& key);

}  // namespace faultline
