#!/usr/bin/env bash
# Hostile messages while other devices' traffic flows (#14 items 2-4). Two figures:
#  1. The time one hostile message costs the worker, seen from another device: while 10 simulated
#     cameras wake and upload again and again (build/tools/camera_sim), a hostile message is published and right after it a
#     HELLO of a quiet device; the latency from publishing to that device's sleep signal arriving
#     is measured. Baseline in the same run: the same HELLO after a harmless message (one reading
#     of telemetry) on the same topic. Kinds: the largest METADATA the limits let through (255
#     keys, ~16 KB of JSON), a METADATA of 12,000 keys (the merge attack; rejected), a 1 MiB
#     payload (rejected), a chunk of an image refused for its size (the poison chunk, re-sent),
#     and a HELLO of an unknown MAC (admission and registration).
#  2. The worker's RSS (VmRSS now, VmHWM the peak) after each size attack: a 150 MB message, 150
#     METADATA of ~200 KB (the merge attack of #14), 2,000 HELLOs of random MACs.
# Prints figures and ratios; asserts nothing. Knobs: DW_BENCH_SAMPLES (20).
set -u
cd "$(dirname "$0")/.."
sim=build/tools/camera_sim
samples=${DW_BENCH_SAMPLES:-20}
run=${DW_RUN:-/tmp}
port=${DW_MQTT_PORT:?}
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
pubf() { mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t "$1" -f "$2"; }
pubm() { mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t "$1" -m "$2"; }

for _ in $(seq 1 500); do
  [ "$(q "SELECT connected FROM devicewake.worker_status()" 2>/dev/null)" = t ] && break
  sleep 0.02
done
pid=$(q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_devicewake worker'")
rss() { awk '/^VmRSS|^VmHWM/ { printf "%s=%dMB ", tolower($1), $2 / 1024 }' "/proc/$pid/status" | sed 's/://g'; }

# ---------------------------------------------------------------- the messages
python3 - "$run" <<'PY'
import json, sys
d = sys.argv[1]
def w(name, text):
    open(f"{d}/hostile_{name}.json", "w").write(text)
# the largest METADATA the default limits keep: 255 keys, about 16 KB of JSON
big = {"image_name": "cap.jpg", "total_chunk_count": 2, "image_size": 100}
for i in range(252): big["k%03d" % i] = "v" * 50
w("metadata_at_caps", json.dumps(big, separators=(",", ":")))
keys = {"image_name": "keys.jpg", "total_chunk_count": 2, "image_size": 100}
for i in range(12000): keys["k%d" % i] = i
w("metadata_12000_keys", json.dumps(keys, separators=(",", ":")))
w("payload_1mib", '{"image_name":"big.jpg","pad":"' + "x" * (1 << 20) + '"}')
w("harmless", '{"temperature":21.5}')
merge = {"image_name": "merge.jpg", "total_chunk_count": 2, "image_size": 100}
for i in range(14000): merge["m%05d" % i] = i
w("merge_200kb", json.dumps(merge, separators=(",", ":")))
PY
head -c 150000000 /dev/zero | tr '\0' 'x' >"$run/hostile_150mb.bin"
poison_payload=$(python3 -c "import base64; print(base64.b64encode(b'\xff' * 16384).decode())")
printf '{"image_name":"poison.jpg","chunk_id":%s,"payload":"%s"}' 4000 "$poison_payload" >"$run/hostile_poison_chunk.json"

# quiet devices (unassigned: each HELLO is answered with a sleep signal), the hostile device, and
# the poison image: announced 4097 chunks, already refused for its size
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO devicewake.devices (device_mac)
SELECT 'C0' || lpad(upper(to_hex(i)), 10, '0') FROM generate_series(1, 6 * $samples + 20) i
WHERE NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_mac = 'C0' || lpad(upper(to_hex(i)), 10, '0'));
INSERT INTO devicewake.devices (device_mac) SELECT 'C1000000000A'
WHERE NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_mac = 'C1000000000A');
SELECT devicewake._ingest_metadata('C1000000000A', 'poison.jpg', 4097, NULL, NULL, 0, '{}', '{}');
SELECT count(*) FROM devicewake._ingest_chunks(array_fill('C1000000000A'::text, ARRAY[1025]),
    array_fill('poison.jpg'::text, ARRAY[1025]), ARRAY(SELECT generate_series(0, 1024)),
    array_fill(decode(repeat('ff', 16384), 'hex'), ARRAY[1025]));
