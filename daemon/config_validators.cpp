#include "daemon/config_validators.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "checks/byte_size.hpp"
#include "checks/printable.hpp"
#include "daemon/duration.hpp"
#include "exporters/own_labels.hpp"

namespace faultline {
namespace {

namespace fs = std::filesystem;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_http_token(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return is_alnum(c) || kSpecials.find(c) != std::string_view::npos;
  });
}

bool is_label_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '_'; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Characters (code points) in `s`; nullopt when it is not UTF-8 or holds a control character.
std::optional<std::size_t> text_length(std::string_view s) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++chars) {
    const std::size_t len = utf8_char_length(s, i);
    if (len == 0) return std::nullopt;
    const auto c = static_cast<unsigned char>(s[i]);
    if (len == 1 && (c < 0x20 || c == 0x7f)) return std::nullopt;
    i += len;
  }
  return chars;
}

std::string error_text(int error) {
  return std::strerror(error);
}

// A path whose stat() fails for want of the file or of a folder above it.
bool missing(int error) {
  return error == ENOENT || error == ENOTDIR;
}

// "cannot create FOLDER": the nearest path above it that exists must be a writable folder.
Problem creatable_folder_problem(const fs::path& folder) {
  fs::path existing = folder;
  struct stat st {};
  while (::stat(existing.c_str(), &st) != 0) {
    if (!missing(errno) || !existing.has_relative_path()) {
      return "cannot create " + printable(folder.string()) + ": " + error_text(errno);
    }
    existing = existing.parent_path();
  }
  const std::string create = "cannot create " + printable(folder.string()) + ": ";
  if (!S_ISDIR(st.st_mode)) return create + printable(existing.string()) + " is not a directory";
  if (::access(existing.c_str(), W_OK | X_OK) != 0) {
    return create + printable(existing.string()) + " is not writable (" + error_text(errno) +
           "); create " + printable(folder.string()) +
           " for the user faultline runs as, or point storage.path elsewhere";
  }
  return std::nullopt;
}

Problem writable_folder_problem(const fs::path& folder, const struct stat& st) {
  if (!S_ISDIR(st.st_mode)) {
    return "cannot create the history in " + printable(folder.string()) + ": not a directory";
  }
  if (::access(folder.c_str(), W_OK | X_OK) == 0) return std::nullopt;
  if (errno == EROFS) {
    return printable(folder.string()) +
           " is on a read-only filesystem; mount it read-write or point storage.path elsewhere";
  }
  return "cannot create files in " + printable(folder.string()) + " (" + error_text(errno) +
         "), where SQLite keeps the history and its journal; make it writable by the user "
         "faultline runs as, or point storage.path elsewhere";
}

Problem existing_database_problem(const std::string& path, const struct stat& st) {
  if (S_ISDIR(st.st_mode)) {
    return printable(path) + " is a directory; name the history file in it, e.g. " +
           printable((fs::path(path) / "faultline.db").string());
  }
  if (!S_ISREG(st.st_mode)) {
    return printable(path) +
           " is not a regular file (a device, pipe or socket); name a file for the SQLite history";
  }
  if (::access(path.c_str(), R_OK | W_OK) == 0) return std::nullopt;
  if (errno == EROFS) {
    return printable(path) +
           " is on a read-only filesystem; mount it read-write or point storage.path elsewhere";
  }
  return "cannot write " + printable(path) + " (" + error_text(errno) +
         "); give it to the user faultline runs as, or point storage.path elsewhere";
}

