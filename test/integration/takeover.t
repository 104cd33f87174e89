# A client-id takeover (#14 item 9): another client connecting with the worker's MQTT client id
# makes the broker drop the worker's connection; the two then kick each other off, each soon after
# it connected. The worker says so, as a takeover, in worker_status() and the log, and keeps
# reconnecting; once the other client is gone it stays connected.
source "$(dirname "$0")/lib.sh"

LOG=$DW_RUN/postgres.log
wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
id=$(q "SHOW devicewake.mqtt_client_id")
ok "$([ -n "$id" ] && echo 0 || echo 1)" "the worker's client id is known ($id)"
lines_before=$(wc -l <"$LOG")

# short-lived clients with the worker's id, one after the other, for at most 20 s
( end=$((SECONDS + 20))
  while [ $SECONDS -lt $end ]; do
    mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -i "$id" -t 'takeover/nothing' -W 1 >/dev/null 2>&1
  done ) &
THIEF=$!
trap 'kill $THIEF 2>/dev/null' EXIT
wait_for 20 "SELECT last_error LIKE 'MQTT client id takeover:%' FROM devicewake.worker_status()"
ok $? "worker_status().last_error calls it a client-id takeover"
is "$(q "SELECT last_error LIKE '%client id \"$id\"%devicewake.mqtt_client_id%' FROM devicewake.worker_status()")" t \
  "naming the client id and the setting that fixes it"
tail -n +"$lines_before" "$LOG" | grep -q -F "pg_devicewake: MQTT client id takeover: the broker closed the connection"
ok $? "the log says so"
kill $THIEF 2>/dev/null; wait $THIEF 2>/dev/null; trap - EXIT

# the other client gone: the worker reconnects and stays connected
wait_for 30 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker reconnects once the other client is gone"
since=$(q "SELECT since FROM devicewake.worker_status()")
dev=$(q "INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-TAKEOVER') RETURNING device_id")
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload) VALUES ('$dev', 'ping', '{}')" >/dev/null
wait_for 20 "SELECT status = 'sent' FROM devicewake.device_commands WHERE device_id = '$dev'"; ok $? "and delivers again"
is "$(q "SELECT connected AND since = '$since' FROM devicewake.worker_status()")" t "on the same connection"

done_testing