INSERT INTO devicewake.sites (name, timezone, wake_schedule_cron) VALUES ('Hostile bench site', 'UTC', '0 */3 * * *');
INSERT INTO devicewake.devices (device_mac, site_id)
SELECT 'BF' || lpad(upper(to_hex(i)), 10, '0'), (SELECT site_id FROM devicewake.sites WHERE name = 'Hostile bench site' LIMIT 1)
FROM generate_series(1, 10) i
WHERE NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_mac = 'BF' || lpad(upper(to_hex(i)), 10, '0'));
SQL
echo "bench poison_image=$(q "SELECT status || ' ' || coalesce(timeout_reason, '') FROM devicewake.device_images WHERE image_name = 'poison.jpg'")"

stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -t 'ESP32CAM/+/ack' -F '%U %t' >"$run/hostile_acks.out" &
sub=$!
sleep 0.5
echo "-- worker before the attacks: $(rss)"

# ---------------------------------------------------------------- 1. time per hostile message
# other devices' traffic: 10 cameras at a site, each run a whole wake with a 70 KB upload, run
# after run until the samples are taken
touch "$run/hostile_traffic.on"
(i=0; while [ -e "$run/hostile_traffic.on" ]; do
   i=$((i + 1))
   "$sim" --cameras 10 --image-size 71680 --chunk-size 1024 --mac-prefix BF --image-base $((i * 1000)) \
     --ack-timeout 60 --no-verify bench >>"$run/hostile_traffic.out" 2>&1
 done) &
traffic=$!
sleep 3
n=0
sample() {  # sample KIND TOPIC FILE: one hostile message, then a quiet device's HELLO; prints ms
  n=$((n + 1))
  local mac
  mac=$(printf 'C0%010X' "$n")
  local t0=$EPOCHREALTIME
  if [ "$1" = unknown_hello ]; then
    pubm "ESP32CAM/$(printf 'C2%06X%04X' $RANDOM $n)/status" '{"status":"Alive"}'
  else
    pubf "$2" "$3"
  fi
  pubm "ESP32CAM/$mac/status" '{"status":"Alive","pendingImg":0}'
  local deadline=$((SECONDS + 30)) t1=""
  while [ $SECONDS -le $deadline ]; do
    t1=$(awk -v t="ESP32CAM/$mac/ack" '$2 == t { print $1; exit }' "$run/hostile_acks.out")
    [ -n "$t1" ] && break
    sleep 0.005
  done
  [ -n "$t1" ] && awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' || echo 30000
}
declare -A p50 pmax
for i in 1 2 3; do sample harmless ESP32CAM/C1000000000A/data "$run/hostile_harmless.json" >/dev/null; done  # warm-up
kinds="harmless metadata_at_caps metadata_12000_keys payload_1mib poison_chunk unknown_hello"
for kind in $kinds; do : >"$run/hostile_ms_$kind.txt"; done
# round robin over the kinds, so that the traffic's ups and downs reach every kind alike
for i in $(seq 1 "$samples"); do
  for kind in $kinds; do
    case $kind in
      poison_chunk) file=$run/hostile_poison_chunk.json ;;
      unknown_hello) file="" ;;
      *) file=$run/hostile_$kind.json ;;
    esac
    sample "$kind" ESP32CAM/C1000000000A/data "$file" >>"$run/hostile_ms_$kind.txt"
  done
