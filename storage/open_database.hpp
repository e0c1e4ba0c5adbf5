// Opening the history database the way the store needs it: folders created, connection tuned
// (WAL, synchronous=NORMAL, busy timeout, journal_size_limit) and the schema migrated.
#pragma once

#include "storage/sqlite_connection.hpp"
#include "storage/storage_options.hpp"

namespace faultline {

// Opens options.path for writing, creating the parent folders and the file when missing, and
// migrates the schema. Folders it creates are named in one info log line. A new file gets
// auto_vacuum=INCREMENTAL so pruned space can be returned to the filesystem. Every error starts
// with "storage database '<path>': " and says what failed and why ("cannot create directory
// ...: Permission denied", "cannot create it in '<folder>': Read-only file system (EROFS)",
// "file is not a database").
Expected<SqliteConnection> open_database(const StorageOptions& options);

}  // namespace faultline
