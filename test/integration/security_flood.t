# Security suite (#14 items 2 and 4), replayed on every make test against the live worker and a
# real broker: a payload past devicewake.max_message_bytes is kept as a 64 KiB excerpt with its
# full length and SHA-256; a METADATA of thousands of keys (the merge attack) and one whose JSON
# is too long to keep are rejected, not stored; auto-registration can be turned off and is capped;
# the worker stays up and a real device's messages still apply.
source "$(dirname "$0")/lib.sh"
RUN="$RANDOM$RANDOM"
MAC=$(printf 'E5%010X' $((RUN % 0xFFFFFFFF)))
T="ESP32CAM/$MAC"

# (a test before this one may have restarted the worker: wait for the new one to be seen)
wait_for 30 "SELECT connected AND EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'pg_devicewake worker')
             FROM devicewake.worker_status()"
ok $? "the worker is connected"
pid=$(worker_pid)
q "INSERT INTO devicewake.devices (device_mac) SELECT '$MAC'
   WHERE NOT EXISTS (SELECT FROM devicewake.devices WHERE device_mac = '$MAC')" >/dev/null
rejected_for() { q "SELECT count(*) FROM devicewake.rejected_messages WHERE topic LIKE '$1'"; }

# ---------------------------------------------------------------- a payload past the limit
python3 -c "import sys; sys.stdout.write('{\"image_name\":\"big.jpg\",\"pad\":\"' + 'x' * (1048576 - 30) + '\"}')" >"$DW_RUN/big_$RUN.json"
size=$(stat -c %s "$DW_RUN/big_$RUN.json")
sha=$(sha256sum "$DW_RUN/big_$RUN.json" | cut -d' ' -f1)
mosquitto_pub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -t "$T/data" -f "$DW_RUN/big_$RUN.json"
wait_for 20 "SELECT count(*) = 1 FROM devicewake.rejected_messages WHERE topic = '$T/data' AND reason LIKE 'payload is %'"
ok $? "a 1 MiB payload is rejected"
is "$(q "SELECT octet_length(payload) || ' ' || payload_length || ' ' || encode(payload_sha256, 'hex') || ' ' || reason
         FROM devicewake.rejected_messages WHERE topic = '$T/data' AND reason LIKE 'payload is %'")" \
  "65536 $size $sha payload is $size bytes, more than the limit of 262144" \
  "rejected_messages keeps its first 64 KiB, its full length and its SHA-256"
is "$(q "SELECT substring(payload FROM 1 FOR 13) = convert_to('{\"image_name\"', 'UTF8') FROM devicewake.rejected_messages
         WHERE topic = '$T/data' AND reason LIKE 'payload is %'")" t "the excerpt is the payload's beginning"

# ---------------------------------------------------------------- the merge attack and long bodies
python3 -c "print('{\"image_name\":\"keys.jpg\",\"total_chunk_count\":2,\"image_size\":100,' + ','.join('\"k%d\":%d' % (i, i) for i in range(12000)) + '}')" >"$DW_RUN/keys_$RUN.json"
mosquitto_pub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -t "$T/data" -f "$DW_RUN/keys_$RUN.json"
wait_for 20 "SELECT count(*) = 1 FROM devicewake.rejected_messages WHERE topic = '$T/data' AND reason = 'JSON has more than 256 keys'"
ok $? "a METADATA of 12,000 keys (under the payload limit) is rejected for its keys (devicewake.max_json_keys)"
long=$(python3 -c "print('{\"image_name\":\"long.jpg\",\"total_chunk_count\":2,\"image_size\":100,\"location\":\"' + 'y' * 20000 + '\"}')")
pub "$T/data" "$long"
wait_for 20 "SELECT count(*) = 1 FROM devicewake.rejected_messages WHERE topic = '$T/data' AND reason LIKE 'METADATA body is % bytes as JSON, more than the limit of 16384 (devicewake.max_stored_json_bytes)'"
ok $? "a METADATA whose JSON is longer than devicewake.max_stored_json_bytes is rejected"
is "$(q "SELECT count(*) FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = '$MAC'")" 0 \
  "none of them created an image"

# ---------------------------------------------------------------- auto-registration off, and capped
# (a reload reaches the worker asynchronously: probe with fresh MACs until one is refused)
hello_from() { pub "ESP32CAM/$1/status" '{"status":"Alive","pendingImg":0}'; }
fresh_mac() { printf 'E6%04X%06X' $((RUN % 0xFFFF)) "$1"; }
q "ALTER SYSTEM SET devicewake.auto_register = off" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
n=0; refused=1
for i in $(seq 1 100); do
  n=$((n + 1)); hello_from "$(fresh_mac $n)"
  if wait_for 2 "SELECT EXISTS (SELECT FROM devicewake.rejected_messages WHERE device_mac = '$(fresh_mac $n)' AND reason LIKE '%auto-registration is off%')"; then refused=0; break; fi
done
ok $refused "with devicewake.auto_register = off a HELLO of an unknown device is rejected"
first=$((n + 1))
for i in $(seq 1 5); do n=$((n + 1)); hello_from "$(fresh_mac $n)"; done
wait_for 20 "SELECT count(*) = 5 FROM devicewake.rejected_messages WHERE reason LIKE '%auto-registration is off%'
             AND device_mac IN ($(for i in $(seq $first $n); do printf "'%s'," "$(fresh_mac $i)"; done)'')"
ok $? "five more unknown devices: five rejections"
is "$(q "SELECT count(*) FROM devicewake.devices WHERE device_mac IN ($(for i in $(seq $first $n); do printf "'%s'," "$(fresh_mac $i)"; done)'')")" 0 \
  "and none of them is registered"

unassigned=$(q "SELECT count(*) FROM devicewake.devices WHERE site_id IS NULL")
q "ALTER SYSTEM RESET devicewake.auto_register" >/dev/null
q "ALTER SYSTEM SET devicewake.max_unassigned_devices = $((unassigned + 1))" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
# probe until one is registered again (it takes the one place left)
registered=1
for i in $(seq 1 100); do
  n=$((n + 1)); hello_from "$(fresh_mac $n)"
  if wait_for 2 "SELECT EXISTS (SELECT FROM devicewake.devices WHERE device_mac = '$(fresh_mac $n)')"; then registered=0; break; fi
done
ok $registered "auto-registration is on again"
first=$((n + 1))
for i in $(seq 1 10); do n=$((n + 1)); hello_from "$(fresh_mac $n)"; done
list=$(for i in $(seq $first $n); do printf "'%s'," "$(fresh_mac $i)"; done)
wait_for 20 "SELECT count(*) = 10 FROM devicewake.rejected_messages WHERE reason LIKE '%(devicewake.max_unassigned_devices)' AND device_mac IN (${list}'')"
ok $? "past devicewake.max_unassigned_devices every unknown device is rejected"
is "$(q "SELECT count(*) FROM devicewake.devices WHERE device_mac IN (${list}'')")" 0 "and none is registered"
q "ALTER SYSTEM RESET devicewake.max_unassigned_devices" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null

# ---------------------------------------------------------------- the worker is unharmed
pub "$T/data" '{"temperature":21.5,"battery_voltage":3.91}'
wait_for 20 "SELECT battery_voltage = 3.91 FROM devicewake.devices WHERE device_mac = '$MAC'"
ok $? "a well-formed message of a known device still applies"
is "$(worker_pid)" "$pid" "the worker kept running (same pid)"
rm -f "$DW_RUN/big_$RUN.json" "$DW_RUN/keys_$RUN.json"
done_testing
