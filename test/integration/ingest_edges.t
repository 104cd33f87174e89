# Edges of ingest and dispatch found in review: a backlog that arrives as one batch (a new device's
# metadata, chunks and repeated metadata; a HELLO followed by a repeated metadata), an image whose
# assembly failed and is sent again, a command expiring while its publish awaits the PUBACK, and a
# due command whose row was locked when the worker tried to claim it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"

OUT=$DW_RUN/ingest_edges.sub
b64() { printf "$1" | base64 -w0; }
cleanup() {
  kill "$SUB" 2>/dev/null
  [ -n "${BROKER_STOPPED:-}" ] && kill -CONT "$(cat "$DW_RUN/mosquitto.pid")" 2>/dev/null
  q "ALTER SYSTEM RESET devicewake.mqtt_port" >/dev/null 2>&1; q "SELECT pg_reload_conf()" >/dev/null 2>&1
}
trap cleanup EXIT

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
: >"$OUT"
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t 'ESP32CAM/+/ack' -t 'ESP32CAM/+/cmd' >>"$OUT" 2>/dev/null &
SUB=$!
wait_subscribed ESP32CAM/PROBE/cmd "$OUT"

# --- a backlog applied as one batch. The worker is pointed at a closed port; what devices send
# meanwhile waits in its persistent session at the broker and arrives at once on reconnect.
q "INSERT INTO devicewake.sites (name, timezone, wake_schedule_cron) VALUES ('Edge site', 'UTC', '*/5 * * * *')" >/dev/null
q "INSERT INTO devicewake.devices (device_mac, site_id, next_wake_at)
   SELECT 'TEST-EDGE-2', site_id, now() - interval '3 hours' FROM devicewake.sites WHERE name = 'Edge site'" >/dev/null
q "INSERT INTO devicewake.device_images (device_id, image_name, status, total_chunks, received_chunks, image_data, completed_at)
   SELECT device_id, 'done.jpg', 'complete', 1, 1, '\\xffd8ffd9', now() FROM devicewake.devices WHERE device_mac = 'TEST-EDGE-2'" >/dev/null
