#!/usr/bin/env bash
# One worker against two (devicewake.workers, issue 17), in one run on one cluster: the server is
# restarted with 1 worker, then with 2, and each time measures
#  - ingest: 200 simulated cameras x 70 KB in 1 KB chunks (build/tools/camera_sim bench, as
#    bench/ingest.sh), against the raw broker (the same chunk messages, 200 publishers -> one
#    plain subscriber) measured right before it;
#  - drain: 100,000 commands for 200 cameras committed in one transaction, until the last one is
#    received by a subscriber and all are marked sent (the drain of bench/dispatch.sh uses one
#    camera, which one worker owns whatever the count: here the commands span the shares).
# Prints figures, the 2-worker/1-worker ratios and the load average; asserts nothing. The machine
# has few cores, shared with the broker, the simulator and the server's other processes.
# Knobs: DW_BENCH_CAMERAS (200), DW_BENCH_IMAGE_BYTES (71680), DW_BENCH_CHUNK_BYTES (1024),
# DW_BENCH_DRAIN (100000), DW_BENCH_WORKERS ("1 2"; e.g. "1 2 1 2" repeats the pair, and the
# ratios are then of the means).
set -u
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/bench_lib.sh
sim=build/tools/camera_sim
cameras=${DW_BENCH_CAMERAS:-200}
image=${DW_BENCH_IMAGE_BYTES:-71680}
chunk=${DW_BENCH_CHUNK_BYTES:-1024}
drain=${DW_BENCH_DRAIN:-100000}
counts=${DW_BENCH_WORKERS:-1 2}
out=${DW_RUN:-/tmp}/workers_bench.out

field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" | head -n 1; }
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
now_ms() { date +%s%3N; }
wait_sql() {  # wait_sql SECONDS SQL: until SQL returns t
  local deadline=$((SECONDS + $1))
  while [ $SECONDS -le $deadline ]; do [ "$(sql "$2" 2>/dev/null)" = t ] && return 0; sleep 0.05; done
  return 1
}

sql "INSERT INTO devicewake.sites (name, timezone, wake_schedule_cron)
     SELECT 'Bench site', 'UTC', '0 */3 * * *' WHERE NOT EXISTS (SELECT FROM devicewake.sites WHERE name = 'Bench site')" >/dev/null
# the ingest cameras (camera_sim numbers them: the prefix, then the 1-based index in hex) and the
# drain's, at the bench site
sql "INSERT INTO devicewake.devices (device_mac, site_id)
     SELECT p || lpad(upper(to_hex(i)), 10, '0'), (SELECT site_id FROM devicewake.sites WHERE name = 'Bench site' LIMIT 1)
     FROM generate_series(1, $cameras) i, unnest(ARRAY['BA', 'BD']) p
     WHERE NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_mac = p || lpad(upper(to_hex(i)), 10, '0'))" >/dev/null

