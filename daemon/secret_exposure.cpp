#include "daemon/secret_exposure.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <optional>

namespace faultline {
namespace {

std::optional<mode_t> mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_mode & 07777;
}

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode));
  return buf;
}

// "api, web and 3 more"
std::string some_names(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 3;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i)
    out += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > kShown) out += " and " + std::to_string(names.size() - kShown) + " more";
  return out;
}

std::string how_to_fix(const std::string& path) {
  return "restrict it: `chmod 640 " + path + "` and `chgrp` it to a group faultline runs in " +
         "(or `chmod 600` if faultline runs as its owner)";
}

// One warning per credential file of the targets (basic_auth, bearer_token_file) that every
// user of the host can read, naming the targets that use it.
void add_credential_file_warnings(const Config& config, std::vector<std::string>& out) {
  std::map<std::string, std::vector<std::string>> users;  // file -> targets
  for (const TargetConfig& t : config.targets) {
    for (const std::string& file : t.credential_files)
      users[file].push_back(t.name);
  }
  for (const auto& [file, names] : users) {
    const auto mode = mode_of(file);
    if (mode && (*mode & S_IROTH) != 0) {
      out.push_back("the credential file " + file + " (targets " + some_names(names) +
                    ") can be read by every user of this host (mode " + octal(*mode) + "); " +
                    how_to_fix(file));
    }
  }
}

}  // namespace

std::vector<std::string> secret_exposure_warnings(const Config& config) {
  std::vector<std::string> out;
  std::vector<std::string> with_headers;
  for (const TargetConfig& t : config.targets) {
    for (const Header& h : t.probe.headers) {
      if (!h.value.empty()) {
        with_headers.push_back(t.name);
        break;
      }
    }
  }
  const auto config_mode = mode_of(config.path);
  if (!with_headers.empty() && config_mode && (*config_mode & S_IROTH) != 0) {
    out.push_back(config.path + " holds header values, which may be credentials (targets " +
                  some_names(with_headers) + "), and every user of this host can read it (mode " +
                  octal(*config_mode) + "); " + how_to_fix(config.path));
  }
  std::vector<std::string> with_proxy_credentials;
  for (const TargetConfig& t : config.targets) {
    const auto& proxy = t.probe.proxy;
    if (proxy && (!proxy->username.empty() || !proxy->password.empty())) {
      with_proxy_credentials.push_back(t.name);
    }
  }
  if (!with_proxy_credentials.empty() && config_mode && (*config_mode & S_IROTH) != 0) {
    out.push_back(config.path + " holds proxy credentials (targets " +
                  some_names(with_proxy_credentials) +
                  "), and every user of this host can read it (mode " + octal(*config_mode) +
                  "); " + how_to_fix(config.path));
  }
  add_credential_file_warnings(config, out);
  if (config.metrics.basic_auth) {
    const std::string& file = config.metrics.basic_auth->password_file;
    const auto mode = mode_of(file);
    if (mode && (*mode & S_IROTH) != 0) {
      out.push_back("the metrics password file " + file +
                    " can be read by every user of this host (mode " + octal(*mode) + "); " +
                    how_to_fix(file));
    }
  }
  return out;
}

}  // namespace faultline
