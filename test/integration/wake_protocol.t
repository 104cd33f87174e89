# The wake conversation message by message, with raw MQTT as a camera sends it (mosquitto_pub)
# and a subscriber that sees what the server answers: capture on HELLO, one send_image however
# often the METADATA repeats, missing chunks on /ack only after a chunk and then quiet, the
# session's chunks_missing cleared on completion, the sleep signal last; replies on the prefix the
# device used (a legacy "device/" camera); command_ack as an object; topics with a non-canonical
# MAC refused; an unassigned device told to sleep on the default schedule; conversation
# messages after the device's due application commands.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"

OUT=$DW_RUN/wake_protocol.sub
b64() { printf "$1" | base64 -w0; }
cleanup() {
  kill "$SUB" 2>/dev/null
  q "ALTER SYSTEM RESET devicewake.topic_prefix" >/dev/null 2>&1
  q "ALTER SYSTEM RESET devicewake.chunk_quiet_period" >/dev/null 2>&1
  q "ALTER SYSTEM RESET devicewake.dispatch_policy" >/dev/null 2>&1
  q "SELECT pg_reload_conf()" >/dev/null 2>&1
  q "DELETE FROM devicewake.devices WHERE device_mac LIKE 'AB00000000__'" >/dev/null 2>&1
  q "DELETE FROM devicewake.sites WHERE name = 'Protocol site'" >/dev/null 2>&1
  q "DELETE FROM devicewake.companies WHERE name = 'Protocol company'" >/dev/null 2>&1
}
trap cleanup EXIT
# lines the server published for one device, in order, without the probe traffic
said() { grep -F "/$1/" "$OUT" | grep -v probe_ | sed -E 's#^[^ ]*/(cmd|ack) #\1 #'; }
count() { said "$1" | grep -c -F -- "$2"; }

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
since=$(q "SELECT since FROM devicewake.worker_status()")
# (on_wake: an application command waits for the device's HELLO, so the order of the two is seen)
q "ALTER SYSTEM SET devicewake.topic_prefix = 'ESP32CAM, device'" >/dev/null
q "ALTER SYSTEM SET devicewake.chunk_quiet_period = 2" >/dev/null
q "ALTER SYSTEM SET devicewake.dispatch_policy = on_wake" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_for 20 "SELECT connected AND since > '$since' FROM devicewake.worker_status()"
ok $? "a changed topic_prefix makes the worker reconnect (and subscribe to both prefixes)"
: >"$OUT"
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t 'ESP32CAM/+/ack' -t 'ESP32CAM/+/cmd' \
  -t 'device/+/ack' -t 'device/+/cmd' >>"$OUT" 2>/dev/null &
SUB=$!
wait_subscribed ESP32CAM/PROBE/cmd "$OUT"
wait_subscribed device/PROBE/cmd "$OUT"

q "INSERT INTO devicewake.companies (name) VALUES ('Protocol company')" >/dev/null
q "INSERT INTO devicewake.sites (name, company_id, timezone, wake_schedule_cron)
   SELECT 'Protocol site', company_id, 'UTC', '0 */3 * * *' FROM devicewake.companies WHERE name = 'Protocol company'" >/dev/null
q "INSERT INTO devicewake.devices (device_mac, site_id)
   SELECT m, site_id FROM devicewake.sites, unnest(ARRAY['AB0000000001', 'AB0000000002', 'AB0000000004']) m
   WHERE name = 'Protocol site'" >/dev/null

