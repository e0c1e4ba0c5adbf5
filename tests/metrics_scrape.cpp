#include "tests/metrics_scrape.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

namespace faultline::testing {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t keep_www_authenticate(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  const std::string name = "www-authenticate:";
  std::string lower = line.substr(0, name.size());
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == name) {
    std::string value = line.substr(name.size());
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n") + 1);
    *static_cast<std::string*>(out) = value;
  }
  return size * count;
}

// Reads a quoted label value at `pos` (just after the opening quote), undoing the exposition
// format's escapes; leaves `pos` after the closing quote.
std::optional<std::string> quoted(const std::string& line, std::size_t& pos) {
  std::string out;
  while (pos < line.size()) {
    char c = line[pos++];
    if (c == '"') return out;
    if (c == '\\' && pos < line.size()) {
      char e = line[pos++];
      out += e == 'n' ? '\n' : e;
    } else {
      out += c;
    }
  }
  return std::nullopt;
}

std::optional<Sample> parse_line(const std::string& line) {
  Sample s;
  std::size_t pos = line.find_first_of("{ ");
  if (pos == std::string::npos) return std::nullopt;
  s.name = line.substr(0, pos);
  if (line[pos] == '{') {
    ++pos;
    while (pos < line.size() && line[pos] != '}') {
      std::size_t eq = line.find("=\"", pos);
      if (eq == std::string::npos) return std::nullopt;
      std::string label = line.substr(pos, eq - pos);
      pos = eq + 2;
      auto value = quoted(line, pos);
      if (!value) return std::nullopt;
      s.labels[label] = *value;
      if (pos < line.size() && line[pos] == ',') ++pos;
    }
    if (pos >= line.size()) return std::nullopt;
    ++pos;  // '}'
  }
  const char* start = line.c_str() + pos;
  char* end = nullptr;
  s.value = std::strtod(start, &end);
  if (end == start) return std::nullopt;
  return s;
}

}  // namespace

HttpResponse http_get(int port, const std::string& path,
                      const std::optional<Credentials>& credentials, const std::string& host) {
  HttpResponse r;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  REQUIRE(curl);
  const std::string url = "http://" + host + ":" + std::to_string(port) + path;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, keep_www_authenticate);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &r.www_authenticate);
  if (credentials) {
    curl_easy_setopt(curl.get(), CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(curl.get(), CURLOPT_USERNAME, credentials->username.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, credentials->password.c_str());
  }
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
    return r;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

namespace {

size_t keep_header(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n") + 1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * count;
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

HttpResponse http_request(int port, const HttpRequest& request) {
  HttpResponse r;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  REQUIRE(curl);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + request.path;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const std::string& h : request.headers)
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 30'000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, keep_header);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &r.headers);
  if (headers) curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  if (!request.accept_encoding.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_ACCEPT_ENCODING, request.accept_encoding.c_str());
  }
  curl_easy_setopt(curl.get(), CURLOPT_HTTP_CONTENT_DECODING, request.decode ? 1L : 0L);
  if (request.http10) {
    curl_easy_setopt(curl.get(), CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_0));
  }
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
    return r;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &r.status);
  if (auto it = r.headers.find("www-authenticate"); it != r.headers.end())
    r.www_authenticate = it->second;
  return r;
}

std::string gunzip(const std::string& data) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[1 << 16];
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  const uInt left = zs.avail_in;
  inflateEnd(&zs);
  REQUIRE_MESSAGE(rc == Z_STREAM_END, "gzip stream broken: zlib says " << rc);
  CHECK(left == 0);
  return out;
}

std::vector<Sample> parse_exposition(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    auto sample = parse_line(line);
    REQUIRE_MESSAGE(sample, "cannot parse exposition line: " << line);
    samples.push_back(std::move(*sample));
  }
  return samples;
}

std::optional<double> value_of(const std::vector<Sample>& samples, const std::string& name,
                               const SampleLabels& labels) {
  std::optional<double> found;
  for (const Sample& s : samples) {
    if (s.name != name || s.labels != labels) continue;
    REQUIRE_MESSAGE(!found, "two samples " << name << " with the same labels");
    found = s.value;
  }
  return found;
}

std::vector<Sample> with_label(const std::vector<Sample>& samples, const std::string& label,
                               const std::string& value, const std::string& name) {
  std::vector<Sample> out;
  for (const Sample& s : samples) {
    auto it = s.labels.find(label);
    if (it != s.labels.end() && it->second == value && (name.empty() || s.name == name))
      out.push_back(s);
  }
  return out;
}

PromtoolCheck promtool_check_metrics(const std::string& exposition) {
  PromtoolCheck check;
  check.available = std::system("command -v promtool >/dev/null 2>&1") == 0;
  if (!check.available) return check;
  char out_path[] = "/tmp/faultline-promtool-XXXXXX";
  int fd = mkstemp(out_path);
  REQUIRE(fd >= 0);
  close(fd);
  const std::string command = std::string("promtool check metrics >") + out_path + " 2>&1";
  // A promtool that exits before reading everything must fail the check, not kill the suite.
  std::signal(SIGPIPE, SIG_IGN);
  FILE* pipe = popen(command.c_str(), "w");
  REQUIRE(pipe != nullptr);
  std::fwrite(exposition.data(), 1, exposition.size(), pipe);
  int status = pclose(pipe);
  check.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(out_path);
  check.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  unlink(out_path);
  return check;
}

}  // namespace faultline::testing
