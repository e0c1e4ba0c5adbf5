#include "storage/sqlite_connection.hpp"

#include <cctype>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "checks/probe_result.hpp"

namespace faultline {

std::string sqlite_error_text(sqlite3* db) {
  if (db == nullptr) return "out of memory";
  std::string text = sqlite3_errmsg(db);
  // The system errno is only meaningful after I/O-level failures; after others it is stale.
  switch (sqlite3_errcode(db) & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOTADB:
      if (int err = sqlite3_system_errno(db); err != 0) {
        text += " (" + errno_name(err) + ": " + std::strerror(err) + ")";
      }
      break;
    default:
      break;
  }
  return text;
}

void SqliteStatement::bind_int(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
}

void SqliteStatement::bind_real(int index, double value) {
  sqlite3_bind_double(stmt_.get(), index, value);
}

void SqliteStatement::bind_text(int index, std::string_view value) {
  sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
}

void SqliteStatement::bind_null(int index) {
  sqlite3_bind_null(stmt_.get(), index);
}

void SqliteStatement::bind_int(int index, const std::optional<std::int64_t>& value) {
  if (value) {
    bind_int(index, *value);
  } else {
    bind_null(index);
  }
}

void SqliteStatement::bind_real(int index, const std::optional<double>& value) {
  if (value) {
    bind_real(index, *value);
  } else {
    bind_null(index);
  }
}

void SqliteStatement::bind_text_or_null(int index, std::string_view value) {
  if (value.empty()) {
    bind_null(index);
  } else {
    bind_text(index, value);
  }
}

Status SqliteStatement::run() {
  int rc;
  do {
    rc = sqlite3_step(stmt_.get());
  } while (rc == SQLITE_ROW);
  if (rc != SQLITE_DONE) {
    // sqlite3_reset repeats the step's error code; the message must be read before clearing.
    std::string error = sqlite_error_text(sqlite3_db_handle(stmt_.get()));
    reset();
    return unexpected(std::move(error));
  }
  reset();
  return ok_status();
}

Expected<bool> SqliteStatement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    reset();
    return false;
  }
  std::string error = sqlite_error_text(sqlite3_db_handle(stmt_.get()));
  reset();
  return unexpected(std::move(error));
}

std::int64_t SqliteStatement::column_int(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

double SqliteStatement::column_real(int column) const {
  return sqlite3_column_double(stmt_.get(), column);
}

std::string SqliteStatement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)));
}

bool SqliteStatement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

Expected<SqliteConnection> SqliteConnection::open(const std::string& path) {
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (handed over, never shared).
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteConnection conn(raw);
  if (rc != SQLITE_OK) return unexpected(sqlite_error_text(raw));
  sqlite3_extended_result_codes(raw, 1);
  return conn;
}

Expected<SqliteConnection> SqliteConnection::open_read_only(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteConnection conn(raw);
  if (rc != SQLITE_OK) return unexpected(sqlite_error_text(raw));
  sqlite3_extended_result_codes(raw, 1);
  return conn;
}

namespace {

// A `file:` URI for `path`: absolute, with every byte outside the unreserved characters and '/'
// percent-encoded, so a '?', '#' or '%' in a file name stays part of the name.
std::string file_uri(const std::string& path) {
  std::error_code ec;
  std::string absolute = std::filesystem::absolute(path, ec).string();
  if (ec) absolute = path;
  std::string uri = "file://";
  for (const char c : absolute) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || std::strchr("/._-~", c) != nullptr) {
      uri += c;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[u >> 4];
      uri += kHex[u & 0xf];
    }
  }
  return uri;
}

}  // namespace

Expected<SqliteConnection> SqliteConnection::open_immutable(const std::string& path) {
  sqlite3* raw = nullptr;
  const std::string uri = file_uri(path) + "?mode=ro&immutable=1";
  int rc = sqlite3_open_v2(uri.c_str(), &raw,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteConnection conn(raw);
  if (rc != SQLITE_OK) return unexpected(sqlite_error_text(raw));
  sqlite3_extended_result_codes(raw, 1);
  return conn;
}

Status SqliteConnection::exec(std::string_view sql) {
  const std::string text(sql);
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return unexpected(error_text());
  }
  return ok_status();
}

Expected<SqliteStatement> SqliteConnection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  // PERSISTENT: these statements live as long as the connection and are reused for every batch.
  if (sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    return unexpected(error_text());
  }
  return SqliteStatement(stmt);
}

Expected<std::int64_t> SqliteConnection::query_int(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt) return unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return unexpected(row.error());
  if (!*row) return unexpected("no row from: " + std::string(sql));
  std::int64_t value = stmt->column_int(0);
  stmt->reset();
  return value;
}

Expected<std::string> SqliteConnection::query_text(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt) return unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return unexpected(row.error());
  if (!*row) return unexpected("no row from: " + std::string(sql));
  std::string value = stmt->column_text(0);
  stmt->reset();
  return value;
}

bool SqliteConnection::read_only() const {
  return sqlite3_db_readonly(db_.get(), "main") == 1;
}

bool SqliteConnection::file_moved() const {
  int moved = 0;
  return sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK &&
         moved != 0;
}

std::string SqliteConnection::error_text() const {
  return sqlite_error_text(db_.get());
}

}  // namespace faultline