# --- a fresh wake, driven by the server
M=AB0000000001
meta="{\"device_id\":\"$M\",\"image_name\":\"image_7.jpg\",\"image_size\":9,\"max_chunks_size\":5,\"total_chunk_count\":2,\"timestamp\":\"2025-10-6T1:04:27Z\",\"error\":0}"
chunk() { pub "ESP32CAM/$M/data" "{\"device_id\":\"$M\",\"image_name\":\"image_7.jpg\",\"chunk_id\":$1,\"max_chunk_size\":5,\"payload\":\"$(b64 "$2")\"}"; }
pub "ESP32CAM/$M/status" "{\"device_id\":\"$M\",\"status\":\"Alive\",\"pendingImg\":0,\"wifi_rssi\":-61.4}"
wait_text 10 "$OUT" "ESP32CAM/$M/cmd {\"device_id\":\"$M\",\"capture_image\":true}"
ok $? "a HELLO with nothing pending is answered with capture_image on /cmd"
pub "ESP32CAM/$M/data" "$meta"
wait_text 10 "$OUT" "ESP32CAM/$M/cmd {\"device_id\":\"$M\",\"send_image\":\"image_7.jpg\"}"
ok $? "the capture's METADATA is answered with send_image"
pub "ESP32CAM/$M/data" "$meta"; pub "ESP32CAM/$M/data" "$meta"  # cameras repeat it every few chunks
chunk 0 '\xff\xd8\xff\xe0\x00'
pub "ESP32CAM/$M/data" "$meta"
wait_text 10 "$OUT" "ESP32CAM/$M/ack {\"device_id\":\"$M\",\"image_name\":\"image_7.jpg\",\"missing_chunks\":[1]}"
ok $? "after a chunk and a quiet period, the missing chunk is asked for on /ack"
is "$(count $M missing_chunks)" 1 "one request per quiet period (the period restarts after each request)"
is "$(q "SELECT chunks_missing::text FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = '$M' AND s.status = 'in_progress'")" "{1}" \
  "the session names the missing chunk"
chunk 1 'JF\xff\xd9'
wait_text 10 "$OUT" "ESP32CAM/$M/ack {\"device_id\":\"$M\",\"image_name\":\"image_7.jpg\",\"ACK_OK\":{\"next_wake_time\":"
ok $? "the completed image is answered with the sleep signal naming it"
is "$(count $M send_image)" 1 "one send_image for the image, however often its METADATA came"
is "$(said $M | tail -n 1 | grep -c '"ACK_OK":{"next_wake_time"')" 1 "the sleep signal is the last thing said"
wait_for 10 "SELECT s.status = 'completed' AND s.chunks_missing = '{}' FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = '$M'"
ok $? "the PUBACKed sleep signal ends the session, completed, its chunks_missing cleared"
is "$(q "SELECT wifi_rssi || ' ' || (i.captured_at = '2025-10-06 01:04:27+00') FROM devicewake.devices d JOIN devicewake.device_images i USING (device_id) WHERE d.device_mac = '$M'")" \
  "-61 true" "a decimal RSSI is kept rounded, an unpadded capture time is read"
told=$(said $M | tail -n 1 | sed -E 's/.*"next_wake_time":"([^"]*)".*/\1/')
is "$told" "$(q "SELECT to_char(next_wake_at AT TIME ZONE 'UTC', 'FMHH12:MIAM') FROM devicewake.devices WHERE device_mac = '$M'")" \
  "the sleep signal tells the device's next wake"

# --- a missing-chunk request only after the camera sent something for a restarted upload
M=AB0000000002
pub "ESP32CAM/$M/status" "{\"device_id\":\"$M\",\"status\":\"Alive\",\"pendingImg\":0}"
wait_text 10 "$OUT" "ESP32CAM/$M/cmd {\"device_id\":\"$M\",\"capture_image\":true}"
pub "ESP32CAM/$M/data" "{\"device_id\":\"$M\",\"image_name\":\"r.jpg\",\"image_size\":10,\"max_chunk_size\":5,\"total_chunk_count\":2,\"error\":0}"
wait_text 10 "$OUT" "ESP32CAM/$M/cmd {\"device_id\":\"$M\",\"send_image\":\"r.jpg\"}"
wait_for 10 "SELECT count(*) = 0 FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = '$M' AND c.command_type = 'resend_chunks'"
sleep_until=$((SECONDS + 5))
while [ $SECONDS -lt $sleep_until ] && [ "$(count $M missing_chunks)" -eq 0 ]; do sleep 0.1; done
is "$(count $M missing_chunks)" 0 "no missing-chunk request while the camera has sent nothing for the upload (5 s, quiet period 2 s)"

