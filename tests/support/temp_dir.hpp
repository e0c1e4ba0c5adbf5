// TempDir: a private scratch folder that disappears with its owner.
#pragma once

#include <filesystem>
#include <string>

namespace faultline::testing {

// Creates a fresh folder under the system temp folder (mkdtemp, so the name is unique per
// process and call) and removes it with everything inside in the destructor. Throws
// std::system_error when the folder cannot be created. Move-only.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "faultline-test");
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }

  // path() / name, as a string.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

  // Writes `text` to path() / name through a rename, as an editor or a config tool would
  // (a reader never sees half a file); returns the path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace faultline::testing
