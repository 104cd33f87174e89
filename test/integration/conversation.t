# The device side of the conversation against a real mosquitto, spoken with mosquitto_pub as the
# firmware speaks it: HELLO with a pending image -> send_all_pending -> METADATA and chunks
# (duplicated, out of order) -> assembled JPEG, ACK_OK:true and capture_image -> METADATA ->
# send_image -> chunks with a gap -> missing chunks asked on /ack -> the sleep signal; command
# acknowledgements; and malformed messages kept in rejected_messages while traffic flows.
source "$(dirname "$0")/lib.sh"

MAC=AABBCCDDEEFF
T=ESP32CAM/$MAC
OUT=$DW_RUN/conversation.sub
# this camera's rows only: other tests' cameras may hold images of the same names
DEV="(SELECT device_id FROM devicewake.devices WHERE device_mac = '$MAC')"
pubfile() { mosquitto_pub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -t "$1" -f "$2"; }
wait_line() { wait_text "$1" "$OUT" "$2"; }  # wait_line SECONDS TEXT: TEXT arrived on the device's topics
# a synthetic JPEG of $2 bytes, split into chunks of $3 bytes: $1.jpg and $1.part.NNN
make_jpeg() {
  { printf '\xff\xd8\xff\xe0'; head -c $(($2 - 6)) /dev/urandom; printf '\xff\xd9'; } >"$DW_RUN/$1.jpg"
  split -b "$3" -d -a 3 "$DW_RUN/$1.jpg" "$DW_RUN/$1.part."
}
chunk() {  # chunk IMAGE INDEX: publish chunk INDEX of IMAGE
  local part
  part=$(printf '%s/%s.part.%03d' "$DW_RUN" "$1" "$2")
  pub "$T/data" "{\"device_id\":\"AA:BB:CC:DD:EE:FF\",\"image_name\":\"$1.jpg\",\"chunk_id\":$2,\"max_chunk_size\":1024,\"payload\":\"$(base64 -w0 "$part")\"}"
}

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
: >"$OUT"
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t "$T/cmd" -t "$T/ack" >>"$OUT" 2>/dev/null &
SUB=$!
trap 'kill $SUB 2>/dev/null' EXIT
wait_subscribed "$T/cmd" "$OUT"

# --- HELLO: a wake session opens (the camera sits at a site: an unassigned one is only told to
# sleep, see wake_protocol.t)
q "INSERT INTO devicewake.sites (name, timezone, wake_schedule_cron) VALUES ('Conversation site', 'UTC', '0 */3 * * *')" >/dev/null
q "INSERT INTO devicewake.devices (device_mac, site_id) SELECT '$MAC', site_id FROM devicewake.sites WHERE name = 'Conversation site'" >/dev/null
pub "$T/status" '{"device_id":"AA:BB:CC:DD:EE:FF","status":"Alive","pendingImg":1,"pending_list":["image_1.jpg"],"firmware_version":"1.4.2","battery_voltage":3.91,"wifi_rssi":-61}'
wait_for 10 "SELECT count(*) = 1 FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = '$MAC' AND s.status = 'in_progress'"
ok $? "HELLO opens a wake session"
is "$(q "SELECT firmware_version || ' ' || battery_voltage || ' ' || wifi_rssi FROM devicewake.devices WHERE device_mac = '$MAC'")" "1.4.2 3.910 -61" \
  "HELLO telemetry is stored"
is "$(q "SELECT status FROM devicewake.device_images WHERE device_id = $DEV AND image_name = 'image_1.jpg'")" pending "pending_list becomes pending image rows"

wait_line 10 "$T/cmd {\"device_id\":\"$MAC\",\"send_all_pending\":true}"
ok $? "a HELLO with a pending image is answered with send_all_pending"

