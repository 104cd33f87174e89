#!/usr/bin/env bash
# The timeout sweep on one server against the same data on a Citus cluster (a coordinator and two
# worker nodes on this machine, scripts/citus_cluster.sh), in one run: BENCH_DEVICES devices
# (100,000), 3 images each, BENCH_STALE (3,000) of them stale. Best of BENCH_ROUNDS (3) sweeps in
# transactions rolled back, each in a new session, then the sweep with nothing stale (best of 20
# in one session, as bench/sweep.sh). Prints figures and the ratio; asserts nothing. Without
# Citus it prints the suite's SKIP line. (The drain on Citus needs the worker there, which is not
# built yet: issue #17.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
source scripts/lib.sh
source scripts/citus_cluster.sh
bench_load

devices=${BENCH_DEVICES:-100000}
stale=${BENCH_STALE:-3000}
rounds=${BENCH_ROUNDS:-3}
psql_q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# Loads the fleet into the database psql reaches, with row triggers off (the generated rows
# satisfy them; the directory rows the devices trigger would write are inserted here).
load() {
  psql_q -v devices="$devices" -v stale="$stale" <<'SQL'
SET session_replication_role = replica;
INSERT INTO devicewake.sites (site_id, name)
SELECT lpad(to_hex(s), 32, '0')::uuid, 'site ' || s FROM generate_series(1, 100) s;
INSERT INTO devicewake.device_directory (device_mac, device_id)
SELECT upper(lpad(to_hex(n), 12, '0')), lpad(to_hex(n), 32, '0')::uuid FROM generate_series(1, :devices) n;
INSERT INTO devicewake.devices (device_id, device_mac, site_id, wake_schedule_cron, next_wake_at, last_wake_at)
SELECT lpad(to_hex(n), 32, '0')::uuid, upper(lpad(to_hex(n), 12, '0')),
       lpad(to_hex(n % 100 + 1), 32, '0')::uuid, '0 * * * *',
       CASE WHEN n <= :stale THEN now() - interval '5 minutes' ELSE now() + interval '1 day' END,
       now() - interval '1 hour'
FROM generate_series(1, :devices) n;
INSERT INTO devicewake.device_images (image_id, device_id, image_name, status, total_chunks,
                                      received_chunks, image_data, completed_at)
SELECT lpad(to_hex(n * 8 + k), 32, '0')::uuid, lpad(to_hex(n), 32, '0')::uuid, 'image_' || k || '.jpg',
       st, 4, CASE st WHEN 'complete' THEN 4 ELSE 3 END,
       CASE st WHEN 'complete' THEN '\xff'::bytea END, CASE st WHEN 'complete' THEN now() END
FROM generate_series(1, :devices) n, generate_series(1, 3) k,
     LATERAL (SELECT CASE WHEN k = 1 AND n <= :stale THEN 'receiving' ELSE 'complete' END AS st) s;
INSERT INTO devicewake.image_chunks (image_id, device_id, chunk_index, data)
SELECT lpad(to_hex(n * 8 + 1), 32, '0')::uuid, lpad(to_hex(n), 32, '0')::uuid, c, '\xffd8ff'::bytea
FROM generate_series(1, :stale) n, generate_series(0, 2) c;
INSERT INTO devicewake.device_commands (device_id, command_type, status, issued_at, expires_at, acknowledged_at)
SELECT lpad(to_hex(n * 9 % :devices + 1), 32, '0')::uuid, 'ping', 'acknowledged',
       now() - interval '2 days', now() - interval '1 day', now() - interval '2 days'
FROM generate_series(1, :devices / 10) n;
RESET session_replication_role;
SQL
}

# Best of N runs of one sweep, in ms (execution in the server); each rolled back when ROLLBACK is 1.
best_sweep() {  # N ROLLBACK
  local best="" ms
  for _ in $(seq 1 "$1"); do
    ms=$(psql_q <<SQL
BEGIN;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS n FROM devicewake.timeout_stale_images() \gset
SELECT :'n' || ' ' || round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000, 1);
$([ "$2" = 1 ] && echo ROLLBACK || echo COMMIT);
SQL
)
    [ "$2" = 1 ] && [ "${ms%% *}" != "$stale" ] && echo "  the sweep failed ${ms%% *} images, expected $stale" >&2
    ms=${ms##* }
    # (every run on the tables as the load left them: the last run's dead rows vacuumed away)
    psql_q -c "VACUUM devicewake.device_images, devicewake.device_commands, devicewake.device_alerts,
               devicewake.device_history, devicewake.image_chunks, devicewake.events"
    if [ -z "$best" ] || awk -v a="$ms" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$ms; fi
  done
  echo "$best"
}

measure() {  # LABEL: prints the two figures, leaves them in $stale_ms and $idle_ms
  stale_ms=$(best_sweep "$rounds" 1)
  best_sweep 1 0 >/dev/null   # fail them for real: nothing is stale after this
  idle_ms=$(bench_idle_sweep)
  printf '  %-34s %10s ms  (%s stale)   nothing stale: %s ms\n' "$1" "$stale_ms" "$stale" "$idle_ms"
}

dw_citus_find || { [ $? = 1 ] && exit 0; exit 1; }
echo "machine: $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg); every node on this machine"
echo "loading $devices devices, $((devices * 3)) images ($stale stale) on one server ..."
load
psql_q -c "VACUUM ANALYZE"
measure "one server"
one_stale=$stale_ms one_idle=$idle_ms

dw_citus_start 2>/dev/null
echo "loading the same on the Citus coordinator, then devicewake.distribute_on_citus() ..."
start=$SECONDS
load
PGOPTIONS="-c client_min_messages=warning" psql_q -c "SELECT count(*) FROM devicewake.distribute_on_citus()" >/dev/null
psql_q -c "VACUUM ANALYZE" >/dev/null
echo "  loaded and distributed in $((SECONDS - start)) s, $(psql_q -c "SHOW citus.shard_count") shards"
measure "Citus, coordinator + 2 workers"

awk -v a="$one_stale" -v b="$stale_ms" -v c="$one_idle" -v d="$idle_ms" 'BEGIN {
  printf "ratio citus/one_server: sweep %.2f, nothing stale %.2f\n", b / a, d / c }'
