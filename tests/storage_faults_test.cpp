// The faults of issue 5: a database that cannot be written (locked past the busy timeout, a full
// disk, a read-only volume), a reader holding a snapshot for a long time, and a kill -9 in the
// middle of heavy writing. In each the store must keep accepting results without blocking,
// lose nothing it can keep, count what it cannot, and recover by itself.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"
#include "tests/support/skip_test.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr std::int64_t kBase = 1714564800000;  // 2024-05-01T12:00:00Z

std::unique_ptr<SqliteStore> open_store(const StorageOptions& options) {
  auto store = SqliteStore::open(options);
  REQUIRE_MESSAGE(store, store.error());
  return std::move(*store);
}

ProbeResult failure_at(std::int64_t t, std::size_t message_bytes = 0) {
  ProbeResult r = refused_result(t);
  if (message_bytes > 0) r.message = std::string(message_bytes, 'm');
  return r;
}

std::int64_t file_size(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

// Child-side checks report the first failure as text (doctest is not usable after fork).
#define CHILD_CHECK(cond, what) \
  if (!(cond)) return std::string(what) + " [" #cond "] at line " + std::to_string(__LINE__)

}  // namespace

TEST_CASE("storage faults: locked past the busy timeout, rows stay queued up to the bound") {
  TempDir dir;
  StorageOptions options = fast_options(dir.file("h.db"));
  options.busy_timeout = std::chrono::milliseconds(1000);
  options.queue_capacity = 50;
  auto store = open_store(options);
  const TargetInfo api = make_target("api");
  store->on_targets({&api});
  for (int i = 0; i < 5; ++i)
    store->on_result(api, failure_at(kBase + i));
  store->flush(std::chrono::seconds(10));
  REQUIRE(store->stats().queue_rows == 0);

  TestDb locker(options.path);
  REQUIRE(locker.exec("BEGIN IMMEDIATE") == "");  // a shell user's write transaction
  // The writer now sits in SQLite's busy handler for a second at a time; the loop side must not.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 100; i < 300; ++i)
    store->on_result(api, failure_at(kBase + i));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
  CHECK(eventually([&] { return store->stats().write_errors_total >= 2; },
                   std::chrono::seconds(20)));  // retried after the backoff
  StorageStats during = store->stats();
  CHECK(during.queue_rows == 50);
  CHECK(during.rows_dropped_total == 150);

  REQUIRE(locker.exec("ROLLBACK") == "");
  store->flush(std::chrono::seconds(10));
  StorageStats after = store->stats();
  CHECK(after.queue_rows == 0);
  CHECK(after.rows_dropped_total == 150);
  // The newest rows were kept, the oldest dropped; the first five were written before the lock.
  CHECK(locker.scalar("SELECT count(*) FROM failures") == 55);
  CHECK(locker.scalar("SELECT min(time) FROM failures WHERE time >= " +
                      std::to_string(kBase + 100)) == kBase + 250);
  CHECK(locker.scalar("SELECT sum(probes) FROM rollups") == 55);
}

TEST_CASE("storage faults: a reader holding a snapshot never stalls writes, and the WAL shrinks") {
  TempDir dir;
  StorageOptions options = fast_options(dir.file("h.db"));
  options.journal_size_limit_bytes = std::int64_t{512} * 1024;
  auto store = open_store(options);
  const TargetInfo api = make_target("api");
  store->on_targets({&api});
  store->flush(std::chrono::seconds(10));

  TestDb reader(options.path);
  REQUIRE(reader.exec("BEGIN") == "");
  const std::int64_t seen_before = reader.scalar("SELECT count(*) FROM failures");

  auto slowest_flush = std::chrono::steady_clock::duration::zero();
  std::int64_t t = kBase;
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 100; ++i)
      store->on_result(api, failure_at(t++, 1000));
    const auto start = std::chrono::steady_clock::now();
    store->flush(std::chrono::seconds(10));
    slowest_flush = std::max(slowest_flush, std::chrono::steady_clock::now() - start);
    REQUIRE(store->stats().queue_rows == 0);
  }
  CHECK(slowest_flush < std::chrono::seconds(2));  // milliseconds in practice
  CHECK(store->stats().write_errors_total == 0);
  // The snapshot is stable, and it is what kept the checkpoints from resetting the WAL.
  CHECK(reader.scalar("SELECT count(*) FROM failures") == seen_before);
  const std::int64_t wal_while_reading = file_size(options.path + "-wal");
  CHECK(wal_while_reading > options.journal_size_limit_bytes);
  MESSAGE("WAL while a reader held its snapshot over 4000 rows: " << wal_while_reading << " bytes");

  REQUIRE(reader.exec("COMMIT") == "");
  // Once the reader is gone a passive checkpoint catches up and the next commit restarts the WAL
  // and trims it to journal_size_limit.
  CHECK(eventually(
      [&] {
        store->on_result(api, failure_at(t++));
        return file_size(options.path + "-wal") <= options.journal_size_limit_bytes;
      },
      std::chrono::seconds(20)));
  store->flush(std::chrono::seconds(10));
  CHECK(reader.scalar("SELECT count(*) FROM failures") == t - kBase);
}