done
for kind in $kinds; do
  ms=$(sort -n "$run/hostile_ms_$kind.txt")
  p50[$kind]=$(echo "$ms" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  pmax[$kind]=$(echo "$ms" | tail -n 1)
  echo "bench kind=$kind samples=$samples latency_p50_ms=${p50[$kind]} latency_max_ms=${pmax[$kind]}"
done
for kind in metadata_at_caps metadata_12000_keys payload_1mib poison_chunk unknown_hello; do
  awk -v k="$kind" -v a="${p50[$kind]}" -v b="${p50[harmless]}" -v c="${pmax[$kind]}" -v d="${pmax[harmless]}" \
    'BEGIN { printf "ratio %s/harmless p50=%.2f max=%.2f extra_max_ms=%.1f\n", k, a / b, c / d, c - d }'
done
rm -f "$run/hostile_traffic.on"; wait $traffic
echo "bench traffic_runs=$(grep -c '^bench chunks_per_s' "$run/hostile_traffic.out") traffic_chunks_per_s_mean=$(awk '/^bench chunks_per_s/ { sub(/.*chunks_per_s=/, ""); s += $1; n++ } END { printf "%.0f", s / n }' "$run/hostile_traffic.out")"
echo "bench rejected_kept_max_bytes=$(q "SELECT max(octet_length(payload)) FROM devicewake.rejected_messages")"

# ---------------------------------------------------------------- 2. RSS under the size attacks
echo "-- worker after the timing runs: $(rss)"
wait_rejected() {  # wait_rejected COUNT: until rejected_messages has COUNT more rows (60 s)
  local target=$(($(q "SELECT count(*) FROM devicewake.rejected_messages") + $1)) deadline=$((SECONDS + 60))
  while [ $SECONDS -le $deadline ] && [ "$(q "SELECT count(*) >= $target FROM devicewake.rejected_messages")" != t ]; do sleep 0.1; done
}
for i in $(seq 1 150); do pubf ESP32CAM/C1000000000A/data "$run/hostile_merge_200kb.json"; done
wait_rejected 150
echo "bench attack=merge_150x200kb $(rss) image_rows=$(q "SELECT count(*) FROM devicewake.device_images WHERE image_name = 'merge.jpg'")"
for i in $(seq 1 2000); do printf 'ESP32CAM/D%011X/status\n' "$i"; done >"$run/hostile_macs.txt"
pids=()
while read -r t; do
  pubm "$t" '{"status":"Alive"}' & pids+=($!)
  [ ${#pids[@]} -ge 50 ] && { wait "${pids[@]}"; pids=(); }
done <"$run/hostile_macs.txt"
[ ${#pids[@]} -gt 0 ] && wait "${pids[@]}"
deadline=$((SECONDS + 120))
while [ $SECONDS -le $deadline ]; do
  [ "$(q "SELECT (SELECT count(*) FROM devicewake.devices WHERE device_mac LIKE 'D0%') + (SELECT count(*) FROM devicewake.rejected_messages WHERE topic LIKE 'ESP32CAM/D0%') >= 2000")" = t ] && break
  sleep 0.2
done
echo "bench attack=hello_2000_random_macs $(rss) registered=$(q "SELECT count(*) FROM devicewake.devices WHERE device_mac LIKE 'D0%'") rejected=$(q "SELECT count(*) FROM devicewake.rejected_messages WHERE topic LIKE 'ESP32CAM/D0%'")"
pubf ESP32CAM/C1000000000A/data "$run/hostile_150mb.bin"
wait_rejected 1
echo "bench attack=payload_150mb $(rss) kept=$(q "SELECT octet_length(payload) || '/' || payload_length FROM devicewake.rejected_messages ORDER BY rejected_id DESC LIMIT 1")"
kill $sub 2>/dev/null
rm -f "$run"/hostile_*.json "$run"/hostile_ms_*.txt "$run/hostile_150mb.bin" "$run/hostile_macs.txt"
