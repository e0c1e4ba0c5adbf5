#include "storage/batch_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace faultline {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;

constexpr const char* kResultColumns =
    "(target_id, time, class, phase, detail, errno, message, dns_ms, connect_ms, tls_ms, "
    "first_byte_ms, total_ms, http_status, remote_addr, reused, idle_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

// A target keeps its id across restarts and config changes as long as its name stays; url, kind
// and labels follow the latest configuration.
constexpr const char* kUpsertTarget = R"sql(
INSERT INTO targets (name, url, kind, labels, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
ON CONFLICT (name) DO UPDATE SET
  url = excluded.url, kind = excluded.kind, labels = excluded.labels,
  first_seen = min(first_seen, excluded.first_seen),
  last_seen = max(last_seen, excluded.last_seen)
RETURNING id)sql";

// ?2 is the start of the target's latest probe in the batch.
constexpr const char* kTouchTarget =
    "UPDATE targets SET last_seen = max(last_seen, ?2), "
    "last_probe = max(coalesce(last_probe, ?2), ?2) WHERE id = ?1";

constexpr const char* kInsertState = R"sql(
INSERT INTO state_changes (target_id, time, from_state, to_state, class, phase, detail, message)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql";

constexpr const char* kInsertPathTrace = R"sql(
INSERT INTO path_traces (target_id, time, address, port, verdict, last_hop_ttl,
                         last_hop_address, unreachable_code, host_answers_ping, host_hop,
                         sentence, hops)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))sql";

// The target's latest verdict, extended when the new one is the same.
constexpr const char* kConfirmIdle = R"sql(
UPDATE idle_findings
SET last_confirmed = ?2, experiments = experiments + ?13, survived = survived + ?3,
    resets = resets + ?4, closes = closes + ?5, timeouts = timeouts + ?6, summary = ?7,
    advice = ?8, probe_observations = probe_observations + ?14
WHERE id = (SELECT id FROM idle_findings WHERE target_id = ?1
            ORDER BY last_confirmed DESC, id DESC LIMIT 1)
  AND kind = ?9 AND threshold_low_s = ?10 AND threshold_high_s IS ?11
  AND keepalive_verified = ?12)sql";
constexpr const char* kInsertIdle = R"sql(
INSERT INTO idle_findings (target_id, first_seen, last_confirmed, survived, resets, closes,
                           timeouts, summary, advice, kind, threshold_low_s, threshold_high_s,
                           keepalive_verified, experiments, probe_observations,
                           keepalive_interval_s)
VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15))sql";

// An upsert, so a minute written in several batches (or before and after a restart) adds up.
// min()/max() of SQLite return NULL if either side is NULL, hence the coalesce pairs.
constexpr const char* kUpsertRollup = R"sql(
INSERT INTO rollups (target_id, time, probes, ok, failures, min_total_ms, max_total_ms,
                     total_ms_sum, total_ms_count, slow)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT (target_id, time) DO UPDATE SET
  probes = probes + excluded.probes,
  slow = slow + excluded.slow,
  ok = ok + excluded.ok,
  failures = failures + excluded.failures,
  min_total_ms = min(coalesce(min_total_ms, excluded.min_total_ms),
                     coalesce(excluded.min_total_ms, min_total_ms)),
  max_total_ms = max(coalesce(max_total_ms, excluded.max_total_ms),
                     coalesce(excluded.max_total_ms, max_total_ms)),
  total_ms_sum = total_ms_sum + excluded.total_ms_sum,
  total_ms_count = total_ms_count + excluded.total_ms_count)sql";

std::string state_detail_text(const StateChange& c) {
  if (c.detail == Detail::http_status) return std::to_string(c.http_status);
  return std::string(to_string(c.detail));
}

void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

}  // namespace

std::string labels_json(const Labels& labels) {
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    append_json_string(out, name);
    out += ':';
    append_json_string(out, value);
  }
  out += '}';
  return out;
}

struct BatchWriter::Statements {
  SqliteStatement begin;
  SqliteStatement commit;
  SqliteStatement rollback;
  SqliteStatement upsert_target;
  SqliteStatement touch_target;
  SqliteStatement insert_failure;
  SqliteStatement insert_probe;
  SqliteStatement insert_state;
  SqliteStatement upsert_rollup;
  SqliteStatement confirm_idle;
  SqliteStatement insert_idle;
  SqliteStatement insert_path_trace;
};

BatchWriter::BatchWriter(bool record_successes) : record_successes_(record_successes) {}
BatchWriter::BatchWriter(BatchWriter&&) noexcept = default;
BatchWriter& BatchWriter::operator=(BatchWriter&&) noexcept = default;
BatchWriter::~BatchWriter() = default;

