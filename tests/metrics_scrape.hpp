// Test helpers for the Prometheus exporter: a real HTTP scrape with libcurl, a parser for just
// enough of the text exposition format to assert values and labels, and `promtool check metrics`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace faultline::testing {

struct HttpResponse {
  long status = 0;  // 0 when no response arrived; `error` says why
  std::string body;
  std::string www_authenticate;  // the header's value, if sent
  std::string error;
  // Every response header, names in lower case (http_request() only).
  std::map<std::string, std::string> headers;
};

struct Credentials {
  std::string username;
  std::string password;
};

// GET http://HOST:PORT/PATH (blocking, 10 s timeout, never through a proxy), with basic auth
// when `credentials` is given. HOST is an IPv4 literal or a bracketed IPv6 one.
HttpResponse http_get(int port, const std::string& path = "/metrics",
                      const std::optional<Credentials>& credentials = std::nullopt,
                      const std::string& host = "127.0.0.1");

// A request with the details http_get() leaves at their defaults.
struct HttpRequest {
  std::string path = "/metrics";
  std::vector<std::string> headers;  // extra request header lines, "Name: value"
  std::string accept_encoding;       // sent as Accept-Encoding when not empty
  bool decode = true;                // false: the body as it came, still compressed
  bool http10 = false;               // an HTTP/1.0 request instead of 1.1
};

// GET http://127.0.0.1:PORT/PATH as `request` says (blocking, 30 s timeout, no proxy).
HttpResponse http_request(int port, const HttpRequest& request);

// The gunzipped `data` (zlib); fails the calling test unless it is one whole gzip stream.
std::string gunzip(const std::string& data);

using SampleLabels = std::map<std::string, std::string>;

struct Sample {
  std::string name;
  SampleLabels labels;
  double value = 0;
};

// The samples of a text exposition. Comment lines are skipped; a line that does not parse
// fails the calling test case.
std::vector<Sample> parse_exposition(const std::string& text);

// The value of the one sample with exactly this name and exactly these labels; nullopt if
// there is none.
std::optional<double> value_of(const std::vector<Sample>& samples, const std::string& name,
                               const SampleLabels& labels = {});

// Samples named `name` (any name if empty) having label `label` = `value`, whatever else.
std::vector<Sample> with_label(const std::vector<Sample>& samples, const std::string& label,
                               const std::string& value, const std::string& name = "");

struct PromtoolCheck {
  bool available = false;  // promtool was found on PATH
  int exit_status = -1;
  std::string output;  // what it printed, stdout and stderr together
};

// Pipes `exposition` through `promtool check metrics`.
PromtoolCheck promtool_check_metrics(const std::string& exposition);

}  // namespace faultline::testing
