// A private temporary directory for one test, removed with everything in it afterwards.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

namespace faultline::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("faultline-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `text` to `name` (atomically, via rename, as an editor or config tool would).
  std::string write(const std::string& name, const std::string& text) const {
    const std::string target = file(name), tmp = target + ".tmp";
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, target);
    return target;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace faultline::testing
