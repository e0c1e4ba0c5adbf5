-- A history written by faultline at commit dbc37e4 (schema version 3), the last version before
-- outages said how they ended: `faultline run` with three tcp:// targets on loopback at a 250 ms
-- interval and failure_threshold 1 (`steady` listening, `flapping` down, up, down again, `gone`
-- never listening), stopped with SIGTERM after six seconds while `flapping` and `gone` were
-- down; then `sqlite3 history.db .dump`, and the user_version the dump leaves out.
-- tests/storage_schema_test.cpp migrates it and reads it as `faultline report` would.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE targets (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  url        TEXT NOT NULL,
  kind       TEXT NOT NULL,
  labels     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(labels)),
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL
) STRICT;
INSERT INTO targets VALUES(1,'steady','tcp://127.0.0.1:47811','tcp','{}',1796376206157,1796376211997);
INSERT INTO targets VALUES(2,'flapping','tcp://127.0.0.1:47812','tcp','{}',1796376206157,1796376212129);
INSERT INTO targets VALUES(3,'gone','tcp://127.0.0.1:47813','tcp','{}',1796376206157,1796376212125);
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
INSERT INTO failures VALUES(1,3,1796376206375,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.12299999999999999822,NULL,NULL,0.176271000000000011,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(2,2,1796376206379,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.084000000000000005218,NULL,NULL,0.10829099999999999837,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(3,3,1796376206624,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.21799999999999999933,NULL,NULL,0.27220400000000000151,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(4,2,1796376206629,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.10199999999999999344,NULL,NULL,0.1351809999999999956,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(5,3,1796376206875,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.2000000000000000111,NULL,NULL,0.25408700000000000729,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(6,2,1796376206879,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.11500000000000000499,NULL,NULL,0.14657700000000001283,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(7,3,1796376207125,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.15700000000000000066,NULL,NULL,0.20278099999999998903,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(8,2,1796376207129,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.089999999999999996669,NULL,NULL,0.11539099999999999357,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(9,3,1796376207375,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.19000000000000000222,NULL,NULL,0.23997699999999999587,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(10,2,1796376207379,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.091999999999999998445,NULL,NULL,0.1189059999999999978,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(11,3,1796376207625,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.11300000000000000321,NULL,NULL,0.14884100000000000108,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(12,2,1796376207629,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.064000000000000001332,NULL,NULL,0.082241999999999995663,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(13,3,1796376207875,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.19000000000000000222,NULL,NULL,0.24837899999999998867,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(14,2,1796376207878,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.11899999999999999467,NULL,NULL,0.15496999999999999664,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(15,3,1796376208125,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.17699999999999999067,NULL,NULL,0.22101799999999999224,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(16,2,1796376208129,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.11500000000000000499,NULL,NULL,0.15205499999999999571,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(17,3,1796376208374,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.17199999999999998623,NULL,NULL,0.21599099999999998855,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(18,3,1796376208625,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.16300000000000000599,NULL,NULL,0.20512400000000000077,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(19,3,1796376208875,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.11100000000000000144,NULL,NULL,0.14600599999999999689,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(20,3,1796376209124,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.14499999999999999,NULL,NULL,0.1857360000000000122,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(21,3,1796376209375,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.15800000000000000155,NULL,NULL,0.20607600000000000917,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(22,3,1796376209627,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.12800000000000000266,NULL,NULL,0.16681799999999999406,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(23,3,1796376209875,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.16000000000000000333,NULL,NULL,0.20601600000000000467,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(24,3,1796376210125,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.14299999999999998823,NULL,NULL,0.17890600000000000946,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(25,3,1796376210375,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.12099999999999999644,NULL,NULL,0.15818499999999999228,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(26,3,1796376210625,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.17000000000000001221,NULL,NULL,0.2182230000000000003,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(27,3,1796376210875,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.16800000000000001043,NULL,NULL,0.2133059999999999956,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(28,3,1796376211125,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.17000000000000001221,NULL,NULL,0.214247999999999994,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(29,3,1796376211375,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.13900000000000001243,NULL,NULL,0.18227099999999998858,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(30,2,1796376211379,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.073999999999999996336,NULL,NULL,0.095260999999999998455,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(31,3,1796376211625,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.15199999999999999622,NULL,NULL,0.19389799999999998703,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(32,2,1796376211629,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.082000000000000003441,NULL,NULL,0.10480499999999999538,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(33,3,1796376211875,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.16600000000000000865,NULL,NULL,0.20913999999999999257,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(34,2,1796376211879,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.11000000000000000055,NULL,NULL,0.13985700000000000908,NULL,'127.0.0.1:47812',0,NULL);
INSERT INTO failures VALUES(35,3,1796376212125,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47813: nothing accepts connections on that port',0.0,0.13800000000000001154,NULL,NULL,0.17460999999999998744,NULL,'127.0.0.1:47813',0,NULL);
INSERT INTO failures VALUES(36,2,1796376212129,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47812: nothing accepts connections on that port',0.0,0.11600000000000000588,NULL,NULL,0.14975199999999999622,NULL,'127.0.0.1:47812',0,NULL);
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
INSERT INTO rollups VALUES(1,1796376180000,24,24,0,0.12607699999999999462,0.35505700000000001148,5.1177840000000003328,24);
INSERT INTO rollups VALUES(2,1796376180000,24,12,12,0.082241999999999995663,0.19696299999999999918,3.0723190000000002441,24);
INSERT INTO rollups VALUES(3,1796376180000,24,0,24,0.14600599999999999689,0.27220400000000000151,4.838111999999999746,24);
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
INSERT INTO state_changes VALUES(1,1,1796376206247,'unknown','up','ok','',NULL,'TCP connection to 127.0.0.1:47811 accepted');
INSERT INTO state_changes VALUES(2,3,1796376206376,'unknown','down','refused','connect',NULL,'connection refused by 127.0.0.1:47813: nothing accepts connections on that port');
INSERT INTO state_changes VALUES(3,2,1796376206379,'unknown','down','refused','connect',NULL,'connection refused by 127.0.0.1:47812: nothing accepts connections on that port');
INSERT INTO state_changes VALUES(4,2,1796376208379,'down','up','ok','',NULL,'TCP connection to 127.0.0.1:47812 accepted');
INSERT INTO state_changes VALUES(5,2,1796376211379,'up','down','refused','connect',NULL,'connection refused by 127.0.0.1:47812: nothing accepts connections on that port');
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
, probe_observations INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE INDEX failures_by_time ON failures(time);
CREATE INDEX failures_by_target ON failures(target_id, time);
CREATE INDEX probes_by_time ON probes(time);
CREATE INDEX probes_by_target ON probes(target_id, time);
CREATE INDEX rollups_by_time ON rollups(time);
CREATE INDEX state_changes_by_time ON state_changes(time);
CREATE INDEX state_changes_by_target ON state_changes(target_id, time);
CREATE VIEW failure_log AS
SELECT strftime('%Y-%m-%dT%H:%M:%fZ', f.time / 1000.0, 'unixepoch') AS time,
       t.name AS target, f.class, f.phase, f.detail, f.errno, f.http_status, f.message,
       f.dns_ms, f.connect_ms, f.tls_ms, f.first_byte_ms, f.total_ms,
       f.remote_addr, f.reused, f.idle_ms, f.time AS time_ms
FROM failures f JOIN targets t ON t.id = f.target_id;
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
CREATE INDEX idle_findings_by_target ON idle_findings(target_id, last_confirmed);
CREATE INDEX idle_findings_by_time ON idle_findings(last_confirmed);
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
COMMIT;
PRAGMA user_version = 3;
