# A camera falls asleep mid-upload: the sweep fails the image and raises the alert, the retry
# goes out as send_image, the camera wakes and sends the whole image again, and the image
# completes with its failure cleared and its alert resolved. Real broker, mosquitto_pub as camera.
source "$(dirname "$0")/lib.sh"

MAC=0A0B0C0D0E0F
T=ESP32CAM/$MAC
OUT=$DW_RUN/retry_flow.sub
# this camera's rows only: other tests' cameras may hold an image_2.jpg too
DEV="(SELECT device_id FROM devicewake.devices WHERE device_mac = '$MAC')"
wait_line() { wait_text "$1" "$OUT" "$2"; }  # wait_line SECONDS TEXT: TEXT arrived on the device's topics
{ printf '\xff\xd8\xff\xe0'; head -c 3994 /dev/urandom; printf '\xff\xd9'; } >"$DW_RUN/image_2.jpg"
split -b 1024 -d -a 3 "$DW_RUN/image_2.jpg" "$DW_RUN/image_2.part."
chunk() {
  pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"image_2.jpg\",\"chunk_id\":$1,\"max_chunk_size\":1024,\"payload\":\"$(base64 -w0 "$(printf '%s/image_2.part.%03d' "$DW_RUN" "$1")")\"}"
}
metadata() {
  pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"image_2.jpg\",\"image_size\":4000,\"capture_timeStamp\":\"2026-11-22T06:00:02Z\",\"max_chunk_size\":1024,\"total_chunk_count\":4,\"error\":0,\"temperature\":19.0}"
}

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
: >"$OUT"
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t "$T/cmd" -t "$T/ack" >>"$OUT" 2>/dev/null &
SUB=$!
trap 'kill $SUB 2>/dev/null' EXIT
wait_subscribed "$T/cmd" "$OUT"

# a camera on a daily schedule uploads half an image and falls asleep
pub "$T/status" "{\"device_id\":\"$MAC\",\"status\":\"Alive\",\"pendingImg\":1,\"pending_list\":[\"image_2.jpg\"]}"
wait_for 10 "SELECT count(*) = 1 FROM devicewake.devices WHERE device_mac = '$MAC'"; ok $? "the camera is registered by its HELLO"
q "UPDATE devicewake.devices SET wake_schedule_cron = '0 6 * * *' WHERE device_mac = '$MAC'" >/dev/null
q "UPDATE devicewake.device_images i SET max_retries = 1 FROM devicewake.devices d WHERE d.device_id = i.device_id AND d.device_mac = '$MAC'" >/dev/null
metadata
wait_line 10 '"send_image":"image_2.jpg"'; ok $? "metadata is answered with send_image"
chunk 0; chunk 1
wait_for 10 "SELECT received_chunks = 2 FROM devicewake.device_images WHERE image_name = 'image_2.jpg' AND device_id = $DEV"; ok $? "two of four chunks arrive" ||
  { diag "image: $(q "SELECT status, received_chunks, total_chunks FROM devicewake.device_images WHERE image_name = 'image_2.jpg' AND device_id = $DEV")";
    diag "rejected: $(q "SELECT string_agg(reason, '; ') FROM devicewake.rejected_messages WHERE topic LIKE '$T/%'")"; sed 's/^/#   heard: /' "$OUT" >&2; }

# it slept through its next wake window: the sweep takes over
q "UPDATE devicewake.devices SET next_wake_at = now() - interval '1 minute' WHERE device_mac = '$MAC'" >/dev/null
: >"$OUT"
is "$(q "SELECT count(*) FROM devicewake.timeout_stale_images() WHERE image_name = 'image_2.jpg' AND device_id = $DEV AND command_id IS NOT NULL")" 1 \
  "the sweep fails the stuck image and queues a retry"
is "$(q "SELECT status || ' ' || retry_count FROM devicewake.device_images WHERE image_name = 'image_2.jpg' AND device_id = $DEV")" "failed 1" "the image is failed, retry_count 1"
is "$(q "SELECT count(*) FROM devicewake.device_alerts a JOIN devicewake.device_images i USING (image_id) WHERE i.image_name = 'image_2.jpg' AND i.device_id = $DEV AND a.alert_type = 'image_transmission_failed' AND a.severity = 'critical' AND a.resolved_at IS NULL")" 1 \
  "a critical alert is raised on the last allowed retry"
is "$(q "SELECT (command_payload -> 'missing_chunks')::text FROM devicewake.device_commands WHERE command_type = 'retry_image' AND command_payload ->> 'image_name' = 'image_2.jpg' AND device_id = $DEV")" "[2, 3]" \
  "the retry names the missing chunks"
wait_line 10 "$T/cmd {\"device_id\":\"$MAC\",\"send_image\":\"image_2.jpg\"}"; ok $? "the retry goes out as send_image"

# the camera wakes and sends the whole image again
pub "$T/status" "{\"device_id\":\"$MAC\",\"status\":\"Alive\",\"pendingImg\":1,\"pending_list\":[\"image_2.jpg\"]}"
metadata
for i in 0 1 2 3; do chunk $i; done
wait_line 10 "\"image_name\":\"image_2.jpg\",\"ACK_OK\":{\"next_wake_time\":\"6:00AM\"}"
ok $? "the completed retry is acknowledged with the next wake (6:00AM UTC)"
is "$(q "SELECT status || ' ' || (failed_at IS NULL) || ' ' || (timeout_reason IS NULL) || ' ' || md5(image_data) FROM devicewake.device_images WHERE image_name = 'image_2.jpg' AND device_id = $DEV")" \
  "complete true true $(md5sum <"$DW_RUN/image_2.jpg" | cut -d' ' -f1)" "the image is complete and byte-exact, its failure cleared"
is "$(q "SELECT count(*) FROM devicewake.device_alerts a JOIN devicewake.device_images i USING (image_id) WHERE i.image_name = 'image_2.jpg' AND i.device_id = $DEV AND a.resolved_at IS NULL")" 0 \
  "its alert is resolved"
is "$(q "SELECT count(*) FROM devicewake.image_chunks c JOIN devicewake.device_images i USING (image_id) WHERE i.image_name = 'image_2.jpg' AND i.device_id = $DEV")" 0 \
  "the chunks are released once the JPEG is stored"
done_testing
