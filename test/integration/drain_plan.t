# A drain looks its commands up by primary key, however small device_commands was when the worker
# made its plans. Until 1.1's last fix the PUBACK update ("sent") kept a generic plan made at its
# first use: made while the table was small, it stayed a scan of the whole table after 100,000
# commands arrived (every batch of PUBACKs filtered every row; the drain ran at 3,400/s instead of
# 18,000/s). Here: the worker makes its plans on an almost empty table, 20,000 commands are
# committed at once, and during their drain device_commands is never read sequentially.
source "$(dirname "$0")/lib.sh"

SUB_OUT=$DW_RUN/drain_plan.sub
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t 'ESP32CAM/+/cmd' >>"$SUB_OUT" 2>/dev/null &
SUB_PID=$!
trap 'kill $SUB_PID 2>/dev/null' EXIT
N=20000

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
wait_subscribed ESP32CAM/PROBE/cmd "$SUB_OUT"; ok $? "a subscriber listens on ESP32CAM/+/cmd"

# an almost empty queue, and a new worker process (its plans are made from here on)
q "DELETE FROM devicewake.device_commands c
   WHERE NOT EXISTS (SELECT FROM devicewake.campaign_targets t WHERE t.command_id = c.command_id)" >/dev/null
psql -X -q -c "VACUUM ANALYZE devicewake.device_commands" >/dev/null
old=$(worker_pid)
q "SELECT pg_terminate_backend($old)" >/dev/null
wait_for 30 "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_devicewake worker' AND pid <> $old"
ok $? "a new worker process starts"
wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "and connects"
dev=$(q "INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-DRAIN-PLAN') RETURNING device_id")
send() {  # send PREFIX COUNT: COUNT commands in one transaction
  q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
     SELECT '$dev', 'send_image', jsonb_build_object('image_name', '$1' || i || '.jpg')
     FROM generate_series(1, $2) i" >/dev/null
}
delivered() { q "SELECT sum(delivered) FROM devicewake.worker_status()"; }

# the first deliveries plan every statement of the drain on a table of a few rows
base=$(delivered)
send small_ 5
wait_text 20 "$SUB_OUT" small_ 5; ok $? "5 commands are delivered while the table is small"
wait_for 20 "SELECT sum(delivered) >= $((base + 5)) FROM devicewake.worker_status()"
is "$(delivered)" $((base + 5)) "and marked sent (worker_status().delivered)"

# seq_scan of device_commands once the worker has flushed its statistics. It flushes after a
# transaction, at most once a second: wait a second, then give it one transaction that reads
# nothing of device_commands (a message it rejects). Nothing here reads the table itself.
seq_scans() {
  local n
  n=$(q "SELECT count(*) FROM devicewake.rejected_messages")
  sleep 1.1
  pub ESP32CAM/TEST-DRAIN-PLAN/status "not json $1"
  wait_for 20 "SELECT count(*) > $n FROM devicewake.rejected_messages" || diag "no rejection seen"
  sleep 0.2
  q "SELECT seq_scan FROM pg_stat_user_tables WHERE relid = 'devicewake.device_commands'::regclass"
}
before=$(seq_scans a)
send drain_ $N
wait_text 120 "$SUB_OUT" drain_ $N; ok $? "$N commands committed at once are all received"
wait_for 60 "SELECT sum(delivered) >= $((base + 5 + N)) FROM devicewake.worker_status()"
is "$(delivered)" $((base + 5 + N)) "and all marked sent (worker_status().delivered)"
after=$(seq_scans b)
is "$((after - before))" 0 "device_commands was not read sequentially during the drain"
is "$(q "SELECT count(*) FROM devicewake.device_commands WHERE status = 'sent' AND command_payload->>'image_name' LIKE 'drain_%'")" \
  $N "every drained command is sent"

done_testing