ingest=(); raw=(); drained=(); phase_n=()
phase=0
for n in $counts; do
  phase=$((phase + 1)); phase_n[$phase]=$n
  echo "-- devicewake.workers = $n"
  sql "ALTER SYSTEM SET devicewake.workers = $n" >/dev/null
  dw_cluster_restart || { echo "restart failed"; exit 1; }
  wait_sql 60 "SELECT count(*) = $n AND bool_and(connected) FROM devicewake.worker_status()" \
    || { echo "the workers did not connect"; exit 1; }
  bench_load

  broker=$("$sim" --cameras "$cameras" --image-size "$image" --chunk-size "$chunk" --mac-prefix BB baseline-broker)
  raw[$phase]=$(echo "$broker" | field chunks_per_s)
  echo "raw broker: ${raw[$phase]} chunks/s ($cameras publishers -> 1 subscriber)"
  # what the workers wait on while they ingest: pg_stat_activity sampled every 50 ms
  samples=$DW_RUN/workers_waits.txt; : >"$samples"
  ( while :; do
      sql "SELECT coalesce(wait_event_type || ':' || wait_event, 'cpu') FROM pg_stat_activity
           WHERE backend_type = 'pg_devicewake worker' AND state = 'active'" >>"$samples" 2>/dev/null
      sleep 0.05
    done ) & sampler=$!
  "$sim" --cameras "$cameras" --image-size "$image" --chunk-size "$chunk" --mac-prefix BA \
    --ack-timeout 300 bench >"$out" 2>&1
  rc=$?
  kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
  echo "active worker samples during ingest: $(sort "$samples" | uniq -c | sort -rn | awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1 }')"
  grep -E '^bench (upload_s|chunks_per_s|byte_exact)' "$out"
  [ $rc -eq 0 ] || echo "camera_sim bench exited $rc (not every camera delivered a byte-exact image and was told to sleep)"
  ingest[$phase]=$(grep '^bench upload_s' "$out" | field upload_chunks_per_s)
  echo "deadlocks detected in the server log so far: $(grep -c 'deadlock detected' "$DW_RUN/postgres.log")"

  sql "DELETE FROM devicewake.device_commands WHERE command_payload->>'image_name' LIKE 'wdrain_%'" >/dev/null
  recv=$DW_RUN/workers_drain.sub
  mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -t 'ESP32CAM/+/cmd' -C "$drain" >"$recv" 2>/dev/null &
  sub=$!
  sleep 0.5  # (the subscriber's SUBSCRIBE reaches the broker: a bench, not a test)
  t0=$(now_ms)
  sql "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
       SELECT d.device_id, 'send_image', jsonb_build_object('image_name', 'wdrain_' || i || '.jpg')
       FROM generate_series(1, $drain) i
       JOIN devicewake.devices d ON d.device_mac = 'BD' || lpad(upper(to_hex(1 + i % $cameras)), 10, '0')" >/dev/null
  t1=$(now_ms)
  ( sleep 300; kill $sub 2>/dev/null ) & guard=$!
  wait $sub; t2=$(now_ms)
  kill $guard 2>/dev/null
  wait_sql 120 "SELECT count(*) = $drain FROM devicewake.device_commands WHERE command_payload->>'image_name' LIKE 'wdrain_%' AND status = 'sent'"
  t3=$(now_ms)
  got=$(grep -c wdrain_ "$recv")
  drained[$phase]=$(awk -v c="$got" -v ms=$((t2 - t1)) 'BEGIN { printf "%.0f", c / (ms / 1000) }')
  echo "drain: $drain commands for $cameras cameras (insert+commit $((t1 - t0)) ms); received $got after $((t2 - t1)) ms: ${drained[$phase]} commands/s; all marked sent after $((t3 - t1)) ms"
  sql "SELECT 'worker ' || worker || ': published=' || published || ' ingested=' || ingested || ' rejected=' || rejected || ' dispatch_scans=' || dispatch_scans FROM devicewake.worker_status()"
  bench_load
done

echo "-- summary"
for p in $(seq 1 $phase); do
  awk -v n="${phase_n[$p]}" -v i="${ingest[$p]:-0}" -v r="${raw[$p]:-0}" -v d="${drained[$p]:-0}" 'BEGIN {
    printf "workers=%s ingest_upload_chunks_per_s=%.0f (%.2fx the raw broker %.0f) drain_commands_per_s=%.0f\n",
           n, i, (r > 0 ? i / r : 0), r, d }'
done
for p in $(seq 1 $phase); do
  echo "${phase_n[$p]} ${ingest[$p]:-0} ${drained[$p]:-0}"
done | awk '{ si[$1] += $2; sd[$1] += $3; k[$1]++ }
  END { if (k[1] && k[2] && si[1] > 0 && sd[1] > 0)
          printf "ratio 2 workers / 1 (means of %d and %d runs): ingest=%.2f drain=%.2f\n", k[1], k[2],
                 (si[2] / k[2]) / (si[1] / k[1]), (sd[2] / k[2]) / (sd[1] / k[1]) }'
bench_load
sql "ALTER SYSTEM RESET devicewake.workers" >/dev/null
dw_cluster_restart >/dev/null
