#include "storage/schema.hpp"

#include <array>
#include <string>

namespace faultline {
namespace {

// Version 1. Times are integer unix milliseconds; text columns hold the taxonomy's contract
// strings; NULL means "does not apply" (no errno, no status line, a layer not reached), so that
// count(errno) and avg(tls_ms) mean what they say. Every table is STRICT so a wrong type is an
// error instead of a silently stored string.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE targets (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  url        TEXT NOT NULL,
  kind       TEXT NOT NULL,
  labels     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(labels)),
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL
) STRICT;

CREATE TABLE failures (
  id            INTEGER PRIMARY KEY,
  target_id     INTEGER NOT NULL REFERENCES targets(id),
  time          INTEGER NOT NULL,
  class         TEXT NOT NULL,
  phase         TEXT NOT NULL,
  detail        TEXT,
  errno         TEXT,
  message       TEXT NOT NULL,
  dns_ms        REAL,
  connect_ms    REAL,
  tls_ms        REAL,
  first_byte_ms REAL,
  total_ms      REAL,
  http_status   INTEGER,
  remote_addr   TEXT,
  reused        INTEGER NOT NULL CHECK (reused IN (0, 1)),
  idle_ms       INTEGER
) STRICT;
CREATE INDEX failures_by_time ON failures(time);
CREATE INDEX failures_by_target ON failures(target_id, time);

CREATE TABLE probes (
  id            INTEGER PRIMARY KEY,
  target_id     INTEGER NOT NULL REFERENCES targets(id),
  time          INTEGER NOT NULL,
  class         TEXT NOT NULL,
  phase         TEXT NOT NULL,
  detail        TEXT,
  errno         TEXT,
  message       TEXT NOT NULL,
  dns_ms        REAL,
  connect_ms    REAL,
  tls_ms        REAL,
  first_byte_ms REAL,
  total_ms      REAL,
  http_status   INTEGER,
  remote_addr   TEXT,
  reused        INTEGER NOT NULL CHECK (reused IN (0, 1)),
  idle_ms       INTEGER
) STRICT;
CREATE INDEX probes_by_time ON probes(time);
CREATE INDEX probes_by_target ON probes(target_id, time);