Expected<BatchWriter> BatchWriter::create(SqliteConnection& db, bool record_successes) {
  BatchWriter writer(record_successes);
  writer.db_ = db.handle();
  writer.stmts_ = std::make_unique<Statements>();
  Statements& st = *writer.stmts_;
  // IMMEDIATE: take the write lock at BEGIN, where the busy timeout applies, rather than failing
  // half-way through the batch when a read lock cannot be upgraded.
  const std::pair<SqliteStatement*, std::string> statements[] = {
      {&st.begin, "BEGIN IMMEDIATE"},
      {&st.commit, "COMMIT"},
      {&st.rollback, "ROLLBACK"},
      {&st.upsert_target, kUpsertTarget},
      {&st.touch_target, kTouchTarget},
      {&st.insert_failure, std::string("INSERT INTO failures ") + kResultColumns},
      {&st.insert_probe, std::string("INSERT INTO probes ") + kResultColumns},
      {&st.insert_state, kInsertState},
      {&st.upsert_rollup, kUpsertRollup},
      {&st.confirm_idle, kConfirmIdle},
      {&st.insert_idle, kInsertIdle},
      {&st.insert_path_trace, kInsertPathTrace},
  };
  for (const auto& [slot, sql] : statements) {
    auto stmt = db.prepare(sql);
    if (!stmt) return unexpected("cannot prepare statement: " + stmt.error());
    *slot = std::move(*stmt);
  }
  return writer;
}

Status BatchWriter::write(std::span<const QueuedRow> rows) {
  if (rows.empty()) return ok_status();
  if (auto s = stmts_->begin.run(); !s) return s;
  Status written = write_rows(rows);
  if (written) written = stmts_->commit.run();
  if (!written) {
    // Fails harmlessly when SQLite already rolled back on its own (disk full, I/O error).
    stmts_->rollback.run();
    ids_.clear();
  }
  return written;
}

Status BatchWriter::write_rows(std::span<const QueuedRow> rows) {
  std::map<std::pair<std::int64_t, std::int64_t>, RollupDelta> rollups;
  std::map<std::int64_t, std::int64_t> last_seen;

  for (const QueuedRow& queued : rows) {
    if (const auto* targets = std::get_if<TargetsRow>(&queued)) {
      for (const TargetRef& target : targets->targets) {
        // Re-upsert even when cached: this records last_seen for a reload.
        ids_.erase(target->name);
        if (auto id = target_id(target, targets->at_ms); !id) return unexpected(id.error());
      }
    } else if (const auto* result = std::get_if<ResultRow>(&queued)) {
      auto id = target_id(result->target, result->time_ms);
      if (!id) return unexpected(id.error());
      const bool ok = result->cls == FailureClass::ok;
      if (!ok) {
        if (auto s = insert_result(stmts_->insert_failure, *id, *result); !s) return s;
      }
      if (record_successes_) {
        if (auto s = insert_result(stmts_->insert_probe, *id, *result); !s) return s;
      }
      // Floor division, so a (theoretical) negative time still lands in its own minute.
      std::int64_t minute = result->time_ms / kMinuteMs;
      if (result->time_ms < 0 && result->time_ms % kMinuteMs != 0) --minute;
      RollupDelta& r = rollups[{*id, minute * kMinuteMs}];
      ++r.probes;
      if (ok) ++r.ok;
      if (result->slow) ++r.slow;
      if (const auto& total = result->timings.total_ms) {
        r.min_ms = std::min(r.min_ms.value_or(*total), *total);
        r.max_ms = std::max(r.max_ms.value_or(*total), *total);
        r.sum_ms += *total;
        ++r.timed;
      }
      auto [it, fresh] = last_seen.try_emplace(*id, result->time_ms);
      if (!fresh) it->second = std::max(it->second, result->time_ms);
    } else if (const auto* state = std::get_if<StateRow>(&queued)) {
      auto id = target_id(state->target, state->change.at_ms);
      if (!id) return unexpected(id.error());
      if (auto s = write_state_change(*id, state->change); !s) return s;
    } else if (const auto* idle = std::get_if<IdleRow>(&queued)) {
      auto id = target_id(idle->target, idle->at_ms);
      if (!id) return unexpected(id.error());
      if (auto s = write_idle_finding(*id, *idle); !s) return s;
    } else if (const auto* path = std::get_if<PathTraceRow>(&queued)) {
      if (auto s = write_path_trace(*path); !s) return s;
    }
  }

  for (const auto& [key, r] : rollups) {
    SqliteStatement& st = stmts_->upsert_rollup;
    st.bind_int(1, key.first);
    st.bind_int(2, key.second);
    st.bind_int(3, r.probes);
    st.bind_int(4, r.ok);
    st.bind_int(5, r.probes - r.ok);
    st.bind_real(6, r.min_ms);
    st.bind_real(7, r.max_ms);
    st.bind_real(8, r.sum_ms);
    st.bind_int(9, r.timed);
    st.bind_int(10, r.slow);
    if (auto s = st.run(); !s) return s;
  }
  for (const auto& [id, seen] : last_seen) {
    SqliteStatement& st = stmts_->touch_target;
    st.bind_int(1, id);
    st.bind_int(2, seen);
    if (auto s = st.run(); !s) return s;
  }
  return ok_status();
}

