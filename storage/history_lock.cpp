#include "storage/history_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "checks/probe_result.hpp"

namespace faultline {
namespace {

// How often, and how far apart, acquire() tries again when the lock is taken: a reader's
// shared lock lasts microseconds, a daemon's its whole life.
constexpr int kAttempts = 10;
constexpr std::chrono::milliseconds kRetryDelay{10};

std::string errno_text(int err) {
  return std::string(std::strerror(err)) + " (" + errno_name(err) + ")";
}

// The pid the holder wrote; 0 when there is none yet (it is written right after locking).
pid_t read_pid(int fd) {
  char text[32] = {};
  const ssize_t n = pread(fd, text, sizeof text - 1, 0);
  long pid = 0;
  if (n > 0) std::from_chars(text, text + n, pid);
  return pid > 0 ? static_cast<pid_t>(pid) : 0;
}

std::string pid_text(pid_t pid) {
  return pid > 0 ? "pid " + std::to_string(pid) : "pid unknown";
}

// Replaces the file's contents with this process's pid, through a descriptor of its own: the
// locked one stays read-only. Returns 0 or the errno of what failed.
int write_pid(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno;
  const std::string pid = std::to_string(getpid()) + "\n";
  int err = 0;
  if (write(fd, pid.data(), pid.size()) != static_cast<ssize_t>(pid.size()))
    err = errno ? errno : EIO;
  if (close(fd) != 0 && err == 0) err = errno;
  return err;
}

}  // namespace

std::string history_lock_path(const std::string& db_path) {
  return db_path + ".lock";
}

Expected<HistoryLock> HistoryLock::acquire(const std::string& db_path) {
  const std::string path = history_lock_path(db_path);
  // 0644: readers of other users may ask about the lock (a UMask narrows it, as for the
  // database).
  const int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    return unexpected("cannot create the lock file '" + path + "': " + errno_text(errno));
  }
  HistoryLock lock(fd);
  for (int attempt = 1;; ++attempt) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    const int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) {
      return unexpected("cannot lock '" + path + "': " + errno_text(err));
    }
    if (attempt == kAttempts) {
      return unexpected("in use by another faultline (" + pid_text(read_pid(fd)) +
                        "); stop it or give this one another storage.path");
    }
    std::this_thread::sleep_for(kRetryDelay);
  }
  if (const int err = write_pid(path); err != 0) {
    return unexpected("cannot write the lock file '" + path + "': " + errno_text(err));
  }
  return lock;
}

HistoryLock::~HistoryLock() {
  if (fd_ >= 0) close(fd_);
}

HistoryLock::HistoryLock(HistoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

HistoryLock& HistoryLock::operator=(HistoryLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Expected<std::optional<pid_t>> history_lock_holder(const std::string& db_path) {
  const std::string path = history_lock_path(db_path);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<pid_t>{};
    return unexpected("cannot open the lock file '" + path + "': " + errno_text(errno));
  }
  std::optional<pid_t> holder;
  int err = 0;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
  } else if (errno == EWOULDBLOCK) {
    holder = read_pid(fd);
  } else {
    err = errno;
  }
  close(fd);
  if (err != 0) return unexpected("cannot test the lock file '" + path + "': " + errno_text(err));
  return holder;
}

}  // namespace faultline
