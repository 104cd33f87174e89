#!/usr/bin/env bash
# Ingest of image uploads (issue 7): 200 simulated cameras (build/tools/camera_sim) wake at once and
# each, told by the worker, captures a 70 KB image and sends it in 1 KB chunks through the broker:
# chunks/s ingested, end-to-end time per image (first METADATA published -> ACK_OK received,
# p50/p99), and a byte-exact comparison of every stored image with what was sent. Baselines
# measured in the same run:
#  (a) the raw broker: the same chunk messages from 200 publishers to one plain subscriber;
#  (b) libpq: the same chunks INSERTed by one client into an ordinary table, one row per
#      statement (autocommit).
# Target (issue 18): uploads >= 2x baseline (b) and >= 0.6x baseline (a). Prints figures, ratios
# and the load average; asserts nothing.
# Knobs: DW_BENCH_CAMERAS (200), DW_BENCH_IMAGE_BYTES (71680), DW_BENCH_CHUNK_BYTES (1024).
set -u
cd "$(dirname "$0")/.."
sim=build/tools/camera_sim
cameras=${DW_BENCH_CAMERAS:-200}
image=${DW_BENCH_IMAGE_BYTES:-71680}
chunk=${DW_BENCH_CHUNK_BYTES:-1024}
out=${DW_RUN:-/tmp}/ingest_bench.out
source scripts/bench_lib.sh
bench_load

# the worker must be connected before the cameras start
for _ in $(seq 1 500); do
  [ "$(psql -X -A -t -c "SELECT connected FROM devicewake.worker_status()" 2>/dev/null)" = t ] && break
  sleep 0.02
done

field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" | head -n 1; }

echo "-- baseline (a): raw broker, $cameras publishers -> 1 subscriber, same messages"
broker=$("$sim" --cameras "$cameras" --image-size "$image" --chunk-size "$chunk" --mac-prefix BB baseline-broker)
echo "$broker"
echo "-- baseline (b): libpq, one INSERT per chunk, one client"
insert=$("$sim" --cameras "$cameras" --image-size "$image" --chunk-size "$chunk" --mac-prefix BI baseline-insert)
echo "$insert"
echo "-- pg_devicewake: $cameras cameras x $image bytes in $chunk-byte chunks (target: >= 2x one INSERT per chunk, >= 0.6x the raw broker)"
# cameras_run PREFIX OUT: the cameras with MACs PREFIX... wake, upload and sleep (camera_sim bench,
# output in OUT; its exit status). They sit at a site (an unassigned camera is only told to
# sleep); MACs as camera_sim numbers them: the prefix, then the 1-based index in hex.
psql -X -q -c "INSERT INTO devicewake.sites (name, timezone, wake_schedule_cron) VALUES ('Bench site', 'UTC', '0 */3 * * *')"
cameras_run() {
  psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO devicewake.devices (device_mac, site_id)
SELECT '$1' || lpad(upper(to_hex(i)), 10, '0'), (SELECT site_id FROM devicewake.sites WHERE name = 'Bench site' LIMIT 1)
FROM generate_series(1, $cameras) i
WHERE NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_mac = '$1' || lpad(upper(to_hex(i)), 10, '0'));
SQL
  "$sim" --cameras "$cameras" --image-size "$image" --chunk-size "$chunk" --mac-prefix "$1" \
    --ack-timeout 300 bench >"$2" 2>&1
}
cameras_run BE "$out"
rc=$?
grep '^bench ' "$out"
grep -E '^(ERROR|TIMEOUT|IGNORED) |^SLEEP .* (timeout|mid-upload)' "$out" | cut -d' ' -f1,3- | sort | uniq -c | head -n 5
[ $rc -eq 0 ] || echo "camera_sim bench exited $rc (not every camera delivered a byte-exact image and was told to sleep)"

ours=$(grep '^bench chunks_per_s' "$out" | field chunks_per_s)
uploads=$(grep '^bench upload_s' "$out" | field upload_chunks_per_s)
raw=$(echo "$broker" | field chunks_per_s)
ins=$(echo "$insert" | field chunks_per_s)
# whole wakes (HELLO, capture request, METADATA, send_image, chunks, sleep signal) and the uploads
# alone (first METADATA to last ACK_OK: what the baselines move)
if [ -n "$ours" ] && [ -n "$uploads" ] && [ -n "$raw" ] && [ -n "$ins" ]; then
  awk -v o="$ours" -v u="$uploads" -v r="$raw" -v i="$ins" 'BEGIN {
    printf "ratio wake/raw_broker=%.2f wake/one_insert_per_chunk=%.2f\n", o / r, o / i
    printf "ratio upload/raw_broker=%.2f upload/one_insert_per_chunk=%.2f\n", u / r, u / i }'
  met=$(awk -v u="$uploads" -v r="$raw" -v i="$ins" -v rc="$rc" 'BEGIN { print (rc == 0 && u >= 2 * i && u >= 0.6 * r) ? "yes" : "no" }')
  echo "target (every image byte-exact, uploads >= 2x one INSERT per chunk and >= 0.6x the raw broker): $(bench_verdict "$met")"
fi
bench_load
psql -X -A -t -c "SELECT 'worker ingested=' || ingested || ' rejected=' || rejected FROM devicewake.worker_status()"

# The throwaway cluster runs with fsync = off and synchronous_commit = off, which spares the
# one-INSERT-per-chunk client a WAL flush per chunk. A production server flushes: the same two
# runs (baseline (b) and the cameras) again with PostgreSQL's defaults, fsync = on and
# synchronous_commit = on (both reloadable), the worker committing once per batch as it always
# does. The raw broker is not affected.
echo "-- durable: fsync = on, synchronous_commit = on (PostgreSQL's defaults), same workloads"
psql -X -q -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
  -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
dinsert=$("$sim" --cameras "$cameras" --image-size "$image" --chunk-size "$chunk" --mac-prefix DI baseline-insert)
echo "$dinsert"
cameras_run BD "$out.durable"
drc=$?
grep -E '^bench (upload_s|byte_exact)' "$out.durable"
psql -X -q -c "ALTER SYSTEM RESET fsync" -c "ALTER SYSTEM RESET synchronous_commit" \
  -c "SELECT pg_reload_conf()" >/dev/null
duploads=$(grep '^bench upload_s' "$out.durable" | field upload_chunks_per_s)
dins=$(echo "$dinsert" | field chunks_per_s)
if [ -n "$duploads" ] && [ -n "$dins" ] && [ -n "$raw" ]; then
  awk -v u="$duploads" -v r="$raw" -v i="$dins" 'BEGIN {
    printf "ratio durable upload/raw_broker=%.2f upload/one_insert_per_chunk=%.2f\n", u / r, u / i }'
  met=$(awk -v u="$duploads" -v r="$raw" -v i="$dins" -v rc="$drc" 'BEGIN { print (rc == 0 && u >= 2 * i && u >= 0.6 * r) ? "yes" : "no" }')
  echo "target, durable (every image byte-exact, uploads >= 2x one INSERT per chunk and >= 0.6x the raw broker): $(bench_verdict "$met")"
fi
bench_load
