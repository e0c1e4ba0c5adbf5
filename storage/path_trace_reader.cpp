#include "storage/path_trace_reader.hpp"

namespace faultline {
namespace {

constexpr const char* kLatestSql = R"sql(
SELECT t.name, p.time, p.address, p.port, p.verdict, p.last_hop_ttl, p.last_hop_address,
       p.host_answers_ping, p.host_hop, p.sentence
FROM path_traces p JOIN targets t ON t.id = p.target_id
WHERE p.id = (SELECT q.id FROM path_traces q
              WHERE q.target_id = p.target_id AND q.time >= ?1 AND q.time < ?2
              ORDER BY q.time DESC, q.id DESC LIMIT 1)
  AND (?3 IS NULL OR t.name = ?3)
ORDER BY t.name)sql";

std::optional<int> int_or_null(const SqliteStatement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return static_cast<int>(row.column_int(column));
}

}  // namespace

Expected<std::vector<PathTraceRecord>> read_latest_path_traces(
    SqliteConnection& db, int version, std::int64_t from_ms, std::int64_t to_ms,
    const std::optional<std::string>& target) {
  std::vector<PathTraceRecord> out;
  if (version < 6) return out;
  auto st = db.prepare(kLatestSql);
  if (!st) return unexpected(st.error());
  st->bind_int(1, from_ms);
  st->bind_int(2, to_ms);
  if (target) {
    st->bind_text(3, *target);
  } else {
    st->bind_null(3);
  }
  auto read = st->each_row([&](const SqliteStatement& row) {
    PathTraceRecord r;
    r.target = row.column_text(0);
    r.time_ms = row.column_int(1);
    r.address = row.column_text(2);
    r.port = static_cast<int>(row.column_int(3));
    r.verdict = row.column_text(4);
    r.last_hop_ttl = int_or_null(row, 5);
    r.last_hop_address = row.column_is_null(6) ? std::string() : row.column_text(6);
    r.host_answers_ping = row.column_int(7) != 0;
    r.host_hop = int_or_null(row, 8);
    r.sentence = row.column_text(9);
    out.push_back(std::move(r));
  });
  if (!read) return unexpected(read.error());
  return out;
}

}  // namespace faultline
