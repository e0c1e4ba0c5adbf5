// The database schema: tables, indexes and views, versioned with PRAGMA user_version and brought
// up to date by forward migrations when the store opens. Table and column names are a contract
// with users' queries (README "Query history with sqlite3"); never rename one.
#pragma once

#include "storage/sqlite_connection.hpp"

namespace faultline {

// The schema version this build creates and writes.
inline constexpr int kSchemaVersion = 6;

// Runs every migration from the file's user_version up to kSchemaVersion in one transaction that
// also sets user_version, so an interrupted start leaves the file at its old version or the new
// one, never between. Returns the version the file had before (0 for a new file). Fails, changing
// nothing, when the file's version is newer than kSchemaVersion (written by a later faultline) or a
// migration fails.
Expected<int> migrate(SqliteConnection& db);

}  // namespace faultline