Status BatchWriter::write_state_change(std::int64_t target_id, const StateChange& c) {
  SqliteStatement& st = stmts_->insert_state;
  st.bind_int(1, target_id);
  st.bind_int(2, c.at_ms);
  st.bind_text(3, to_string(c.from));
  st.bind_text(4, to_string(c.to));
  st.bind_text(5, to_string(c.cls));
  st.bind_text(6, to_string(c.phase));
  st.bind_text_or_null(7, state_detail_text(c));
  st.bind_text(8, c.message);
  return st.run();
}

Status BatchWriter::write_idle_finding(std::int64_t target_id, const IdleRow& row) {
  const IdleFinding& f = row.finding;
  // Both statements share ?1..?14; the insert adds the keepalive interval.
  for (SqliteStatement* st : {&stmts_->confirm_idle, &stmts_->insert_idle}) {
    st->bind_int(1, target_id);
    st->bind_int(2, row.at_ms);
    st->bind_int(3, f.survived);
    st->bind_int(4, f.resets);
    st->bind_int(5, f.closes);
    st->bind_int(6, f.timeouts);
    st->bind_text(7, f.summary);
    st->bind_text(8, f.advice);
    st->bind_text(9, to_string(f.kind));
    st->bind_real(10, f.threshold_low_s);
    st->bind_real(11, f.threshold_high_s);
    st->bind_text(12, to_string(f.keepalive_verified));
    st->bind_int(13, f.from_experiment ? 1 : 0);
    st->bind_int(14, f.probe_observations);
  }
  if (auto s = stmts_->confirm_idle.run(); !s) return s;
  if (sqlite3_changes(db_) > 0) return ok_status();
  stmts_->insert_idle.bind_real(15, f.keepalive_interval_s);
  return stmts_->insert_idle.run();
}

Status BatchWriter::write_path_trace(const PathTraceRow& row) {
  const PathTrace& t = row.trace;
  auto id = target_id(row.target, t.started_at_ms);
  if (!id) return unexpected(id.error());
  const PathFindings& f = t.findings;
  SqliteStatement& st = stmts_->insert_path_trace;
  st.bind_int(1, *id);
  st.bind_int(2, t.started_at_ms);
  st.bind_text(3, t.address);
  st.bind_int(4, t.port);
  st.bind_text(5, to_string(f.verdict));
  st.bind_int(6, f.last_hop ? std::optional<std::int64_t>(f.last_hop->ttl) : std::nullopt);
  st.bind_text_or_null(7, f.last_hop ? f.last_hop->address : std::string());
  st.bind_text_or_null(8, f.unreachable_code);
  st.bind_int(9, f.host_answers_ping ? 1 : 0);
  st.bind_int(10, f.host_hop ? std::optional<std::int64_t>(*f.host_hop) : std::nullopt);
  st.bind_text(11, path_sentence(t));
  st.bind_text(12, hops_json_text(t.hops));
  return st.run();
}

Expected<std::int64_t> BatchWriter::target_id(const TargetRef& target, std::int64_t seen_ms) {
  if (auto it = ids_.find(target->name); it != ids_.end()) {
    // A reload may have changed url or labels under the same name: write the new record.
    if (it->second.first == target || *it->second.first == *target) return it->second.second;
  }
  SqliteStatement& st = stmts_->upsert_target;
  st.bind_text(1, target->name);
  st.bind_text(2, target->url);
  st.bind_text(3, to_string(target->kind));
  st.bind_text(4, labels_json(target->labels));
  st.bind_int(5, seen_ms);
  auto row = st.step();
  if (!row) return unexpected(row.error());
  if (!*row) return unexpected("no id returned for target '" + target->name + "'");
  const std::int64_t id = st.column_int(0);
  // Finish the statement so that the upsert is complete before the next use.
  if (auto done = st.step(); !done) return unexpected(done.error());
  ids_[target->name] = {target, id};
  return id;
}

Status BatchWriter::insert_result(SqliteStatement& st, std::int64_t target_id,
                                  const ResultRow& row) {
  st.bind_int(1, target_id);
  st.bind_int(2, row.time_ms);
  st.bind_text(3, to_string(row.cls));
  st.bind_text(4, to_string(row.phase));
  st.bind_text_or_null(5, row.detail);
  st.bind_text_or_null(6, errno_name(row.sys_errno));
  st.bind_text(7, row.message);
  st.bind_real(8, row.timings.dns_ms);
  st.bind_real(9, row.timings.connect_ms);
  st.bind_real(10, row.timings.tls_ms);
  st.bind_real(11, row.timings.first_byte_ms);
  st.bind_real(12, row.timings.total_ms);
  if (row.http_status != 0) {
    st.bind_int(13, row.http_status);
  } else {
    st.bind_null(13);
  }
  st.bind_text_or_null(14, row.remote_addr);
  st.bind_int(15, row.reused ? 1 : 0);
  st.bind_int(16, row.idle_ms);
  return st.run();
}

}  // namespace faultline