-- One row per target per minute (time = the minute's start). The average is derived from a
-- stored sum and count so that adding a later batch to the same minute stays exact. WITHOUT
-- ROWID: the primary key is the row's address, which saves a second copy of it in an index
-- (a quarter of the table's size; rollups are kept longest).
CREATE TABLE rollups (
  target_id      INTEGER NOT NULL REFERENCES targets(id),
  time           INTEGER NOT NULL,
  probes         INTEGER NOT NULL,
  ok             INTEGER NOT NULL,
  failures       INTEGER NOT NULL,
  min_total_ms   REAL,
  max_total_ms   REAL,
  total_ms_sum   REAL NOT NULL DEFAULT 0,
  total_ms_count INTEGER NOT NULL DEFAULT 0,
  avg_total_ms   REAL GENERATED ALWAYS AS (total_ms_sum / nullif(total_ms_count, 0)) VIRTUAL,
  PRIMARY KEY (target_id, time)
) STRICT, WITHOUT ROWID;
CREATE INDEX rollups_by_time ON rollups(time);

CREATE TABLE state_changes (
  id         INTEGER PRIMARY KEY,
  target_id  INTEGER NOT NULL REFERENCES targets(id),
  time       INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state   TEXT NOT NULL,
  class      TEXT NOT NULL,
  phase      TEXT NOT NULL,
  detail     TEXT,
  message    TEXT NOT NULL
) STRICT;
CREATE INDEX state_changes_by_time ON state_changes(time);
CREATE INDEX state_changes_by_target ON state_changes(target_id, time);

CREATE VIEW failure_log AS
SELECT strftime('%Y-%m-%dT%H:%M:%fZ', f.time / 1000.0, 'unixepoch') AS time,
       t.name AS target, f.class, f.phase, f.detail, f.errno, f.http_status, f.message,
       f.dns_ms, f.connect_ms, f.tls_ms, f.first_byte_ms, f.total_ms,
       f.remote_addr, f.reused, f.idle_ms, f.time AS time_ms
FROM failures f JOIN targets t ON t.id = f.target_id;

-- A down period opens at a change to 'down' that does not follow another 'down' (a restart
-- during an outage records unknown -> down again) and closes at the next change to anything
-- else. duration_s runs up to now while the outage is ongoing (ended IS NULL).
CREATE VIEW outages AS
WITH marked AS (
  SELECT id, target_id, time, to_state, class, phase, detail, message,
         lag(to_state) OVER (PARTITION BY target_id ORDER BY time, id) AS previous_state
  FROM state_changes),
opened AS (
  SELECT m.*,
         (SELECT min(e.time) FROM state_changes e
          WHERE e.target_id = m.target_id AND e.to_state <> 'down'
            AND (e.time > m.time OR (e.time = m.time AND e.id > m.id))) AS ended_ms
  FROM marked m
  WHERE m.to_state = 'down' AND (m.previous_state IS NULL OR m.previous_state <> 'down'))
SELECT t.name AS target,
       strftime('%Y-%m-%dT%H:%M:%fZ', o.time / 1000.0, 'unixepoch') AS started,
       strftime('%Y-%m-%dT%H:%M:%fZ', o.ended_ms / 1000.0, 'unixepoch') AS ended,
       (coalesce(o.ended_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
        - o.time) / 1000.0 AS duration_s,
       o.class, o.phase, o.detail, o.message, o.time AS started_ms, o.ended_ms
FROM opened o JOIN targets t ON t.id = o.target_id;

CREATE VIEW uptime_daily AS
SELECT t.name AS target, date(r.time / 1000, 'unixepoch') AS day,
       sum(r.probes) AS probes, sum(r.ok) AS ok, sum(r.failures) AS failures,
       round(100.0 * sum(r.ok) / sum(r.probes), 3) AS uptime_percent
FROM rollups r JOIN targets t ON t.id = r.target_id
GROUP BY r.target_id, day;
)sql";

// Version 2: verdicts of the idle-connection experiment. A row is one verdict (kind and
// threshold bracket) for one target, from the first experiment that found it to the last that
// confirmed it; a different verdict starts a new row, so the table is the history of what the
// experiments found. idle_report shows each target's latest verdict.
constexpr const char* kVersion2 = R"sql(
CREATE TABLE idle_findings (
  id                   INTEGER PRIMARY KEY,
  target_id            INTEGER NOT NULL REFERENCES targets(id),
  first_seen           INTEGER NOT NULL,
  last_confirmed       INTEGER NOT NULL,
  kind                 TEXT NOT NULL
                       CHECK (kind IN ('none', 'middlebox_reset', 'server_close', 'server_reset')),
  threshold_low_s      REAL NOT NULL,
  threshold_high_s     REAL,
  keepalive_verified   TEXT NOT NULL CHECK (keepalive_verified IN ('yes', 'no', 'untested')),
  keepalive_interval_s REAL,
  experiments          INTEGER NOT NULL,
  survived             INTEGER NOT NULL,
  resets               INTEGER NOT NULL,
  closes               INTEGER NOT NULL,
  timeouts             INTEGER NOT NULL,
  summary              TEXT NOT NULL,
  advice               TEXT NOT NULL
) STRICT;
CREATE INDEX idle_findings_by_target ON idle_findings(target_id, last_confirmed);
CREATE INDEX idle_findings_by_time ON idle_findings(last_confirmed);

CREATE VIEW idle_report AS
SELECT t.name AS target, f.kind, f.threshold_low_s, f.threshold_high_s, f.keepalive_verified,
       f.keepalive_interval_s,
       strftime('%Y-%m-%dT%H:%M:%fZ', f.first_seen / 1000.0, 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%fZ', f.last_confirmed / 1000.0, 'unixepoch') AS last_confirmed,
       f.experiments, f.resets, f.timeouts, f.closes, f.survived, f.summary, f.advice
FROM idle_findings f JOIN targets t ON t.id = f.target_id
WHERE f.id = (SELECT g.id FROM idle_findings g WHERE g.target_id = f.target_id
              ORDER BY g.last_confirmed DESC, g.id DESC LIMIT 1);
)sql";

// Version 3: passive evidence. A finding may come from an experiment, from normal probes of a
// reuse_connection target taking up their kept connection, or both; probe_observations counts
// the latter as experiments counts the former, and idle_report shows it.
constexpr const char* kVersion3 = R"sql(
ALTER TABLE idle_findings ADD COLUMN probe_observations INTEGER NOT NULL DEFAULT 0;
DROP VIEW IF EXISTS idle_report;
CREATE VIEW idle_report AS
SELECT t.name AS target, f.kind, f.threshold_low_s, f.threshold_high_s, f.keepalive_verified,
       f.keepalive_interval_s,
       strftime('%Y-%m-%dT%H:%M:%fZ', f.first_seen / 1000.0, 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%fZ', f.last_confirmed / 1000.0, 'unixepoch') AS last_confirmed,
       f.experiments, f.resets, f.timeouts, f.closes, f.survived, f.summary, f.advice,
       f.probe_observations
FROM idle_findings f JOIN targets t ON t.id = f.target_id
WHERE f.id = (SELECT g.id FROM idle_findings g WHERE g.target_id = f.target_id
              ORDER BY g.last_confirmed DESC, g.id DESC LIMIT 1);
)sql";

// Version 4: what faultline did not see is not down time. When faultline stops, each outage
// still open ends at the target's last probe (targets.last_probe, new here: last_seen also
// moves when a config is loaded) with a change to 'unknown' (stopped_outages.cpp: at a clean
// stop, or at the next start after a crash), and outages says in ended_by how each ended:
// 'up', 'faultline_stopped', or NULL while it goes on. A restart during an outage therefore
// starts a new one; the rule that a 'down' after a 'down' continues the outage stays for
// histories written before this version, which have no such change.
constexpr const char* kVersion4 = R"sql(
ALTER TABLE targets ADD COLUMN last_probe INTEGER;
DROP VIEW IF EXISTS outages;
CREATE VIEW outages AS
WITH marked AS (
  SELECT id, target_id, time, to_state, class, phase, detail, message,
         lag(to_state) OVER (PARTITION BY target_id ORDER BY time, id) AS previous_state
  FROM state_changes),
opened AS (
  SELECT m.*,
         (SELECT e.id FROM state_changes e
          WHERE e.target_id = m.target_id AND e.to_state <> 'down'
            AND (e.time > m.time OR (e.time = m.time AND e.id > m.id))
          ORDER BY e.time, e.id LIMIT 1) AS end_id
  FROM marked m
  WHERE m.to_state = 'down' AND (m.previous_state IS NULL OR m.previous_state <> 'down'))
SELECT t.name AS target,
       strftime('%Y-%m-%dT%H:%M:%fZ', o.time / 1000.0, 'unixepoch') AS started,
       strftime('%Y-%m-%dT%H:%M:%fZ', e.time / 1000.0, 'unixepoch') AS ended,
       CASE e.to_state WHEN 'up' THEN 'up' WHEN 'unknown' THEN 'faultline_stopped' END
         AS ended_by,
       (coalesce(e.time, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
        - o.time) / 1000.0 AS duration_s,
       o.class, o.phase, o.detail, o.message, o.time AS started_ms, e.time AS ended_ms
FROM opened o JOIN targets t ON t.id = o.target_id
LEFT JOIN state_changes e ON e.id = o.end_id;
)sql";

// Version 5: a successful probe slower than its target's degraded_after is slow (still up);
// rollups count them. Rows written before this version count none.
constexpr const char* kVersion5 = R"sql(
ALTER TABLE rollups ADD COLUMN slow INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 6: path traces (issue 20). A row per trace the daemon ran for a target that went or
// stayed down with a connect timeout or unreachable: where packets to its port stopped
// (verdict, last_hop_*), whether and at which hop the host answers ping, the sentence the log
// said, and every TCP hop as JSON. path_report shows each target's traces with its name.
constexpr const char* kVersion6 = R"sql(
CREATE TABLE path_traces (
  id                INTEGER PRIMARY KEY,
  target_id         INTEGER NOT NULL REFERENCES targets(id),
  time              INTEGER NOT NULL,
  address           TEXT NOT NULL,
  port              INTEGER NOT NULL,
  verdict           TEXT NOT NULL CHECK (verdict IN ('dropped_after_hop', 'local_drop',
                                                     'unreachable_at_hop', 'reached',
                                                     'no_answer')),
  last_hop_ttl      INTEGER,
  last_hop_address  TEXT,
  unreachable_code  TEXT,
  host_answers_ping INTEGER NOT NULL CHECK (host_answers_ping IN (0, 1)),
  host_hop          INTEGER,
  sentence          TEXT NOT NULL,
  hops              TEXT NOT NULL CHECK (json_valid(hops))
) STRICT;
CREATE INDEX path_traces_by_target ON path_traces(target_id, time);
CREATE INDEX path_traces_by_time ON path_traces(time);

CREATE VIEW path_report AS
SELECT t.name AS target, strftime('%Y-%m-%dT%H:%M:%fZ', p.time / 1000.0, 'unixepoch') AS time,
       p.verdict, p.last_hop_ttl, p.last_hop_address, p.unreachable_code, p.host_answers_ping,
       p.host_hop, p.address, p.port, p.sentence, p.hops, p.time AS time_ms
FROM path_traces p JOIN targets t ON t.id = p.target_id;
)sql";

// kMigrations[i] takes the schema from version i to version i + 1: a new version is one more
// entry here and a bump of kSchemaVersion; existing files run only the steps they lack.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {kVersion1, kVersion2, kVersion3,
                                                                 kVersion4, kVersion5, kVersion6};

}  // namespace

