#!/usr/bin/env bash
# Benchmark of the cron engine (docs/design.md §3), printing figures and ratios, asserting nothing:
#  1. 1,000,000 fn_calculate_next_wake_time calls in one statement over a mix of typical wake
#     schedules and DST zones, against 1,000,000 AT TIME ZONE conversions of the same rows
#     (target: at most 3x that floor);
#  2. microseconds per call against croner's (npm) per-call cost, measured by node in this run
#     over the same mix (target: at least 10x faster);
#  3. a leap-day schedule against an hourly one: the cost must not depend on the distance.
# Uses the live cluster in PGHOST/PGPORT/PGDATABASE (scripts/run_bench.sh cron).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
bench_load
ROWS=${DW_BENCH_ROWS:-1000000}

SCHEDULES="'0 6 * * *', '*/15 * * * *', '30 2 * * *', '0 */4 * * *', '0 8,12,17 * * 1-5', '5 0 * * 0',
           '*/30 6-18 * * *', '0 0 1 * *', '45 23 * * 5L', '0 9 * * MON#1', '@hourly', '0 7 15 * *'"
ZONES="'UTC', 'America/New_York', 'Europe/London', 'Australia/Sydney', 'Australia/Lord_Howe',
       'Asia/Kathmandu', 'America/Sao_Paulo', 'Europe/Berlin', 'America/Los_Angeles', 'Pacific/Auckland'"

psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS cron_bench_rows;
CREATE UNLOGGED TABLE cron_bench_rows AS
SELECT timestamptz '2025-01-01 00:00+00' + i * interval '37 minutes 13 seconds' AS t0,
       (ARRAY[$SCHEDULES])[1 + i % 12] AS cron,
       (ARRAY[$ZONES])[1 + (i / 12) % 10] AS zone
FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE cron_bench_rows;
SQL

# Best of three runs of a statement, in milliseconds (server-side clock, one session).
measure() {
  psql -X -q -At -v ON_ERROR_STOP=1 <<SQL
SET max_parallel_workers_per_gather = 0;
CREATE FUNCTION pg_temp.best_of_3(p_sql text) RETURNS numeric LANGUAGE plpgsql AS \$\$
DECLARE v_best numeric; v_start timestamptz; v_ms numeric;
BEGIN
    FOR i IN 1..3 LOOP
        v_start := clock_timestamp();
        EXECUTE p_sql;
        v_ms := extract(epoch FROM clock_timestamp() - v_start) * 1000;
        v_best := least(v_best, v_ms);
    END LOOP;
    RETURN round(v_best, 1);
END
\$\$;
SELECT pg_temp.best_of_3(\$q\$$1\$q\$);
SQL
}

scan_ms=$(measure "SELECT count(*) FROM cron_bench_rows WHERE t0 IS NOT NULL")
tz_ms=$(measure "SELECT count(*) FROM cron_bench_rows WHERE (t0 AT TIME ZONE zone) IS NOT NULL")
cron_ms=$(measure "SELECT count(*) FROM cron_bench_rows WHERE devicewake.fn_calculate_next_wake_time(t0, cron, zone) IS NOT NULL")

LEAP_ROWS=200000
leap_ms=$(measure "SELECT count(devicewake.fn_calculate_next_wake_time(t0, '0 0 29 2 *', 'America/New_York')) FROM (SELECT t0 FROM cron_bench_rows LIMIT $LEAP_ROWS) r")
hourly_ms=$(measure "SELECT count(devicewake.fn_calculate_next_wake_time(t0, '0 * * * *', 'America/New_York')) FROM (SELECT t0 FROM cron_bench_rows LIMIT $LEAP_ROWS) r")
yearly_ms=$(measure "SELECT count(devicewake.fn_calculate_next_wake_time(t0, '0 0 * 2 5#5', 'America/New_York')) FROM (SELECT t0 FROM cron_bench_rows LIMIT $LEAP_ROWS) r")

# croner over the same mix, in node (one Cron object per schedule and zone, as a fair cache)
test/run_differential.sh --install-only >/dev/null
NODE_ROWS=10000
node_us=$(cd test/differential && node --input-type=module -e "
import { Cron } from 'croner';
const schedules = [$SCHEDULES].map((s) => s.replace(/^(\d)L\$/, '\$1#L'));
const zones = [$ZONES];
const jobs = new Map();
const base = Date.UTC(2025, 0, 1);
const run = (n) => {
  let count = 0;
  for (let i = 1; i <= n; i++) {
    const s = schedules[i % 12];
    const z = zones[Math.floor(i / 12) % 10];
    const key = s + '|' + z;
    let job = jobs.get(key);
    if (!job) { job = new Cron(s, { timezone: z, legacyMode: true }); jobs.set(key, job); }
    if (job.nextRun(new Date(base + i * (37 * 60 + 13) * 1000))) count++;
  }
  return count;
};
run(1000);
let best = Infinity;
for (let k = 0; k < 3; k++) {
  const start = process.hrtime.bigint();
  run($NODE_ROWS);
  best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e3 / $NODE_ROWS);
}
console.log(best.toFixed(2));
")

awk -v rows="$ROWS" -v scan="$scan_ms" -v tz="$tz_ms" -v cron="$cron_ms" -v node_us="$node_us" \
    -v leap="$leap_ms" -v hourly="$hourly_ms" -v yearly="$yearly_ms" -v leap_rows="$LEAP_ROWS" 'BEGIN {
  printf "rows: %d (12 schedules x 10 zones, instants 37 min apart from 2025-01-01), best of 3, no parallel workers\n", rows
  printf "%-52s %10.1f ms  %6.3f us/row\n", "scan only (count(*) WHERE t0 IS NOT NULL)", scan, scan * 1000 / rows
  printf "%-52s %10.1f ms  %6.3f us/row\n", "AT TIME ZONE (the floor)", tz, tz * 1000 / rows
  printf "%-52s %10.1f ms  %6.3f us/row\n", "fn_calculate_next_wake_time", cron, cron * 1000 / rows
  printf "ratio fn_calculate_next_wake_time / AT TIME ZONE: %.2fx (target <= 3x)\n", cron / tz
  printf "ratio net of the scan: %.2fx\n", (cron - scan) / (tz - scan)
  printf "croner 9.1.0 (node %s) nextRun: %.2f us/call; ours: %.3f us/call -> %.1fx faster (target >= 10x)\n", "'"$(node --version)"'", node_us, cron * 1000 / rows, node_us / (cron * 1000 / rows)
  printf "distance independence (%d calls each, America/New_York):\n", leap_rows
  printf "  %-40s %8.3f us/call\n", "hourly  0 * * * *", hourly * 1000 / leap_rows
  printf "  %-40s %8.3f us/call  (%.2fx hourly)\n", "leap day  0 0 29 2 *", leap * 1000 / leap_rows, leap / hourly
  printf "  %-40s %8.3f us/call  (%.2fx hourly)\n", "fifth Friday of February  0 0 * 2 5#5", yearly * 1000 / leap_rows, yearly / hourly
}'
met=$(awk -v tz="$tz_ms" -v cron="$cron_ms" -v node_us="$node_us" -v rows="$ROWS" \
      'BEGIN { print (cron <= 3 * tz && node_us >= 10 * cron * 1000 / rows) ? "yes" : "no" }')
echo "target (<= 3x AT TIME ZONE and >= 10x faster than croner): $(bench_verdict "$met")"
bench_load
psql -X -q -c "DROP TABLE cron_bench_rows"
