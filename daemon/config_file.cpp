#include "daemon/config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace faultline {
namespace {

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

std::string mib(std::uint64_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

std::string too_large(std::uint64_t bytes) {
  return "the config file is larger than " + mib(kMaxConfigFileBytes) + " (" +
         (bytes > kMaxConfigFileBytes ? mib(bytes) : std::string("it grew while being read")) +
         "); a config of 100,000 targets takes about 20 MB";
}

// Reads all of `fd` up to one byte past the limit, so that a file that grew since fstat() is
// still caught.
Expected<std::string> read_bounded(int fd) {
  std::string text;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return text;
    if (n < 0) {
      if (errno == EINTR) continue;
      return unexpected(std::string("cannot read the config file: ") + std::strerror(errno));
    }
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxConfigFileBytes) return unexpected(too_large(0));
  }
}

}  // namespace

Expected<std::string> read_config_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return unexpected(std::string("cannot read the config file: ") + std::strerror(errno));
  }
  struct stat st {};
  std::optional<std::string> problem;
  if (::fstat(fd, &st) != 0) {
    problem = std::string("cannot read the config file: ") + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "the config file is " + kind_of(st.st_mode) + ", not a regular file";
  } else if (static_cast<std::uint64_t>(st.st_size) > kMaxConfigFileBytes) {
    problem = too_large(static_cast<std::uint64_t>(st.st_size));
  }
  Expected<std::string> out =
      problem ? Expected<std::string>(unexpected(*problem)) : read_bounded(fd);
  ::close(fd);
  return out;
}

}  // namespace faultline
