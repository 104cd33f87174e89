# The 1.1 library with a database still at 1.0 (the library was upgraded, ALTER EXTENSION UPDATE
# not run yet): the worker calls nothing 1.0 lacks. It waits, says why in worker_status() and
# the log, and starts serving once the update is committed. The worker's database is switched to
# a scratch one for this (a restart), and back at the end.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"

DB=dw_version_guard
qv() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
LOG=$DW_RUN/postgres.log
SUB_OUT=$DW_RUN/version_guard.sub
restore() {
  q "ALTER SYSTEM RESET devicewake.database" >/dev/null 2>&1
  dw_cluster_restart >/dev/null 2>&1
  kill "$SUB_PID" 2>/dev/null
}
trap restore EXIT

PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
qv "CREATE EXTENSION pg_devicewake VERSION '1.0'"
is "$(qv "SELECT extversion FROM pg_extension WHERE extname = 'pg_devicewake'")" 1.0 "the scratch database is at 1.0"
dev=$(qv "INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-VERSION-GUARD') RETURNING device_id")
cmd=$(qv "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
          VALUES ('$dev', 'send_image', '{\"image_name\":\"after_update.jpg\"}') RETURNING command_id")
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t 'ESP32CAM/+/cmd' >>"$SUB_OUT" 2>/dev/null &
SUB_PID=$!
wait_subscribed ESP32CAM/PROBE/cmd "$SUB_OUT"; ok $? "a subscriber listens on ESP32CAM/+/cmd"

lines_before=$(wc -l <"$LOG")
q "ALTER SYSTEM SET devicewake.database = '$DB'" >/dev/null
dw_cluster_restart; ok $? "the cluster restarts with the worker on the 1.0 database"
waiting=1
for _ in $(seq 1 500); do
  [ "$(qv "SELECT last_error LIKE 'waiting for ALTER EXTENSION pg_devicewake UPDATE%' FROM devicewake.worker_status()" 2>/dev/null)" = t ] && { waiting=0; break; }
  sleep 0.02
done
ok $waiting "worker_status().last_error says the worker waits for ALTER EXTENSION UPDATE"
is "$(qv "SELECT last_error FROM devicewake.worker_status()")" \
  "waiting for ALTER EXTENSION pg_devicewake UPDATE in database \"$DB\": it is at version 1.0, the library needs 1.1" \
  "and names the versions"
tail -n +"$lines_before" "$LOG" | grep -q -F "waiting for ALTER EXTENSION pg_devicewake UPDATE"; ok $? "the log says so"
is "$(qv "SELECT pid IS NOT NULL AND NOT connected FROM devicewake.worker_status()")" t \
  "the worker runs, not connected to the broker"
is "$(tail -n +"$lines_before" "$LOG" | grep -c 'pg_devicewake.*ERROR')" 0 "it raised no error (it called nothing 1.0 lacks)"
is "$(qv "SELECT status FROM devicewake.device_commands WHERE command_id = '$cmd'")" pending "the queued command waits"

# 1.0 woke its worker by NOTIFY in the enqueue trigger, which two-phase commit refuses
prepare() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" 2>&1 <<SQL
BEGIN;
INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
VALUES ('$dev', 'send_image', '{"image_name":"two_phase_$1.jpg"}');
PREPARE TRANSACTION 'dw_version_guard_$1';
SQL
}
out=$(prepare 10)
is "$(echo "$out" | grep -c 'cannot PREPARE a transaction that has executed LISTEN, UNLISTEN, or NOTIFY')" 1 \
  "under 1.0 a transaction that enqueued a command cannot be PREPAREd (its trigger ran NOTIFY)"

qv "ALTER EXTENSION pg_devicewake UPDATE" >/dev/null
is "$(qv "SELECT extversion FROM pg_extension WHERE extname = 'pg_devicewake'")" 1.1 "the database is updated to 1.1"
wait_for_v() { local i; for i in $(seq 1 "$1"); do [ "$(qv "$2" 2>/dev/null)" = t ] && return 0; sleep 0.02; done; return 1; }
wait_for_v 1000 "SELECT connected AND last_error IS NULL FROM devicewake.worker_status()"
ok $? "once the update is committed the worker starts: connected, no error left"
wait_text 10 "$SUB_OUT" after_update.jpg; ok $? "and publishes the command queued before the update"
wait_for_v 500 "SELECT status = 'sent' FROM devicewake.device_commands WHERE command_id = '$cmd'"
ok $? "which becomes sent"
grep -q -F "pg_devicewake worker starting: extension version 1.1 installed" "$LOG"; ok $? "the log says it started"
is "$(prepare 11)" "" "under 1.1 the same transaction can be PREPAREd"
qv "COMMIT PREPARED 'dw_version_guard_11'" >/dev/null
wait_text 10 "$SUB_OUT" two_phase_11.jpg; ok $? "and COMMIT PREPARED wakes the worker to publish it"

trap - EXIT
restore
wait_for 30 "SELECT connected FROM devicewake.worker_status()"; ok $? "back on the test database, the worker is connected"
psql -X -q -d postgres -c "DROP DATABASE $DB WITH (FORCE)" >/dev/null

done_testing