pid=$(worker_pid)
q "ALTER SYSTEM SET devicewake.mqtt_port = $(dw_free_port)" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 20 "SELECT NOT connected FROM devicewake.worker_status()"; ok $? "the worker is away from the broker"
meta='{"device_id":"TEST-EDGE-1","image_name":"e.jpg","image_size":10,"max_chunk_size":6,"total_chunk_count":2,"error":0}'
pub ESP32CAM/TEST-EDGE-1/data "$meta"
pub ESP32CAM/TEST-EDGE-1/data "{\"device_id\":\"TEST-EDGE-1\",\"image_name\":\"e.jpg\",\"chunk_id\":0,\"max_chunk_size\":6,\"payload\":\"$(b64 '\xff\xd8\xff\xe0\x00\x10')\"}"
pub ESP32CAM/TEST-EDGE-1/data "{\"device_id\":\"TEST-EDGE-1\",\"image_name\":\"e.jpg\",\"chunk_id\":1,\"max_chunk_size\":6,\"payload\":\"$(b64 'JF\xff\xd9')\"}"
pub ESP32CAM/TEST-EDGE-1/data "$meta"  # the device missed the ACK_OK and starts over
pub ESP32CAM/TEST-EDGE-2/status '{"device_id":"TEST-EDGE-2","status":"Alive"}'
pub ESP32CAM/TEST-EDGE-2/data '{"device_id":"TEST-EDGE-2","image_name":"done.jpg","image_size":4,"max_chunk_size":4,"total_chunk_count":1,"error":0}'
q "ALTER SYSTEM RESET devicewake.mqtt_port" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is back"
wait_text 10 "$OUT" 'ESP32CAM/TEST-EDGE-1/ack' 2; ok $? "a new device's image, completed and announced again in one batch, gets two ACK_OKs"
is "$(worker_pid)" "$pid" "the worker process survived the batch"
is "$(q "SELECT status FROM devicewake.device_images WHERE image_name = 'e.jpg'")" complete "the image is complete"
is "$(grep -F 'ESP32CAM/TEST-EDGE-1/ack' "$OUT" | sed -E 's/.*"next_wake_time":"([^"]*)".*/\1/' | sort -u | wc -l)" 1 \
  "both ACK_OKs name the same next wake (one definition for both ways an ACK_OK is sent)"
wait_text 10 "$OUT" 'ESP32CAM/TEST-EDGE-2/ack'; ok $? "a repeated metadata of a complete image is answered with ACK_OK"
is "$(grep -F 'ESP32CAM/TEST-EDGE-2/ack' "$OUT" | cut -d' ' -f2-)" \
   '{"device_id":"TEST-EDGE-2","image_name":"done.jpg","ACK_OK":true}' \
   "inside the wake the HELLO earlier in the same batch opened, it is ACK_OK:true (the wake goes on)"

# --- an image whose assembly failed is sent again whole: it starts over and completes
meta3='{"device_id":"TEST-EDGE-3","image_name":"bad.jpg","image_size":10,"max_chunk_size":6,"total_chunk_count":2,"error":0}'
chunk3() { pub ESP32CAM/TEST-EDGE-3/data "{\"device_id\":\"TEST-EDGE-3\",\"image_name\":\"bad.jpg\",\"chunk_id\":$1,\"max_chunk_size\":6,\"payload\":\"$(b64 "$2")\"}"; }
pub ESP32CAM/TEST-EDGE-3/data "$meta3"; chunk3 0 'XXXXXX'; chunk3 1 'JF\xff\xd9'
wait_for 10 "SELECT status = 'failed' AND timeout_reason LIKE '%FF D8 FF%' FROM devicewake.device_images WHERE image_name = 'bad.jpg'"
ok $? "an upload that is not a JPEG fails assembly"
pub ESP32CAM/TEST-EDGE-3/data "$meta3"; chunk3 0 '\xff\xd8\xff\xe0\x00\x10'; chunk3 1 'JF\xff\xd9'
wait_for 10 "SELECT status = 'complete' AND image_data = '\\xffd8ffe000104a46ffd9' FROM devicewake.device_images WHERE image_name = 'bad.jpg'"
ok $? "sent again, it starts over with the new bytes and completes"

# --- a command that expires while its publish awaits the PUBACK does not make the worker spin
dev=$(q "INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-EDGE-4') RETURNING device_id")
kill -STOP "$(cat "$DW_RUN/mosquitto.pid")"; BROKER_STOPPED=1
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, expires_at)
   VALUES ('$dev', 'ping', '{}', now() + interval '1 second')" >/dev/null
sleep 1.5  # the expiry passes while the publish is in flight (the fault being set up, not a wait)
wpid=$(worker_pid)
ticks() { awk '{ print $14 + $15 }' "/proc/$wpid/stat"; }
before=$(ticks); sleep 3; after=$(ticks)
kill -CONT "$(cat "$DW_RUN/mosquitto.pid")"; BROKER_STOPPED=
[ $((after - before)) -lt 60 ]; ok $? "the worker waits for the PUBACK instead of spinning ($((after - before)) CPU ticks in 3 s)"
wait_for 40 "SELECT status <> 'pending' OR claimed_at IS NULL FROM devicewake.device_commands WHERE device_id = '$dev'"
ok $? "and the command's claim is resolved once the broker answers"

# --- a due command whose row is locked when the worker claims is published when the lock ends
cmd=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, scheduled_for)
         VALUES ('$dev', 'send_image', '{\"image_name\":\"locked.jpg\"}', now() + interval '1 second') RETURNING command_id")
psql -X -q -c "BEGIN" -c "SELECT 1 FROM devicewake.device_commands WHERE command_id = '$cmd' FOR UPDATE" \
  -c "SELECT pg_sleep(3)" -c "UPDATE devicewake.device_commands SET priority = 7 WHERE command_id = '$cmd'" \
  -c "COMMIT" >/dev/null &
locker=$!
wait_text 10 "$OUT" 'locked.jpg'; ok $? "published within seconds of the lock's end, not at the 60 s safety scan"
wait "$locker"
is "$(q "SELECT delivered_at >= scheduled_for + interval '1.5 seconds' FROM devicewake.device_commands WHERE command_id = '$cmd'")" t \
  "(the claim at its due time had skipped the locked row)"
done_testing
