# The worker is woken at commit through its latch (src/pg/commit_wake.cpp), with no connection and
# no NOTIFY: a committed command goes out within moments, a rolled-back one wakes nothing, a
# prepared transaction can be PREPAREd (NOTIFY would refuse it) and wakes the worker at COMMIT
# PREPARED, and a flood of commits costs a bounded number of claim scans a second.
source "$(dirname "$0")/lib.sh"

SUB_OUT=$DW_RUN/commit_wake.sub
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t 'ESP32CAM/+/cmd' >>"$SUB_OUT" 2>/dev/null &
SUB_PID=$!
trap 'kill $SUB_PID 2>/dev/null' EXIT
received() { grep -c -F "$1" "$SUB_OUT" 2>/dev/null || true; }

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
wait_subscribed ESP32CAM/PROBE/cmd "$SUB_OUT"; ok $? "a subscriber listens on ESP32CAM/+/cmd"
dev=$(q "INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-COMMIT-WAKE') RETURNING device_id")
send() {  # send IMAGE_NAME: one command, in its own transaction
  q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
     VALUES ('$dev', 'send_image', '{\"image_name\":\"$1\"}')" >/dev/null
}
wakeups() { q "SELECT commit_wakeups FROM devicewake.worker_status()"; }

# --- no loopback connection: every pg_hba.conf line asks for a password, and the worker opens
# no session of its own
is "$(q "SELECT count(*) FILTER (WHERE auth_method <> 'scram-sha-256') || ' of ' || count(*) FROM pg_hba_file_rules")" \
  "0 of $(q "SELECT count(*) FROM pg_hba_file_rules")" "pg_hba.conf of the test cluster is scram-sha-256 on every line"
is "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pg_devicewake%' AND backend_type <> 'pg_devicewake worker'")" 0 \
  "the worker opens no libpq connection of its own"

# --- nothing notifies devicewake_commands any more: a HELLO recorded from SQL did (dead since
# the worker stopped listening, and a NOTIFY costs every commit and refuses two-phase commit)
out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 2>&1 <<'SQL'
LISTEN devicewake_commands;
SELECT devicewake.record_device_hello('TEST-COMMIT-WAKE-HELLO', '{}') \g /dev/null
SELECT 1 \g /dev/null
SQL
)
is "$(echo "$out" | grep -c 'notification "devicewake_commands"')" 0 "recording a HELLO sends no NOTIFY devicewake_commands"

# --- a rolled-back enqueue sets no latch; the committed one after it sets exactly one
send warmup.jpg; wait_text 10 "$SUB_OUT" warmup.jpg; ok $? "a committed command goes out"
w0=$(wakeups)
q "BEGIN; INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
   VALUES ('$dev', 'send_image', '{\"image_name\":\"rolled_back.jpg\"}'); ROLLBACK" >/dev/null
send after_rollback.jpg; wait_text 10 "$SUB_OUT" after_rollback.jpg; ok $? "the next committed command goes out"
is "$(( $(wakeups) - w0 ))" 1 "the rollback set no latch, the commit after it set one"
is "$(received rolled_back.jpg)" 0 "a rolled-back command is never published"

# --- an idle worker's own housekeeping (its once-a-second INSERT of resend requests, which inserts
# nothing here) sets no latch: a statement trigger did, for an empty scan every second
w0=$(wakeups)
wait_for 3 "SELECT commit_wakeups <> $w0 FROM devicewake.worker_status()"
ok "$([ $? -ne 0 ] && echo 0 || echo 1)" "for 3 s of idle housekeeping no commit sets the latch (got $(( $(wakeups) - w0 )))"

# --- two-phase commit: PREPARE is allowed (a NOTIFY on this path made it fail), sets nothing;
# COMMIT PREPARED wakes the worker (its safety scan is a minute away)
w0=$(wakeups)
out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 2>&1 <<SQL
BEGIN;
INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
VALUES ('$dev', 'send_image', '{"image_name":"two_phase.jpg"}');
PREPARE TRANSACTION 'dw_commit_wake';
SQL
)
is "$out" "" "a transaction that enqueued a command can be PREPAREd"
is "$(( $(wakeups) - w0 ))" 0 "PREPARE sets no latch"
is "$(q "SELECT count(*) FROM devicewake.device_commands WHERE command_payload->>'image_name' = 'two_phase.jpg'")" 0 \
  "the prepared command is not visible yet"
q "COMMIT PREPARED 'dw_commit_wake'" >/dev/null
wait_text 5 "$SUB_OUT" two_phase.jpg; ok $? "COMMIT PREPARED wakes the worker: the command goes out within 5 s"

# --- a flood: 4 sessions touch a pending command that is not due (each commit fires the
# enqueue trigger and may set the latch) for 3 s; the worker's claim scans stay bounded
future=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, scheduled_for)
            VALUES ('$dev', 'send_image', '{\"image_name\":\"future.jpg\"}', now() + interval '1 hour')
            RETURNING command_id")
echo "UPDATE devicewake.device_commands SET priority = 5 WHERE command_id = '$future';" >"$DW_RUN/flood.sql"
read -r s0 w0 t0 <<<"$(q "SELECT dispatch_scans, commit_wakeups, extract(epoch FROM clock_timestamp()) FROM devicewake.worker_status()" | tr '|' ' ')"
pgbench -n -f "$DW_RUN/flood.sql" -c 4 -j 2 -T 3 >"$DW_RUN/flood.out" 2>&1 &
FLOOD=$!
sleep_until=$((SECONDS + 1)); while [ $SECONDS -lt $sleep_until ]; do sleep 0.05; done  # mid-flood
t_send=$(date +%s%N); send during_flood.jpg
wait_text 5 "$SUB_OUT" during_flood.jpg; ok $? "a command committed during the flood goes out"
during_ms=$(( ($(date +%s%N) - t_send) / 1000000 ))
wait $FLOOD; ok $? "the flood ran"
read -r s1 w1 t1 <<<"$(q "SELECT dispatch_scans, commit_wakeups, extract(epoch FROM clock_timestamp()) FROM devicewake.worker_status()" | tr '|' ' ')"
commits=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$DW_RUN/flood.out")
scan_rate=$(awk -v s="$(( s1 - s0 ))" -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", s / (b - a) }')
diag "flood: $commits commits in 3 s, $(( w1 - w0 )) latch sets, $(( s1 - s0 )) claim scans ($scan_rate/s); during it a command went out in ${during_ms} ms (incl. psql)"
ok "$([ "${commits:-0}" -gt 1500 ] && echo 0 || echo 1)" "the flood committed more than 1500 transactions (got ${commits:-0})"
# (an empty scan holds the next one back 10 ms: at most 100 a second, plus the worker's own)
ok "$([ "$scan_rate" -le 150 ] && echo 0 || echo 1)" "claim scans stay at or under 150 a second during the flood (got $scan_rate)"
ok "$([ $(( s1 - s0 )) -lt "${commits:-0}" ] && echo 0 || echo 1)" "fewer claim scans than commits: latch sets coalesce"
is "$(q "SELECT status FROM devicewake.device_commands WHERE command_id = '$future'")" pending \
  "the command the flood touched is still pending, not due"

done_testing