TEST_CASE("storage faults: a full disk keeps rows queued and recovers when space returns") {
  if (geteuid() != 0) {
    skip_test("mounting a small tmpfs needs root (CI runs as root)");
    return;
  }
  TempDir dir;
  NetnsResult child = run_on_tmpfs(dir.path().string(), 8 << 20, [&]() -> std::string {
    StorageOptions options = fast_options(dir.file("h.db"));
    auto opened = SqliteStore::open(options);
    CHILD_CHECK(opened, "open: " + opened.error());
    SqliteStore& store = **opened;
    const TargetInfo api = make_target("api");
    store.on_targets({&api});
    std::int64_t t = kBase;
    for (int i = 0; i < 100; ++i)
      store.on_result(api, failure_at(t++, 200));
    store.flush(std::chrono::seconds(10));
    CHILD_CHECK(store.stats().queue_rows == 0, "first rows not written");

    // Fill the filesystem to the last byte.
    const std::string filler = dir.file("filler");
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT, 0644);
    CHILD_CHECK(fd >= 0, "creating filler");
    const std::string chunk(4096, 'f');
    while (write(fd, chunk.data(), chunk.size()) > 0) {
    }
    close(fd);

    for (int i = 0; i < 3000; ++i)
      store.on_result(api, failure_at(t++, 500));
    CHILD_CHECK(
        eventually([&] { return store.stats().write_errors_total >= 2; }, std::chrono::seconds(20)),
        "no write error on a full disk");
    CHILD_CHECK(store.stats().queue_rows > 0, "rows not kept while the disk is full");
    CHILD_CHECK(store.stats().rows_dropped_total == 0, "rows dropped below the bound");

    std::filesystem::remove(filler);
    store.flush(std::chrono::seconds(20));
    const StorageStats s = store.stats();
    CHILD_CHECK(s.queue_rows == 0, "not recovered: " + std::to_string(s.queue_rows) + " queued");
    TestDb db(options.path);
    CHILD_CHECK(db.scalar("SELECT count(*) FROM failures") == t - kBase, "rows lost");
    CHILD_CHECK(db.rows("PRAGMA integrity_check")[0][0] == "ok", "integrity");
    return "";
  });
  CHECK_MESSAGE(child.ok(), child.describe());
}

