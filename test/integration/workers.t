# devicewake.workers = 2 (issue 17, docs/design.md §10): the cluster is restarted with two
# workers, each with its own client id and its hash share of the devices. Two workers never
# publish one command; a restarted worker releases only its own share's claims; a commit wakes
# the worker owning the device; each device message is applied by one worker, and 40 cameras
# uploading at once (shared between the workers) each complete one byte-exact image with one sleep
# signal. Back to one worker, the retired worker's broker session is discarded and
# nothing is lost or doubled. Every wait is on a condition with a bounded timeout.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"
WORK=$DW_RUN/workers_t
source "$(dirname "$0")/sim.sh"

LOG=$DW_RUN/postgres.log
MQLOG=$DW_RUN/mosquitto.log
SUB_OUT=$WORK/cmd.sub
RUN_ID=$(printf '%04X' $((RANDOM % 65536)))
id=$(q "SHOW devicewake.mqtt_client_id")
both="SELECT count(*) = 2 AND bool_and(connected) FROM devicewake.worker_status()"
owner() { q "SELECT abs(uuid_hash(device_id) % 2) FROM devicewake.devices WHERE device_id = '$1'"; }
status_of() { q "SELECT status || ' ' || (claimed_at IS NOT NULL) FROM devicewake.device_commands WHERE command_id = '$1'"; }
worker_pid_of() { q "SELECT pid FROM devicewake.worker_status() WHERE worker = $1"; }
messages_seen() { q "SELECT sum(ingested + rejected) FROM devicewake.worker_status()"; }

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "one worker is connected"
lines_before=$(wc -l <"$LOG")
q "ALTER SYSTEM SET devicewake.workers = 2" >/dev/null
dw_cluster_restart; ok $? "the server restarts with devicewake.workers = 2"
wait_for 30 "$both"; ok $? "worker_status() has two rows, both connected"
is "$(q "SELECT string_agg(worker::text || ':' || state, ',' ORDER BY worker) FROM devicewake.worker_status()")" \
  "0:running: connected,1:running: connected" "one row per worker, by index"
is "$(q "SELECT count(DISTINCT pid) FROM devicewake.worker_status()")" 2 "two processes"
is "$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_devicewake worker'")" 2 \
  "both show in pg_stat_activity"
is "$(q "SELECT count(*) || ' ' || connected FROM devicewake.worker_health() GROUP BY connected")" "1 true" \
  "worker_health() is one row for both"
wait_text 10 "$MQLOG" " as $id (" && wait_text 10 "$MQLOG" " as ${id}_1 ("
ok $? "worker 0 keeps the configured client id, worker 1 connects as ${id}_1"

# --- dispatch: 40 cameras, 2000 commands in one commit; every one is published exactly once
mkdir -p "$WORK"; : >"$SUB_OUT"
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t 'ESP32CAM/+/cmd' >>"$SUB_OUT" 2>/dev/null &
SUB_PID=$!
trap 'kill $SUB_PID 2>/dev/null' EXIT
wait_subscribed ESP32CAM/PROBE/cmd "$SUB_OUT"; ok $? "a subscriber listens on ESP32CAM/+/cmd"
q "INSERT INTO devicewake.devices (device_mac)
   SELECT 'DA' || '$RUN_ID' || lpad(upper(to_hex(i)), 6, '0') FROM generate_series(1, 40) i" >/dev/null
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
   SELECT d.device_id, 'send_image', jsonb_build_object('image_name', 'wk_${RUN_ID}_' || i || '.jpg')
   FROM generate_series(1, 2000) i
   JOIN devicewake.devices d ON d.device_mac = 'DA' || '$RUN_ID' || lpad(upper(to_hex(1 + i % 40)), 6, '0')" >/dev/null
wait_for 60 "SELECT count(*) = 2000 FROM devicewake.device_commands
             WHERE command_payload->>'image_name' LIKE 'wk_${RUN_ID}_%' AND status = 'sent'"
ok $? "2000 commands for 40 cameras are all sent"
wait_text 20 "$SUB_OUT" "wk_${RUN_ID}_" 2000
names=$(grep -o "wk_${RUN_ID}_[0-9]*\.jpg" "$SUB_OUT" | sort)
is "$(echo "$names" | sort -u | wc -l) $(echo "$names" | uniq -d | wc -l)" "2000 0" \
  "each was received once: two workers never published one command"
is "$(q "SELECT bool_and(published > 0) AND sum(republished) = 0 FROM devicewake.worker_status()")" t \
  "both workers published their share, nothing was published twice"

