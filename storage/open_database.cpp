#include "storage/open_database.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "checks/probe_result.hpp"
#include "storage/schema.hpp"

namespace faultline {
namespace {

// Creates the folders of `folder` that are missing, outermost first, and returns them, so the
// caller can say which it made: a typo in storage.path must not pass as a silent new tree.
Expected<std::vector<std::string>> create_missing_folders(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> missing;
  std::error_code ec;
  for (auto p = folder; !p.empty() && !std::filesystem::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  std::vector<std::string> created;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (!std::filesystem::create_directory(*it, ec) && ec) {
      return unexpected("cannot create directory '" + it->string() + "': " + ec.message());
    }
    created.push_back(it->string());
  }
  // A parent that exists but is no folder fails nothing above; say it before SQLite does.
  if (!folder.empty() && !std::filesystem::is_directory(folder, ec)) {
    return unexpected("cannot create directory '" + folder.string() +
                      "': a file of that name is in the way");
  }
  return created;
}

// Why a database file could not be created in `folder`: SQLite's own error then names only
// its last attempt (a read-only open of the missing file: ENOENT).
std::string why_not_creatable(const std::filesystem::path& folder) {
  const std::string dir = folder.empty() ? "." : folder.string();
  if (access(dir.c_str(), W_OK | X_OK) == 0) return "";
  const int err = errno;
  std::string why =
      "cannot create it in '" + dir + "': " + std::strerror(err) + " (" + errno_name(err) + ")";
  if (err == EROFS) why += ": remount it read-write or point storage.path elsewhere";
  return why;
}

}  // namespace

Expected<SqliteConnection> open_database(const StorageOptions& options) {
  const std::string prefix = "storage database '" + options.path + "': ";
  if (options.path.empty()) return unexpected("storage database: no path given");

  const std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
  auto created = create_missing_folders(parent);
  if (!created) return unexpected(prefix + created.error());
  if (!created->empty()) {
    std::string list;
    for (const std::string& folder : *created)
      list += (list.empty() ? "'" : ", '") + folder + "'";
    spdlog::info("storage: created the missing folder{} {} for '{}'",
                 created->size() == 1 ? "" : "s", list, options.path);
  }

  std::error_code ec;
  const bool existed = std::filesystem::exists(options.path, ec);
  auto opened = SqliteConnection::open(options.path);
  if (!opened) {
    const std::string why = existed ? "" : why_not_creatable(parent);
    return unexpected(prefix + (why.empty() ? "cannot open: " + opened.error() : why));
  }
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