# --- a command acknowledgement as an object (real firmware sends both forms)
cmd=$(q "INSERT INTO devicewake.device_commands (device_id, command_type) SELECT device_id, 'ping' FROM devicewake.devices WHERE device_mac = '$M' RETURNING command_id")
wait_for 10 "SELECT status = 'sent' FROM devicewake.device_commands WHERE command_id = '$cmd'"
pub "ESP32CAM/$M/ack" "{\"device_id\":\"$M\",\"command_ack\":{\"command_id\":\"$cmd\",\"status\":\"acknowledged\"}}"
wait_for 10 "SELECT status = 'acknowledged' FROM devicewake.device_commands WHERE command_id = '$cmd'"
ok $? "command_ack as an object acknowledges the named command"

# --- a legacy camera on the device/ prefix is answered on device/
M=AB0000000004
pub "device/$M/status" "{\"device_id\":\"$M\",\"status\":\"Alive\",\"pendingImg\":1,\"pending_list\":[\"old.jpg\"]}"
wait_text 10 "$OUT" "device/$M/cmd {\"device_id\":\"$M\",\"send_all_pending\":true}"
ok $? "a HELLO with a pending image on device/ is answered on device/ with send_all_pending"
is "$(grep -c -F "ESP32CAM/$M/" "$OUT")" 0 "nothing for it goes to the other prefix"

# --- due application commands go out before the conversation's answer
q "UPDATE devicewake.device_wake_sessions SET status = 'completed', ended_at = now() FROM devicewake.devices d
   WHERE d.device_id = device_wake_sessions.device_id AND d.device_mac = '$M' AND status = 'in_progress'" >/dev/null
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, priority)
   SELECT device_id, 'update_config', '{\"interval\": 5}', 1 FROM devicewake.devices WHERE device_mac = '$M'" >/dev/null
before=$(said $M | wc -l)
pub "device/$M/status" "{\"device_id\":\"$M\",\"status\":\"Alive\",\"pendingImg\":0}"
wait_text 10 "$OUT" "device/$M/cmd {\"device_id\":\"$M\",\"capture_image\":true}"
is "$(said $M | tail -n +$((before + 1)) | head -n 2 | cut -c1-60 | tr '\n' '|')" \
   "cmd {\"device_id\":\"$M\",\"interval\":5}|cmd {\"device_id\":\"$M\",\"capture_image\":true}|" \
   "the due update_config (priority 1) goes out before the capture request (priority 10)"

# --- an unassigned device is only told to sleep, on the default schedule
M=AB0000000003
pub "ESP32CAM/$M/status" "{\"device_id\":\"$M\",\"status\":\"Alive\",\"pendingImg\":3}"
wait_text 10 "$OUT" "ESP32CAM/$M/ack {\"device_id\":\"$M\",\"ACK_OK\":{\"next_wake_time\":"
ok $? "an unknown device is registered and told to sleep, without an image name"
is "$(said $M | wc -l)" 1 "and nothing else"
is "$(said $M | sed -E 's/.*"next_wake_time":"([^"]*)".*/\1/')" \
   "$(q "SELECT to_char(devicewake.fn_calculate_next_wake_time(now(), '0 */3 * * *', 'UTC') AT TIME ZONE 'UTC', 'FMHH12:MIAM')")" \
   "its wake is the next slot of devicewake.default_wake_schedule (0 */3 * * *), not now + 24 h"

# --- a topic whose MAC is not canonical is refused (broker ACLs are written for the canonical one)
pub "ESP32CAM/ab:00:00:00:00:09/status" '{"status":"Alive"}'
wait_for 10 "SELECT count(*) = 1 FROM devicewake.rejected_messages WHERE topic = 'ESP32CAM/ab:00:00:00:00:09/status' AND reason LIKE '%not canonical%'"
ok $? "a HELLO on a colon-separated MAC topic is rejected as not canonical"
is "$(q "SELECT count(*) FROM devicewake.devices WHERE device_mac = 'AB0000000009'")" 0 "and registers nothing"

# --- the worker flushes its table statistics (else autovacuum never sees its churn)
wait_for 10 "SELECT n_tup_upd > 0 AND n_tup_ins > 0 FROM pg_stat_user_tables WHERE relid = 'devicewake.device_commands'::regclass"
ok $? "pg_stat_user_tables counts the worker's inserts and updates of device_commands"

done_testing