# --- a restarted worker releases only its own share's claims. Two commands look claimed (as if
# in flight), one on a device of each share: restarting worker 1 frees only its one.
dev0=$(q "SELECT device_id FROM devicewake.devices WHERE device_mac LIKE 'DA${RUN_ID}%' AND abs(uuid_hash(device_id) % 2) = 0 LIMIT 1")
dev1=$(q "SELECT device_id FROM devicewake.devices WHERE device_mac LIKE 'DA${RUN_ID}%' AND abs(uuid_hash(device_id) % 2) = 1 LIMIT 1")
ok "$([ -n "$dev0" ] && [ -n "$dev1" ] && echo 0 || echo 1)" "the cameras fall in both shares"
c0=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, claimed_at, publish_count)
        VALUES ('$dev0', 'send_image', '{\"image_name\":\"orphan0_$RUN_ID.jpg\"}', now(), 1) RETURNING command_id")
c1=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, claimed_at, publish_count)
        VALUES ('$dev1', 'send_image', '{\"image_name\":\"orphan1_$RUN_ID.jpg\"}', now(), 1) RETURNING command_id")
pid1=$(worker_pid_of 1)
q "SELECT pg_terminate_backend($pid1)" >/dev/null
wait_for 30 "SELECT pid <> $pid1 AND connected FROM devicewake.worker_status() WHERE worker = 1"
ok $? "worker 1, terminated, is restarted alone"
wait_for 20 "SELECT status = 'sent' FROM devicewake.device_commands WHERE command_id = '$c1'"
ok $? "it returns its share's orphaned claim to pending and publishes it"
is "$(status_of "$c0")" "pending true" "worker 0's share keeps its claim (worker 0 never restarted)"
pid0=$(worker_pid_of 0)
q "SELECT pg_terminate_backend($pid0)" >/dev/null
wait_for 20 "SELECT status = 'sent' FROM devicewake.device_commands WHERE command_id = '$c0'"
ok $? "once worker 0 restarts, it releases and publishes its own"
wait_for 30 "$both"; ok $? "both workers are connected again"

# --- a commit wakes the worker that owns the device, and only it
sleep_until_quiet() { wait_for 10 "SELECT count(*) = 0 FROM devicewake.device_commands WHERE status = 'pending' AND claimed_at IS NOT NULL"; }
for k in 0 1; do
  eval "dev=\$dev$k"; other=$((1 - k))
  sleep_until_quiet
  before=$(q "SELECT string_agg(commit_wakeups::text, ' ' ORDER BY worker) FROM devicewake.worker_status()")
  cmd=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
           VALUES ('$dev', 'ping', '{}') RETURNING command_id")
  wait_for 10 "SELECT status = 'sent' FROM devicewake.device_commands WHERE command_id = '$cmd'"
  ok $? "a command for a device of share $k is sent within moments (the safety scan is 60 s away)"
  after=$(q "SELECT string_agg(commit_wakeups::text, ' ' ORDER BY worker) FROM devicewake.worker_status()")
  read -r b0 b1 <<<"$before"; read -r a0 a1 <<<"$after"
  eval "grew=\$((a$k - b$k)); still=\$((a$other - b$other))"
  ok "$([ "$grew" -ge 1 ] && [ "$still" -eq 0 ] && echo 0 || echo 1)" \
    "its commit woke worker $k (+$grew) and not worker $other (+$still)"
done

# --- inbound: every worker hears every message and applies its own devices': one device's 300
# messages are applied once each, all by the same worker, in order
mac=DB${RUN_ID}000001
q "SELECT devicewake.record_device_hello('$mac')" >/dev/null
seen_before=$(messages_seen)
ing_before=$(q "SELECT string_agg(ingested::text, ' ' ORDER BY worker) FROM devicewake.worker_status()")
for i in $(seq 1 300); do
  echo "{\"device_id\":\"$mac\",\"battery_voltage\":3.9,\"wifi_rssi\":-$((40 + i % 30))}"
done | mosquitto_pub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -t "ESP32CAM/$mac/data" -l
wait_for 30 "SELECT sum(ingested + rejected) >= $seen_before + 300 FROM devicewake.worker_status()"
ok $? "300 messages on one device's topic are taken by the workers"
is "$(( $(messages_seen) - seen_before ))" 300 "each message was applied by exactly one worker"
ing_after=$(q "SELECT string_agg(ingested::text, ' ' ORDER BY worker) FROM devicewake.worker_status()")
read -r b0 b1 <<<"$ing_before"; read -r a0 a1 <<<"$ing_after"
ok "$([ $(( (a0 - b0) * (a1 - b1) )) -eq 0 ] && echo 0 || echo 1)" \
  "all by one worker, the device's (worker 0: $((a0 - b0)), worker 1: $((a1 - b1)))"

# --- 40 cameras upload at once, 20 chunks each, duplicated and out of order: the workers share
# the cameras between them
deadlocks_before=$(grep -c "deadlock detected" "$LOG")
ing_before=$(q "SELECT string_agg(ingested::text, ' ' ORDER BY worker) FROM devicewake.worker_status()")
sim_assign $(for i in $(seq 1 40); do printf 'DC%s%06X ' "$RUN_ID" "$i"; done)
out=$("$SIM" --cameras 40 --mac-prefix DC${RUN_ID} --image-size 20000 --chunk-size 1000 \
        --duplicate 0.3 --shuffle --seed 3 --ack-timeout 60 bench 2>&1)