// A readable regular file (readable_file()), read up to one byte past `limit`: the caller says
// in its own words that a longer result is too much, and nothing larger is ever held.
Expected<std::string> read_at_most(const std::string& path, std::size_t limit) {
  auto file = readable_file(path);
  if (!file) return unexpected(file.error());
  std::ifstream in(path, std::ios::binary);
  std::string text(limit + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return unexpected("cannot read " + printable(path) + ": " + error_text(errno));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

}  // namespace

Problem target_name_problem(std::string_view name) {
  if (name.empty()) return "a target name must not be empty";
  if (!std::all_of(name.begin(), name.end(),
                   [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; })) {
    return "target name " + quote(name) + " may only hold letters, digits, '_', '.' and '-'";
  }
  if (name.size() > kMaxTargetNameChars) {
    return "target name " + quote(name) + " is " + std::to_string(name.size()) +
           " characters long; at most " + std::to_string(kMaxTargetNameChars) +
           " are allowed (it becomes the 'target' label of every series)";
  }
  return std::nullopt;
}

Problem label_name_problem(std::string_view name) {
  if (!is_label_name(name) || name.starts_with("__")) {
    return "label name " + quote(name) +
           " is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)";
  }
  if (reserved_for_target_labels(name)) {
    return "label name " + quote(name) + " is reserved: faultline sets it itself";
  }
  return std::nullopt;
}

Problem label_value_problem(std::string_view value, std::string_view subject) {
  const auto chars = text_length(value);
  if (!chars) return std::string(subject) + " must be UTF-8 text without control characters";
  if (*chars > kMaxLabelValueChars) {
    return std::string(subject) + " must be at most " + std::to_string(kMaxLabelValueChars) +
           " characters long, not " + std::to_string(*chars);
  }
  return std::nullopt;
}

Problem http_method_problem(std::string_view method, std::string_view subject) {
  if (method.empty()) return std::string(subject) + " must not be empty";
  if (!is_http_token(method)) {
    return std::string(subject) + " must be an HTTP method such as GET or HEAD, not " +
           quote(method);
  }
  return std::nullopt;
}

Problem header_name_problem(std::string_view name) {
  if (is_http_token(name)) return std::nullopt;
  return "header name " + quote(name) + " is not a valid HTTP header name";
}

Problem header_value_problem(std::string_view name, std::string_view value) {
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    return "header " + quote(name) + " has a line break in its value";
  }
  if (value.find('\0') != std::string_view::npos) {
    return "header " + quote(name) + " has a NUL byte in its value";
  }
  return std::nullopt;
}

Problem duplicate_header_problem(const std::vector<Header>& earlier, std::string_view name) {
  const std::string key = lower(name);
  for (const Header& h : earlier) {
    if (lower(h.name) == key) return "duplicate header " + quote(name);
  }
  return std::nullopt;
}

Expected<std::chrono::milliseconds> duration_at_least(std::string_view text,
                                                      std::chrono::milliseconds minimum,
                                                      std::string_view subject) {
  auto d = parse_duration(text);
  if (!d) return unexpected(std::string(subject) + ": " + d.error());
  if (*d >= minimum) return *d;
  if (minimum == std::chrono::milliseconds(1)) {
    return unexpected(std::string(subject) + " must be positive, got " + format_duration(*d));
  }
  return unexpected(std::string(subject) + " must be at least " + format_duration(minimum) +
                    ", got " + format_duration(*d));
}

Expected<std::string> readable_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return unexpected("cannot read " + printable(path) + ": " + error_text(errno));
  }
  if (S_ISDIR(st.st_mode)) return unexpected(printable(path) + " is a directory, not a file");
  if (!S_ISREG(st.st_mode)) {
    return unexpected(printable(path) + " is not a regular file (a device, pipe or socket)");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return unexpected("cannot read " + printable(path) + ": " + error_text(errno));
  ::close(fd);
  if (st.st_size == 0) return unexpected(printable(path) + " is empty");
  return path;
}

Problem blank_password_file_problem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c)) {
    if (!std::isspace(static_cast<unsigned char>(c))) return std::nullopt;
  }
  if (in.bad()) return "cannot read " + printable(path) + ": " + error_text(errno);
  return printable(path) + " holds no password, only white space";
}

Problem storage_path_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return existing_database_problem(path, st);
  if (!missing(errno)) return "cannot use " + printable(path) + ": " + error_text(errno);
  const fs::path folder = fs::path(path).parent_path();
  if (::stat(folder.c_str(), &st) == 0) return writable_folder_problem(folder, st);
  if (!missing(errno)) return "cannot use " + printable(folder.string()) + ": " + error_text(errno);
  return creatable_folder_problem(folder);
}

