-- A history written by faultline at schema version 4 (commit bf63223 on branch httpbody, whose
-- storage is that of 7fa4780), the last version before rollups counted slow probes: `faultline
-- run` with two http:// targets on loopback at a 250 ms interval and failure_threshold 1 (`web`
-- answering 200, `gone` never listening), stopped with SIGTERM after four seconds; then
-- `sqlite3 history.db .dump`, and the user_version the dump leaves out.
-- tests/slow_probes_test.cpp migrates it.
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
, last_probe INTEGER) STRICT;
INSERT INTO targets VALUES(1,'web','http://127.0.0.1:47821/','http','{}',1796387725160,1796387728951,1796387728951);
INSERT INTO targets VALUES(2,'gone','http://127.0.0.1:47823/','http','{}',1796387725160,1796387728874,1796387728874);
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
INSERT INTO failures VALUES(1,2,1796387725375,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.18599999999999999866,NULL,NULL,0.24612500000000001043,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(2,2,1796387725624,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.173999999999999988,NULL,NULL,0.22208900000000000862,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(3,2,1796387725874,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.17199999999999998623,NULL,NULL,0.22025700000000000833,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(4,2,1796387726125,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.17599999999999998978,NULL,NULL,0.22368199999999999194,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(5,2,1796387726375,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.17899999999999999245,NULL,NULL,0.22925100000000001032,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(6,2,1796387726624,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.20100000000000001199,NULL,NULL,0.25947500000000001119,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(7,2,1796387726875,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.18900000000000000133,NULL,NULL,0.23999599999999998711,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(8,2,1796387727124,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.18099999999999999422,NULL,NULL,0.23143299999999999982,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(9,2,1796387727375,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.17999999999999999333,NULL,NULL,0.23086300000000001264,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(10,2,1796387727625,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.16400000000000000688,NULL,NULL,0.21374699999999999255,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(11,2,1796387727875,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.16800000000000001043,NULL,NULL,0.21900400000000000422,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(12,2,1796387728125,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.17699999999999999067,NULL,NULL,0.2262750000000000039,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(13,2,1796387728374,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.17299999999999998712,NULL,NULL,0.22089800000000001101,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(14,2,1796387728624,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.17699999999999999067,NULL,NULL,0.22596600000000000019,NULL,'127.0.0.1:47823',0,NULL);
INSERT INTO failures VALUES(15,2,1796387728874,'refused','connect',NULL,'ECONNREFUSED','connection refused by 127.0.0.1:47823: nothing accepts connections on that port',0.0,0.173999999999999988,NULL,NULL,0.22322100000000000274,NULL,'127.0.0.1:47823',0,NULL);
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
INSERT INTO rollups VALUES(1,1796387700000,16,16,0,1.9281010000000000648,10.415055000000000617,61.00250500000000642,16);
INSERT INTO rollups VALUES(2,1796387700000,15,0,15,0.21374699999999999255,0.25947500000000001119,3.432281999999999833,15);
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
INSERT INTO state_changes VALUES(1,1,1796387725205,'unknown','up','ok','',NULL,'HTTP 200');
INSERT INTO state_changes VALUES(2,2,1796387725375,'unknown','down','refused','connect',NULL,'connection refused by 127.0.0.1:47823: nothing accepts connections on that port');
INSERT INTO state_changes VALUES(3,2,1796387728874,'down','unknown','ok','',NULL,'faultline stopped');
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
COMMIT;
PRAGMA user_version = 4;