rc=$?
echo "$out" | grep '^bench ' | sed 's/^/# /' >&2
is "$rc $(echo "$out" | sed -n 's/^bench byte_exact=//p')" "0 40/40" \
  "40 cameras: every camera delivered its image, byte-exact, and was told to sleep"
is "$(q "SELECT count(*) FILTER (WHERE i.status = 'complete'), count(*) FILTER (WHERE i.status <> 'complete')
         FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
         WHERE d.device_mac LIKE 'DC${RUN_ID}%'")" "40|0" "40 images complete, none in another state"
twice="SELECT c.device_id FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
       WHERE d.device_mac LIKE 'DC${RUN_ID}%' AND c.command_type = 'sleep' AND c.status <> 'cancelled'
       GROUP BY c.device_id HAVING count(*) <> 1"
# (with a shared subscription, each message handed to either worker, a METADATA repeat sent
# before an image's last chunk was now and then applied after the image completed, and the sleep
# signal went out twice: the second one, queued in the camera's persistent session, ended its next
# wake at once; workers that each apply only their own devices' messages keep a device's order)
is "$(q "SELECT count(*) FROM ($twice) x")" 0 "exactly one sleep signal (ACK_OK) per camera"
q "SELECT d.device_mac || ' ' || c.command_type || ' ' || c.status || ' ' || c.command_payload::text || ' ' || c.issued_at::time
   FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
   WHERE c.device_id IN ($twice) ORDER BY d.device_mac, c.issued_at" | sed 's/^/#   /' >&2
q "SELECT d.device_mac || ' ' || h.event_type || ' ' || h.event_data::text || ' ' || h.created_at::time
   FROM devicewake.device_history h JOIN devicewake.devices d USING (device_id)
   WHERE h.device_id IN ($twice) ORDER BY d.device_mac, h.history_id" | cut -c1-200 | sed 's/^/#   /' >&2
is "$(q "SELECT count(*) FROM devicewake.device_history h JOIN devicewake.devices d USING (device_id)
         WHERE d.device_mac LIKE 'DC${RUN_ID}%' AND h.event_type = 'image_complete'")" 40 \
  "one completion recorded per image"
is "$(q "SELECT count(*) FROM devicewake.rejected_messages WHERE topic LIKE '%/DC${RUN_ID}%'")" 0 \
  "nothing the cameras sent was rejected"
ing_after=$(q "SELECT string_agg(ingested::text, ' ' ORDER BY worker) FROM devicewake.worker_status()")
read -r b0 b1 <<<"$ing_before"; read -r a0 a1 <<<"$ing_after"
ok "$([ $((a0 - b0)) -gt 0 ] && [ $((a1 - b1)) -gt 0 ] && echo 0 || echo 1)" \
  "both workers applied uploads (worker 0: $((a0 - b0)) messages, worker 1: $((a1 - b1)))"
deadlocks=$(( $(grep -c "deadlock detected" "$LOG") - deadlocks_before ))
diag "deadlocks detected (each retried) during the uploads: $deadlocks"

# --- back to one worker: the retired worker's session is discarded, nothing is lost or doubled
kill $SUB_PID 2>/dev/null; trap - EXIT
lines_before=$(wc -l <"$LOG")
q "ALTER SYSTEM RESET devicewake.workers" >/dev/null
dw_cluster_restart; ok $? "the server restarts with one worker"
wait_for 30 "SELECT count(*) = 1 AND bool_and(connected) FROM devicewake.worker_status()"
ok $? "worker_status() has one row again, connected"
tail -n +"$lines_before" "$LOG" | grep -q -F "discarded the MQTT session of retired worker client id \"${id}_1\""
ok $? "worker 0 discarded the broker session of ${id}_1"
seen_before=$(messages_seen)
for i in $(seq 1 50); do
  echo "{\"device_id\":\"$mac\",\"battery_voltage\":3.8,\"wifi_rssi\":-50}"
done | mosquitto_pub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -t "ESP32CAM/$mac/data" -l
wait_for 30 "SELECT sum(ingested + rejected) >= $seen_before + 50 FROM devicewake.worker_status()"
ok $? "the one worker takes all 50 messages"
pub "ESP32CAM/$mac/data" "{\"device_id\":\"$mac\",\"battery_voltage\":3.8,\"wifi_rssi\":-51}"
wait_for 10 "SELECT sum(ingested + rejected) >= $seen_before + 51 FROM devicewake.worker_status()"
is "$(( $(messages_seen) - seen_before ))" 51 "each exactly once"
done_testing
