// SqliteStatement::each_row, which every reader of the history uses to walk its rows.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "storage/sqlite_connection.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;

TEST_CASE("sqlite statement: each_row visits every row in order, and stops at an error") {
  testing::TempDir dir("statement");
  auto db = SqliteConnection::open(dir.file("t.db"));
  REQUIRE_MESSAGE(db, db.error());
  REQUIRE(db->exec("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);"));

  auto st = db->prepare("SELECT n FROM t ORDER BY n");
  REQUIRE(st);
  std::vector<std::int64_t> seen;
  CHECK(st->each_row([&](const SqliteStatement& row) { seen.push_back(row.column_int(0)); }));
  CHECK(seen == std::vector<std::int64_t>{1, 2, 3});
  // Reset afterwards: the same statement walks the rows again.
  CHECK(st->each_row([&](const SqliteStatement& row) { seen.push_back(row.column_int(0)); }));
  CHECK(seen.size() == 6);

  // abs() of the smallest integer overflows when the row is reached: the error comes back.
  REQUIRE(db->exec("INSERT INTO t VALUES (-9223372036854775808)"));
  auto failing = db->prepare("SELECT abs(n) FROM t");  // rowid order: the bad row is last
  REQUIRE(failing);
  int rows = 0;
  const Status status = failing->each_row([&](const SqliteStatement&) { ++rows; });
  REQUIRE(!status);
  CHECK(rows == 3);
  CHECK(status.error().find("integer overflow") != std::string::npos);
}