TEST_CASE("storage faults: a volume that turns read-only keeps rows queued until it is writable") {
  if (geteuid() != 0) {
    skip_test("remounting a filesystem read-only needs root (CI runs as root)");
    return;
  }
  TempDir dir;
  NetnsResult child = run_on_tmpfs(dir.path().string(), 16 << 20, [&]() -> std::string {
    // The store sees the tmpfs through a bind mount of its own, which alone is made read-only.
    // The kernel refuses to remount a mount read-only while a file on it is open for writing,
    // so the store's connection has to be closed first: a shell's write lock (on the other
    // mount) makes the writer fail, and after a failure it reconnects, meeting the read-only
    // mount like a daemon whose volume was remounted read-only after an error.
    const std::string backing = dir.file("backing");
    const std::string seen = dir.file("seen");
    std::filesystem::create_directory(backing);
    std::filesystem::create_directory(seen);
    CHILD_CHECK(mount(backing.c_str(), seen.c_str(), nullptr, MS_BIND, nullptr) == 0,
                std::string("bind mount: ") + strerror(errno));

    StorageOptions options = fast_options(seen + "/h.db");
    options.busy_timeout = std::chrono::milliseconds(100);
    auto opened = SqliteStore::open(options);
    CHILD_CHECK(opened, "open: " + opened.error());
    SqliteStore& store = **opened;
    const TargetInfo api = make_target("api");
    store.on_targets({&api});
    std::int64_t t = kBase;
    store.on_result(api, failure_at(t++));
    store.flush(std::chrono::seconds(10));

    // The lock is held by another process: SQLite keeps a closed connection's descriptors
    // open while its own process holds locks on the same file, which would pin the mount.
    FILE* shell = popen(("sqlite3 " + backing + "/h.db >/dev/null").c_str(), "w");
    CHILD_CHECK(shell != nullptr, "starting sqlite3");
    std::fputs("BEGIN IMMEDIATE;\n", shell);
    std::fflush(shell);
    store.on_result(api, failure_at(t++));
    CHILD_CHECK(
        eventually([&] { return store.stats().write_errors_total >= 1; }, std::chrono::seconds(20)),
        "no failure while locked");
    bool read_only = eventually(
        [&] {
          return mount(nullptr, seen.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) ==
                 0;
        },
        std::chrono::seconds(20));
    CHILD_CHECK(read_only, std::string("remount read-only: ") + strerror(errno));
    std::fputs("ROLLBACK;\n.quit\n", shell);
    CHILD_CHECK(pclose(shell) == 0, "sqlite3 failed");

    const std::uint64_t errors = store.stats().write_errors_total;
    for (int i = 0; i < 50; ++i)
      store.on_result(api, failure_at(t++));
    CHILD_CHECK(eventually([&] { return store.stats().write_errors_total >= errors + 2; },
                           std::chrono::seconds(20)),
                "no write error on a read-only mount");
    CHILD_CHECK(store.stats().queue_rows == 51, "rows not kept while read-only");

    CHILD_CHECK(mount(nullptr, seen.c_str(), nullptr, MS_REMOUNT | MS_BIND, nullptr) == 0,
                std::string("remount read-write: ") + strerror(errno));
    store.flush(std::chrono::seconds(20));
    CHILD_CHECK(store.stats().queue_rows == 0, "not recovered after remounting read-write");
    TestDb db(backing + "/h.db");
    CHILD_CHECK(db.scalar("SELECT count(*) FROM failures") == t - kBase, "rows lost");
    CHILD_CHECK(store.stats().rows_dropped_total == 0, "rows dropped");
    return "";
  });
  CHECK_MESSAGE(child.ok(), child.describe());
}

TEST_CASE("storage faults: kill -9 during heavy writing loses at most the unflushed tail") {
  TempDir dir;
  StorageOptions options = fast_options(dir.file("h.db"));
  options.flush_interval = std::chrono::milliseconds(20);
  options.max_batch_rows = 2000;

  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);  // or the child's exit would print the parent's buffered output again
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child writes as fast as the store takes rows, without ever letting the queue overflow
    // (so every loss is the kill's), and reports how many rows were committed.
    close(fds[0]);
    auto store = SqliteStore::open(options);
    if (!store) _exit(2);
    const TargetInfo api = make_target("api");
    (*store)->on_targets({&api});
    for (std::int64_t i = 0;; ++i) {
      while ((*store)->stats().queue_rows > 20'000)
        std::this_thread::yield();
      (*store)->on_result(api, failure_at(kBase + i, 100));
      if (i % 500 == 0) {
        const std::uint64_t written = (*store)->stats().rows_written_total;
        if (write(fds[1], &written, sizeof written) != sizeof written) _exit(3);
      }
    }
  }
  close(fds[1]);
  std::uint64_t committed = 0;
  std::uint64_t report = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (committed < 50'000 && std::chrono::steady_clock::now() < deadline &&
         read(fds[0], &report, sizeof report) == sizeof report) {
    committed = report;
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  // Reports already in the pipe were sent before the kill: they count too.
  while (read(fds[0], &report, sizeof report) == sizeof report)
    committed = std::max(committed, report);
  close(fds[0]);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE_MESSAGE(committed >= 10'000, "the child wrote too little before the kill");

  TestDb db(options.path);
  CHECK(db.rows("PRAGMA integrity_check")[0][0] == "ok");
  const std::int64_t rows = db.scalar("SELECT count(*) FROM failures");
  // A prefix of what was enqueued: no gaps, nothing out of order, nothing duplicated.
  CHECK(db.scalar("SELECT min(time) FROM failures") == kBase);
  CHECK(db.scalar("SELECT max(time) FROM failures") == kBase + rows - 1);
  CHECK(db.scalar("SELECT count(DISTINCT time) FROM failures") == rows);
  // Everything reported committed is there (rows_written_total counts the targets row too).
  CHECK(rows >= static_cast<std::int64_t>(committed) - 1);
  // Rollups commit in the same transaction as their failures.
  CHECK(db.scalar("SELECT sum(probes) FROM rollups") == rows);
  MESSAGE("kill -9 after " << committed << " rows reported committed; " << rows << " in the file");
}