Expected<Pattern> pattern_value(std::string_view text, std::string_view subject,
                                std::size_t* error_at, PatternSubject what) {
  auto compiled = Pattern::compile(text, what);
  if (compiled) return *compiled;
  const std::size_t at = compiled.error().offset + 1;
  if (error_at != nullptr) *error_at = at;
  return unexpected(std::string(subject) + ": pattern " + quote(text) +
                    " is not a valid regular expression: at character " + std::to_string(at) +
                    ", " + compiled.error().message);
}

Expected<std::size_t> body_limit_value(std::string_view text, std::string_view subject) {
  auto size = parse_byte_size(text);
  if (!size) return unexpected(std::string(subject) + ": " + size.error());
  if (*size == 0 || *size > kMaxBodyLimit) {
    return unexpected(std::string(subject) + " must be from 1B to " +
                      byte_size_text(kMaxBodyLimit) + ", got " + printable(text));
  }
  return *size;
}

Problem request_body_problem(std::string_view method, std::size_t size, std::string_view subject) {
  if (method == "GET" || method == "HEAD") {
    return std::string(subject) + " needs a method that sends a body, such as POST or PUT; " +
           std::string(method) + " sends none";
  }
  if (size > kMaxRequestBody) {
    return std::string(subject) + " is " + std::to_string(size) + " bytes; at most " +
           byte_size_text(kMaxRequestBody) + " is sent";
  }
  return std::nullopt;
}

Expected<std::string> request_body_file(const std::string& path) {
  auto body = read_at_most(path, kMaxRequestBody);
  if (!body) return body;
  if (body->size() > kMaxRequestBody) {
    return unexpected(printable(path) + " holds more than " + byte_size_text(kMaxRequestBody) +
                      ", the most a request body may be");
  }
  return body;
}

Expected<std::string> credential_file(const std::string& path) {
  constexpr std::size_t kMaxCredential = 4096;
  auto read = read_at_most(path, kMaxCredential);
  if (!read) return read;
  std::string text = std::move(*read);
  if (text.size() > kMaxCredential) {
    return unexpected(printable(path) + " holds more than 4 KiB, too much for a credential");
  }
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.back()))
    text.pop_back();
  text.erase(0, static_cast<std::size_t>(std::find_if_not(text.begin(), text.end(), space) -
                                         text.begin()));
  if (text.empty()) return unexpected(printable(path) + " holds no credential, only white space");
  const bool control = std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control) {
    return unexpected(printable(path) +
                      " holds a line break or another control character inside its credential "
                      "(not shown); write it on one line");
  }
  return text;
}

Problem basic_auth_username_problem(std::string_view name, std::string_view subject) {
  if (name.empty()) return std::string(subject) + " must not be empty";
  if (name.find(':') != std::string_view::npos) {
    return std::string(subject) + " must not contain ':', which ends a basic_auth user name";
  }
  if (!text_length(name)) {
    return std::string(subject) + " must be UTF-8 text without control characters";
  }
  return std::nullopt;
}

Problem authorization_header_problem(const std::vector<Header>& headers, std::string_view subject) {
  const bool has = std::any_of(headers.begin(), headers.end(),
                               [](const Header& h) { return lower(h.name) == "authorization"; });
  if (!has) return std::nullopt;
  return std::string(subject) +
         " and an Authorization header both set the Authorization header; keep one";
}

Expected<TlsMinVersion> tls_min_version_from(std::string_view text, std::string_view subject) {
  if (text == "1.2") return TlsMinVersion::tls1_2;
  if (text == "1.3") return TlsMinVersion::tls1_3;
  return Unexpected<std::string>{std::string(subject) + " must be \"1.2\" or \"1.3\", not " +
                                 quote(text)};
}

Expected<IpFamily> ip_family_from(std::string_view text, std::string_view subject) {
  if (text == "any") return IpFamily::any;
  if (text == "ipv4") return IpFamily::ipv4;
  if (text == "ipv6") return IpFamily::ipv6;
  return Unexpected<std::string>{std::string(subject) + " must be any, ipv4 or ipv6, not " +
                                 quote(text)};
}