Expected<int> migrate(SqliteConnection& db) {
  auto read_version = [&db]() -> Expected<int> {
    auto v = db.query_int("PRAGMA user_version");
    if (!v) return unexpected("cannot read the schema version: " + v.error());
    if (*v > kSchemaVersion) {
      return unexpected("schema version " + std::to_string(*v) +
                        " is newer than this faultline understands (" +
                        std::to_string(kSchemaVersion) +
                        "); run a newer faultline or point storage.path at another file");
    }
    return static_cast<int>(*v);
  };
  auto current = read_version();
  if (!current || *current == kSchemaVersion) return current;

  // IMMEDIATE takes the write lock before the version is read again, so two daemons starting on
  // one file cannot both run a migration; all steps commit together with the new user_version.
  if (auto s = db.exec("BEGIN IMMEDIATE"); !s) {
    return unexpected("cannot lock the database to migrate it: " + s.error());
  }
  auto from = read_version();
  if (!from) {
    db.exec("ROLLBACK");
    return from;
  }
  for (int version = *from; version < kSchemaVersion; ++version) {
    if (auto s = db.exec(kMigrations[static_cast<std::size_t>(version)]); !s) {
      db.exec("ROLLBACK");
      return unexpected("migration from schema version " + std::to_string(version) + " to " +
                        std::to_string(version + 1) + " failed: " + s.error());
    }
  }
  Status done = db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  if (done) done = db.exec("COMMIT");
  if (!done) {
    db.exec("ROLLBACK");
    return unexpected("cannot commit the schema migration: " + done.error());
  }
  return from;
}

}  // namespace faultline
