# Reliability (issue 8, docs/design.md §8, §9): 10,000 malformed MQTT messages (random bytes, truncated
# JSON, huge payloads and fields, wrong types, topic levels that only look like a device, other
# devices' ids in bodies, unknown kinds, acks of unknown commands) at the live worker while real
# traffic flows: 300 commands dispatched and a real 40-chunk image upload. The worker stays up
# (same pid), the real traffic completes, and every bad message is in rejected_messages (exact).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"
source "$(dirname "$0")/faults.sh"
N=10000

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
pid=$(worker_pid)
q "INSERT INTO devicewake.devices (device_mac) SELECT 'F100D0000F10'
   WHERE NOT EXISTS (SELECT FROM devicewake.devices WHERE device_mac = 'F100D0000F10')" >/dev/null
q "DELETE FROM devicewake.device_commands WHERE device_id IN (SELECT device_id FROM devicewake.devices WHERE device_mac = 'TEST-FLOOD-REAL')" >/dev/null
dev=$(q "INSERT INTO devicewake.devices (device_mac) SELECT 'TEST-FLOOD-REAL'
         WHERE NOT EXISTS (SELECT FROM devicewake.devices WHERE device_mac = 'TEST-FLOOD-REAL');
       UPDATE devicewake.devices SET device_name = NULL WHERE device_mac = 'TEST-FLOOD-REAL' RETURNING device_id")
before=$(q "SELECT count(*) FROM devicewake.rejected_messages")
flood_device_before=$(q "SELECT md5((to_jsonb(d) - 'last_seen_at' - 'updated_at')::text) FROM devicewake.devices d WHERE device_mac = 'F100D0000F10'")
prefix="flood_real_$RANDOM"
camera_at_site F100D0000F11

start=$EPOCHREALTIME
"$FAULT_TOOL" flood $N 20261122 F100D0000F10 >"$DW_RUN/flood.out" 2>&1 &
flood=$!
"$FAULT_TOOL" device F100D0000F11 1 40 1024 60 "$prefix" >"$DW_RUN/flood_device.out" 2>&1 &
camera=$!
for i in 1 2 3; do  # real commands, in three commits spread over the flood
  q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
     SELECT '$dev', 'send_image', jsonb_build_object('image_name', 'real_${i}_' || g) FROM generate_series(1, 100) g" >/dev/null
done
wait "$flood"; ok $? "the flood is published and every message PUBACKed by the broker"
sed 's/^/#   flood: /' "$DW_RUN/flood.out" >&2
published=$(awk '$1 == "puback_received" { print $2 }' "$DW_RUN/flood.out")
wait "$camera"; ok $? "the real image upload completes during the flood"
wait_for 60 "SELECT count(*) = 300 FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent'"
ok $? "the 300 real commands are all sent during the flood"
wait_for 60 "SELECT count(*) >= $before + $published FROM devicewake.rejected_messages"
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
is "$(( $(q "SELECT count(*) FROM devicewake.rejected_messages") - before ))" "$published" \
  "every malformed message that reached the broker is in rejected_messages, exactly once"
diag "malformed messages: $published rejected of $N generated (the rest refused by libmosquitto before sending); $elapsed s with the real traffic"
is "$(worker_pid)" "$pid" "the worker kept running (same pid)"
is "$(q "SELECT connected FROM devicewake.worker_status()")" t "and is still connected"
is "$(q "SELECT md5((to_jsonb(d) - 'last_seen_at' - 'updated_at')::text) FROM devicewake.devices d WHERE device_mac = 'F100D0000F10'")" "$flood_device_before" \
  "the flooded device's row is unchanged (but last_seen_at: a well-formed ack of an unknown command still marks it seen)"
is "$(q "SELECT count(*) FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = 'F100D0000F10'")" 0 \
  "no image was created from the flood"
is "$(q "SELECT count(*) FROM devicewake.rejected_messages WHERE received_at > now() - interval '5 minutes' AND (reason IS NULL OR reason = '')")" 0 \
  "every rejection carries its reason"
diag "largest rejected payload kept: $(q "SELECT max(octet_length(payload)) FROM devicewake.rejected_messages") bytes"
done_testing
