#!/usr/bin/env bash
# SQLite's own cost of appending records to a bench database, with Vigil out of the way:
# the same rows inserted by the sqlite3 shell in one statement, into `events` with all of
# its indexes, and into a bare copy of its schema that keeps only the two unique keys;
# then the console's indexes built on that copy afterwards, each in one sorted pass.
# The gaps are what keeping those indexes row by row costs the writer (see BENCHMARKS.md).
#
#   bench/sqlite-index-cost.sh vigil-bench.db [ROWS]      (ROWS defaults to 200000)
#
# Changes nothing: everything is rolled back, so the times exclude writing the WAL.
set -euo pipefail
db=${1:?usage: bench/sqlite-index-cost.sh DATABASE [ROWS]}
rows=${2:-200000}
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }

# The console's indexes on `events` (the unique keys' have no SQL), for the bare copy.
indexes=$(sqlite3 "$db" "SELECT replace(replace(sql, 'CREATE INDEX events_', 'CREATE INDEX bare_'),
  ' ON events ', ' ON events_bare ') || ';' FROM sqlite_master
  WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL")

# The newest ROWS records, made new: ids after every stored one (as UUIDv7s sort), chain
# positions and times after the stored ones.
sqlite3 "$db" <<SQL
PRAGMA cache_size = -262144;
PRAGMA foreign_keys = OFF;
CREATE TEMP TABLE src AS SELECT * FROM events ORDER BY rowid DESC LIMIT $rows;
UPDATE temp.src SET id = 'z' || substr(id, 2), seq = seq + 1000000000,
                    occurred_at = occurred_at + 3600000;
SELECT 'records in events: ' || (SELECT max(rowid) FROM main.events);
SELECT 'rows appended: ' || count(*) FROM temp.src;
SELECT 'into events, every index:';
BEGIN;
.timer on
INSERT INTO main.events SELECT * FROM temp.src ORDER BY seq;
.timer off
ROLLBACK;
SELECT 'into a bare copy, only the unique keys (id; tenant and seq):';
BEGIN;
CREATE TABLE main.events_bare AS SELECT * FROM main.events WHERE 0;
CREATE UNIQUE INDEX main.events_bare_id ON events_bare (id);
CREATE UNIQUE INDEX main.events_bare_seq ON events_bare (tenant_id, seq);
.timer on
INSERT INTO main.events_bare SELECT * FROM temp.src ORDER BY seq;
.timer off
SELECT 'then the console''s indexes built on the copy, one sorted pass each:';
.timer on
$indexes
.timer off
ROLLBACK;
SQL
