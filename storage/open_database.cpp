#include "storage/open_database.hpp"

#include <filesystem>
#include <string>
#include <system_error>

#include "storage/schema.hpp"

namespace faultline {

Expected<SqliteConnection> open_database(const StorageOptions& options) {
  const std::string prefix = "storage database '" + options.path + "': ";
  if (options.path.empty()) return unexpected("storage database: no path given");

  const std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return unexpected(prefix + "cannot create directory '" + parent.string() +
                        "': " + ec.message());
    }
  }

  auto opened = SqliteConnection::open(options.path);
  if (!opened) return unexpected(prefix + "cannot open: " + opened.error());
  SqliteConnection db = std::move(*opened);
  sqlite3_busy_timeout(db.handle(), static_cast<int>(options.busy_timeout.count()));

  // SQLite falls back to read-only when it may not write the file; say so before anything else
  // fails in a less obvious way (a WAL file's shared memory cannot be created, say).
  if (db.read_only()) {
    return unexpected(prefix +
                      "opened read-only (check the file's permissions and that its "
                      "filesystem is mounted read-write)");
  }
  // sqlite3_open_v2 reads nothing; this first read is what finds a file that is not a database.
  auto pages = db.query_int("PRAGMA page_count");
  if (!pages) return unexpected(prefix + "cannot read: " + pages.error());
  // auto_vacuum can only be chosen before the first table exists.
  if (*pages == 0) {
    if (auto s = db.exec("PRAGMA auto_vacuum = INCREMENTAL"); !s) {
      return unexpected(prefix + "cannot set auto_vacuum: " + s.error());
    }
  }
  auto mode = db.query_text("PRAGMA journal_mode = WAL");
  if (!mode) return unexpected(prefix + "cannot switch to WAL mode: " + mode.error());
  if (*mode != "wal") {
    return unexpected(prefix + "cannot switch to WAL mode (SQLite kept '" + *mode +
                      "'; WAL needs a local filesystem with shared memory)");
  }
  const std::string pragmas =
      "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; " +
      ("PRAGMA journal_size_limit = " + std::to_string(options.journal_size_limit_bytes) + ";");
  if (auto s = db.exec(pragmas); !s) return unexpected(prefix + "cannot configure: " + s.error());

  auto migrated = migrate(db);
  if (!migrated) return unexpected(prefix + migrated.error());
  return db;
}

}  // namespace faultline
