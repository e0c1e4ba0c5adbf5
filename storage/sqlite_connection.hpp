// A thin RAII layer over the SQLite C API that reports failures as values. Only what storage/
// needs: a connection, prepared statements, and error text that names the cause.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "checks/expected.hpp"

namespace faultline {

// Success, or the reason for failure, for operations that produce no value.
using Status = Expected<std::monostate>;
inline Status ok_status() {
  return std::monostate{};
}

// One prepared statement. Bind, then run() or step() through the rows; either way the statement
// is reset afterwards and can be bound again. Move-only.
class SqliteStatement {
 public:
  // An empty statement, only to be assigned a prepared one.
  SqliteStatement() = default;
  explicit SqliteStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}

  // Parameter indexes are 1-based, as in SQL (?1). Binding never fails for a valid index; an
  // invalid index is a programming error that the statement's tests catch.
  void bind_int(int index, std::int64_t value);
  void bind_real(int index, double value);
  void bind_text(int index, std::string_view value);
  void bind_null(int index);
  void bind_int(int index, const std::optional<std::int64_t>& value);
  void bind_real(int index, const std::optional<double>& value);
  // Binds NULL for an empty string: "does not apply" in our tables.
  void bind_text_or_null(int index, std::string_view value);

  // Runs a statement that returns no rows (or whose rows are ignored), then resets it.
  Status run();
  // Advances to the next row: true with a row, false when done (the statement is then reset).
  Expected<bool> step();
  // Steps through every row, calling `on_row` with the statement on each; stops at the first
  // error and returns it.
  template <typename OnRow>
  Status each_row(OnRow&& on_row) {
    for (;;) {
      auto row = step();
      if (!row) return unexpected(row.error());
      if (!*row) return ok_status();
      on_row(*this);
    }
  }
  // Column accessors for the current row (0-based, as in the C API).
  std::int64_t column_int(int column) const;
  double column_real(int column) const;
  std::string column_text(int column) const;
  bool column_is_null(int column) const;
  // Abandons the current rows and clears the bindings.
  void reset();

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

// One connection. Closing is lazy (sqlite3_close_v2), so statements may outlive it. Move-only.
class SqliteConnection {
 public:
  // Opens `path` read-write, creating the file when missing; the error is SQLite's explanation
  // with the system error when there is one ("unable to open database file (EACCES: ...)").
  static Expected<SqliteConnection> open(const std::string& path);
  // Opens an existing `path` for reading only: never creates, migrates or writes it, and works
  // beside a daemon writing to it (WAL). The error is SQLite's explanation, as for open().
  static Expected<SqliteConnection> open_read_only(const std::string& path);
  // open_read_only() for a file nothing writes to while it is read: SQLite's `immutable` URI
  // parameter, so it takes no locks and creates no "-wal" or "-shm" file beside a WAL-mode
  // database (a plain read-only open leaves both behind). It reads the main file only: a "-wal"
  // file that holds commits must be read with open_read_only().
  static Expected<SqliteConnection> open_immutable(const std::string& path);

  // Runs one or more statements that return no rows.
  Status exec(std::string_view sql);
  // The first column of the first row of a query, e.g. a PRAGMA's value.
  Expected<std::int64_t> query_int(std::string_view sql);
  Expected<std::string> query_text(std::string_view sql);
  Expected<SqliteStatement> prepare(std::string_view sql);
  // True when SQLite could only open the file read-only (its permissions or its filesystem).
  bool read_only() const;
  // True when the file this connection opened is no longer the one at its path: deleted,
  // or replaced by a rename. Writes would then go on into a file nobody can see.
  bool file_moved() const;
  // The last error on this connection, with the system error for I/O failures.
  std::string error_text() const;
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, Close> db_;
};

// error_text() for any connection handle; statements use it with sqlite3_db_handle().
std::string sqlite_error_text(sqlite3* db);

}  // namespace faultline
