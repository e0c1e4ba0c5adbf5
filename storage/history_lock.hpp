// One writer per history file. A daemon holds a lock on "<database>.lock", beside the database,
// for as long as its store is open, so a second daemon pointed at the same storage.path refuses
// to start instead of probing the shared targets twice and mixing both histories. Readers
// (`faultline report`, `sqlite3 -readonly`) never wait for it; they may ask whether it is held.
//
// The lock is a flock() on a file of its own: the kernel drops it when the holder exits, however
// it exits, so a lock file left by a dead process blocks nobody; it belongs to the open file, not
// to the process, unlike the POSIX locks SQLite keeps on the database (which any close of the
// database file in the process would drop); and it needs no descriptor open for writing, which
// would keep the volume from being remounted read-only.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "checks/expected.hpp"

namespace faultline {

// "<db_path>.lock".
std::string history_lock_path(const std::string& db_path);

class HistoryLock {
 public:
  // Takes the lock of the database at `db_path`, creating its lock file when missing (the
  // database's folder must exist), and writes this process's pid into it. Fails when another
  // open file holds it: "in use by another faultline (pid 1234); stop it or give this one
  // another storage.path" (the pid as the holder wrote it, "pid unknown" before it did); or
  // with the reason the lock file cannot be created or locked. A holder seen for less than a
  // tenth of a second (a reader asking history_lock_holder) is waited for.
  static Expected<HistoryLock> acquire(const std::string& db_path);

  // Releases the lock; the file stays, holding the last pid, and blocks nobody.
  ~HistoryLock();
  HistoryLock(HistoryLock&& other) noexcept;
  HistoryLock& operator=(HistoryLock&& other) noexcept;
  HistoryLock(const HistoryLock&) = delete;
  HistoryLock& operator=(const HistoryLock&) = delete;

 private:
  explicit HistoryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Who holds the lock of the database at `db_path` right now: the holder's pid (0 when it has not
// written it yet), or nullopt when nobody does (no lock file, or one left by a process that is
// gone). Asking takes a shared lock for an instant and never creates or writes the file; a
// daemon starting at that instant waits for it (see acquire). Fails, saying why, when the lock
// file exists but cannot be opened (its folder or the file not readable by this user).
Expected<std::optional<pid_t>> history_lock_holder(const std::string& db_path);

}  // namespace faultline