Expected<std::optional<ProxyUrl>> proxy_setting_from(std::string_view text,
                                                     std::string_view subject) {
  if (text == "none") return std::optional<ProxyUrl>{};
  auto proxy = parse_proxy_url(text);
  if (!proxy) return Unexpected<std::string>{std::string(subject) + ": " + proxy.error()};
  return std::optional<ProxyUrl>{std::move(*proxy)};
}

bool proxy_applies(Scheme scheme) {
  return scheme == Scheme::http || scheme == Scheme::https || scheme == Scheme::tcp ||
         scheme == Scheme::tls;
}

Problem proxy_ip_family_problem(const ProbeSpec& spec) {
  if (!spec.proxy || !spec.proxy->resolves_target_name() || spec.ip_family == IpFamily::any ||
      spec.url.host_is_ip) {
    return std::nullopt;
  }
  return "ip_family " + std::string(to_string(spec.ip_family)) + " cannot apply through the " +
         std::string(to_string(spec.proxy->scheme)) + " proxy " + spec.proxy->text +
         ", which resolves the target's name itself; use a socks5:// proxy to have this host "
         "resolve it";
}

Problem server_name_problem(std::string_view name, std::string_view subject) {
  const std::string must = std::string(subject) + " must be a DNS name";
  if (name.empty() || name.size() > 253) return must + " of 1 to 253 characters";
  const bool allowed = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
  });
  if (!allowed) return must + " (letters, digits, '-' and '.'), not " + quote(name);
  if (name.front() == '.' || name.find("..") != std::string_view::npos)
    return must + " without empty labels, not " + quote(name);
  in6_addr v6{};
  in_addr v4{};
  const std::string text(name);
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1)
    return must + ", not an IP address (TLS sends names only): " + quote(name);
  return std::nullopt;
}

Problem ip_family_conflict_problem(const TargetUrl& url, IpFamily family) {
  if (!url.host_is_ip || family == IpFamily::any) return std::nullopt;
  const bool is_v6 = url.host.find(':') != std::string::npos;
  if (family_allows(family, is_v6 ? AF_INET6 : AF_INET)) return std::nullopt;
  return "ip_family: " + std::string(to_string(family)) + " excludes the URL's address " +
         quote(url.host);
}

Problem client_pair_problem(const std::string& cert, const std::string& key) {
  if (cert.empty() == key.empty()) return std::nullopt;
  return cert.empty() ? std::string("client_key needs a client_cert (both or neither)")
                      : std::string("client_cert needs a client_key (both or neither)");
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Expected<std::string> send_bytes(std::string_view text, std::string_view subject) {
  const std::string who(subject);
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    const char e = i + 1 < text.size() ? text[i + 1] : '\0';
    if (e == 'r' || e == 'n' || e == 't' || e == '\\') {
      out += e == 'r' ? '\r' : e == 'n' ? '\n' : e == 't' ? '\t' : '\\';
      ++i;
    } else if (e == 'x' && i + 3 < text.size() && hex_value(text[i + 2]) >= 0 &&
               hex_value(text[i + 3]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 2]) * 16 + hex_value(text[i + 3]));
      i += 3;
    } else {
      return unexpected(who + ": unknown escape " + quote(text.substr(i, 4)) +
                        "; use \\r, \\n, \\t, \\\\ or \\xNN");
    }
  }
  if (out.empty()) return unexpected(who + " must not be empty");
  if (out.size() > kMaxSendBytes) {
    return unexpected(who + " must be at most " + std::to_string(kMaxSendBytes) + " bytes, got " +
                      std::to_string(out.size()));
  }
  return out;
}

Expected<std::string> expect_answer_value(DnsType type, std::string_view value,
                                          std::string_view subject) {
  auto normal = normalise_dns_value(type, value);
  if (!normal) {
    return unexpected(std::string(subject) + " (type " + std::string(to_string(type)) +
                      "): " + normal.error());
  }
  return normal;
}

}  // namespace faultline