# --- METADATA of the backlog image: receiving; the camera streams it on its own
make_jpeg image_1 2600 1024
pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"image_1.jpg\",\"image_size\":2600,\"capture_timestamp\":\"2026-11-22T14:31:05Z\",\"max_chunks_size\":1024,\"total_chunks_count\":3,\"error\":0,\"sensor_data\":{\"temperature\":21.5,\"humidity\":40,\"pressure\":1013.2,\"gas_resistance\":120000}}"
wait_for 10 "SELECT status = 'receiving' FROM devicewake.device_images WHERE device_id = $DEV AND image_name = 'image_1.jpg'"
is "$(q "SELECT status || ' ' || total_chunks || ' ' || (metadata #>> '{sensor_data,temperature}') FROM devicewake.device_images WHERE device_id = $DEV AND image_name = 'image_1.jpg'")" \
  "receiving 3 21.5" "the image is receiving with its totals and readings"

# --- chunks out of order and duplicated: one byte-exact JPEG, complete; the wake goes on with
# this wake's own picture
chunk image_1 2; chunk image_1 0; chunk image_1 2; chunk image_1 1
wait_line 10 "$T/ack {\"device_id\":\"$MAC\",\"image_name\":\"image_1.jpg\",\"ACK_OK\":true}"
ok $? "the backlog image is answered with ACK_OK:true, not a sleep signal"
wait_line 10 "$T/cmd {\"device_id\":\"$MAC\",\"capture_image\":true}"; ok $? "then the wake's own capture is asked for"
is "$(grep -v probe_ "$OUT" | grep -c -F send_image)" 0 "no send_image for a streamed backlog image"
is "$(q "SELECT status || ' ' || md5(image_data) FROM devicewake.device_images WHERE device_id = $DEV AND image_name = 'image_1.jpg'")" \
  "complete $(md5sum <"$DW_RUN/image_1.jpg" | cut -d' ' -f1)" "the assembled image is complete and byte-exact"
is "$(q "SELECT chunks_sent FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = '$MAC' AND s.status = 'in_progress'")" 3 \
  "duplicates count once in the session's chunks_sent"

# --- a command acknowledgement from the device
cmd=$(q "INSERT INTO devicewake.device_commands (device_id, command_type) SELECT device_id, 'reboot' FROM devicewake.devices WHERE device_mac = '$MAC' RETURNING command_id")
wait_for 10 "SELECT status = 'sent' FROM devicewake.device_commands WHERE command_id = '$cmd'"; ok $? "the reboot command is sent"
pub "$T/ack" "{\"device_id\":\"$MAC\",\"command_ack\":\"acknowledged\",\"command_id\":\"$cmd\"}"
wait_for 10 "SELECT status = 'acknowledged' AND acknowledged_at IS NOT NULL FROM devicewake.device_commands WHERE command_id = '$cmd'"
ok $? "the device's acknowledgement makes it acknowledged"

# --- a quiet upload with a gap: the server asks for the missing chunks
q "ALTER SYSTEM SET devicewake.chunk_quiet_period = 1" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
make_jpeg image_3 3000 1024
pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"image_3.jpg\",\"image_size\":3000,\"timestamp\":1795357865,\"max_chunk_size\":1024,\"total_chunk_count\":3,\"error\":0}"
wait_line 10 "$T/cmd {\"device_id\":\"$MAC\",\"send_image\":\"image_3.jpg\"}"; ok $? "the capture's metadata is answered with send_image"
chunk image_3 0; chunk image_3 2
wait_line 15 "$T/ack {\"device_id\":\"$MAC\",\"image_name\":\"image_3.jpg\",\"missing_chunks\":[1]}"
ok $? "after a quiet period the missing chunk is requested on /ack"
chunk image_3 1
wait_for 10 "SELECT status = 'complete' FROM devicewake.device_images WHERE device_id = $DEV AND image_name = 'image_3.jpg'"; ok $? "the resent chunk completes the image"
wait_line 10 "$T/ack {\"device_id\":\"$MAC\",\"image_name\":\"image_3.jpg\",\"ACK_OK\":{\"next_wake_time\":\""
ok $? "the wake's last image is answered with the sleep signal"
grep -F '"ACK_OK":{' "$OUT" | grep -qE '"next_wake_time":"(1[0-2]|[1-9]):[0-5][0-9](AM|PM)"'; ok $? "next_wake_time is H:MMAM/PM"
q "ALTER SYSTEM RESET devicewake.chunk_quiet_period" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null

# --- malformed messages are kept with their reason; traffic flows on
before=$(q "SELECT count(*) FROM devicewake.rejected_messages")
pub "$T/data" '{"device_id":"AABBCCDDEEFF","image_name":"x.jpg",'
pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"huge.jpg\",\"image_size\":1000,\"max_chunk_size\":1024,\"total_chunk_count\":1000000000,\"error\":0}"
pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"image_3.jpg\",\"chunk_id\":\"seven\",\"payload\":\"AAAA\"}"
pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"image_9.jpg\",\"chunk_id\":0,\"payload\":\"%%%not base64%%%\"}"
pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"never_announced.jpg\",\"chunk_id\":0,\"payload\":\"/9j/\"}"
pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"image_1.jpg\",\"chunk_id\":0,\"payload\":\"/9j/\"}"
pub "ESP32CAM/not-a-mac/status" '{"status":"Alive"}'
pub "$T/status" '{"device_id":"112233445566","status":"Alive"}'
head -c 400000 /dev/zero | tr '\0' 'x' >"$DW_RUN/big.txt"; pubfile "$T/data" "$DW_RUN/big.txt"
pub "$T/ack" '{"device_id":"AABBCCDDEEFF","command_ack":"acknowledged","command_id":"00000000-0000-4000-8000-000000000000"}'
pub "$T/data" '{"device_id":"AABBCCDDEEFF","battery_voltage":1000000,"temperature":20}'
pub "$T/data" '{"device_id":"AABBCCDDEEFF","temperature":20,"note":"a\u0000b"}'
pub "$T/status" '{"device_id":"AABBCCDDEEFF","status":"Alive","pendingImg":0}'
wait_for 15 "SELECT count(*) >= $before + 11 FROM devicewake.rejected_messages"; ok $? "malformed messages are recorded in rejected_messages"
# a reading outside the limits is the parser's to refuse (it never reaches numeric(6,3)); a message
# that parses but fails in SQL (jsonb refuses \u0000) is isolated by replaying its batch one
# message per transaction: it alone is rejected, with the SQL error
for reason in json 'total' chunk_id base64 metadata 'device id' 'does not match' 'payload' 'not awaiting' \
              'battery_voltage: expected a number of volts' 'unsupported Unicode escape sequence'; do
  is "$(q "SELECT count(*) > 0 FROM devicewake.rejected_messages WHERE reason ILIKE '%$reason%'")" t "a rejection names the problem: $reason"
done
is "$(q "SELECT count(*) FROM devicewake.device_images WHERE image_name IN ('huge.jpg', 'never_announced.jpg')")" 0 \
  "rejected messages change nothing"
is "$(q "SELECT status || ' ' || md5(image_data) FROM devicewake.device_images WHERE device_id = $DEV AND image_name = 'image_1.jpg'")" \
  "complete $(md5sum <"$DW_RUN/image_1.jpg" | cut -d' ' -f1)" "a late duplicate chunk of a complete image changes nothing"
wait_for 10 "SELECT count(*) = 1 FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = '$MAC' AND s.status = 'in_progress' AND s.started_at > now() - interval '10 seconds'"
ok $? "a valid HELLO after the garbage (the camera slept since its sleep signal) opens a wake: the worker kept running"
is "$(q "SELECT rejected > 0 AND ingested > 0 AND acknowledged > 0 FROM devicewake.worker_status()")" t \
  "worker_status counts ingested, rejected and acknowledged messages"
done_testing
