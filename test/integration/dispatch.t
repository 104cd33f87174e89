# The dispatch worker against a real mosquitto: commands published at QoS 1 within moments of
# commit, marked sent on PUBACK, in priority order, never before they are due, never after they
# expire; broker outages, a killed worker and a settings reload are survived.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"

SUB_OUT=$DW_RUN/dispatch.sub
start_sub() {  # subscribe to every command topic, one "topic payload" line per message
  mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t 'ESP32CAM/+/cmd' >>"$SUB_OUT" 2>/dev/null &
  SUB_PID=$!
  wait_subscribed ESP32CAM/PROBE/cmd "$SUB_OUT"
}
received() { grep -c -F "$1" "$SUB_OUT" 2>/dev/null || true; }
wait_received() { wait_text "$1" "$SUB_OUT" "$2" "${3:-1}"; }  # wait_received SECONDS TEXT [COUNT]

: >"$SUB_OUT"
wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker connects to the broker"
is "$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_devicewake worker'")" 1 \
  "the worker shows itself in pg_stat_activity"
start_sub; ok $? "a subscriber listens on ESP32CAM/+/cmd"

q "INSERT INTO devicewake.devices (device_mac, device_name) VALUES ('b8:f8:62:f9:c1:c4', 'yard'), ('TEST-DISPATCH-2', 'shed')" >/dev/null
dev=$(q "SELECT device_id FROM devicewake.devices WHERE device_mac = 'B8F862F9C1C4'")
dev2=$(q "SELECT device_id FROM devicewake.devices WHERE device_mac = 'TEST-DISPATCH-2'")

# --- a wake schedule reaches the device in the firmware's format, and the row becomes sent
cmd=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
         VALUES ('$dev', 'set_wake_schedule', '{\"next_wake_time\": \"2026-11-22T14:31:00+00:00\", \"manual_wake\": true}')
         RETURNING command_id")
wait_received 10 'ESP32CAM/B8F862F9C1C4/cmd {"device_id":"B8F862F9C1C4","next_wake":"2:31PM"}'
ok $? "set_wake_schedule is received as {\"device_id\":MAC,\"next_wake\":\"2:31PM\"}"
wait_for 10 "SELECT status = 'sent' AND delivered_at IS NOT NULL FROM devicewake.device_commands WHERE command_id = '$cmd'"
ok $? "the command becomes sent with delivered_at when the PUBACK arrives"

# --- priority order within one commit
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, priority) VALUES
     ('$dev2', 'ping', '{}', 2), ('$dev2', 'reboot', '{}', 9),
     ('$dev2', 'send_image', '{\"image_name\":\"image_7.jpg\"}', 5)" >/dev/null
wait_received 10 'ESP32CAM/TEST-DISPATCH-2/cmd {"device_id":"TEST-DISPATCH-2","ping"'
order=$(grep -F 'TEST-DISPATCH-2/cmd' "$SUB_OUT" | sed -E 's/.*"(reboot|send_image|ping)".*/\1/' | tr '\n' ' ')
is "$order" "reboot send_image ping " "commands of one commit are published by priority"

# --- not before scheduled_for; expired commands never published
late=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, scheduled_for)
          VALUES ('$dev2', 'capture_image', '{}', now() + interval '3 seconds') RETURNING command_id")
gone=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, issued_at, expires_at)
          VALUES ('$dev2', 'update_firmware', '{\"firmware_url\":\"http://fw/expired.bin\"}', now() - interval '2 hours', now() - interval '1 hour')
          RETURNING command_id")
wait_received 15 '"capture_image":true'; ok $? "a scheduled command goes out by its timer"
is "$(q "SELECT delivered_at >= scheduled_for FROM devicewake.device_commands WHERE command_id = '$late'")" t \
  "and not before its scheduled_for"
# 100 commands falling due 20 ms apart, in one commit: nothing but the timer wakes the worker
# for them, and every one goes out (a command becoming due between the claim and the timer
# must still be published, not left to the next NOTIFY)
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, scheduled_for)
   SELECT '$dev2', 'send_image', jsonb_build_object('image_name', 'timed_' || i || '.jpg'),
          clock_timestamp() + interval '1 second' + i * interval '20 milliseconds'
   FROM generate_series(1, 100) i" >/dev/null
wait_received 15 'timed_' 100; ok $? "100 commands due 20 ms apart all go out by the timer"
is "$(q "SELECT count(*) FROM devicewake.device_commands WHERE command_payload->>'image_name' LIKE 'timed_%'
          AND (delivered_at < scheduled_for OR delivered_at > scheduled_for + interval '2 seconds')")" 0 \
  "each within 2 s of its scheduled_for, never before"
wait_for 10 "SELECT status = 'expired' FROM devicewake.device_commands WHERE command_id = '$gone'"
ok $? "a command past expires_at becomes expired"
is "$(q "SELECT error_message FROM devicewake.device_commands WHERE command_id = '$gone'")" \
  "expired before delivery (expires_at passed)" "the worker's expiry says what the sweep's says"
is "$(received 'expired.bin')" 0 "an expired command is never published"

# --- a payload its type cannot carry fails at once with the reason
bad=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
         VALUES ('$dev2', 'send_image', '{}') RETURNING command_id")
wait_for 10 "SELECT status = 'failed' AND error_message <> '' FROM devicewake.device_commands WHERE command_id = '$bad'"
ok $? "a command whose payload cannot be built fails with error_message"

# --- on_wake policy holds commands until the device is awake; opening its session wakes the worker
q "ALTER SYSTEM SET devicewake.dispatch_policy = 'on_wake'" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 10 "SELECT setting = 'on_wake' FROM pg_settings WHERE name = 'devicewake.dispatch_policy'"
sleep_probe=$(q "INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-ASLEEP') RETURNING device_id")
held=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
          VALUES ('$sleep_probe', 'send_image', '{\"image_name\":\"held.jpg\"}') RETURNING command_id")
# a later command of an awake device passes it
q "INSERT INTO devicewake.device_wake_sessions (device_id) VALUES ('$dev')" >/dev/null
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload) VALUES ('$dev', 'send_image', '{\"image_name\":\"awake.jpg\"}')" >/dev/null
wait_received 10 'awake.jpg'; ok $? "on_wake: commands of an awake device go out"
is "$(q "SELECT status FROM devicewake.device_commands WHERE command_id = '$held'")" pending \
  "on_wake: a sleeping device's command is held"
# no command is touched: the session's insert trigger alone wakes the worker at commit (its next
# safety scan is up to 60 s away)
q "INSERT INTO devicewake.device_wake_sessions (device_id) VALUES ('$sleep_probe')" >/dev/null
wait_received 10 'held.jpg'; ok $? "on_wake: opening the device's wake session wakes the worker for its held command"
# a camera silent for session_idle_timeout has gone back to sleep: its session ends, and its
# commands wait for its next HELLO
q "ALTER SYSTEM SET devicewake.session_idle_timeout = 5" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 10 "SELECT setting = '5' FROM pg_settings WHERE name = 'devicewake.session_idle_timeout'"
dozing=$(q "SELECT devicewake.record_device_hello('TEST-DOZING')")
wait_for 20 "SELECT status = 'completed' AND ended_at = (SELECT last_seen_at FROM devicewake.devices WHERE device_mac = 'TEST-DOZING')
             FROM devicewake.device_wake_sessions WHERE session_id = '$dozing'"
ok $? "on_wake: a camera silent for session_idle_timeout is asleep; its session ends at its last message"
# one commit holds a command for it and one for a camera just awake: once the second is out, the
# worker has passed over the first
q "SELECT devicewake.record_device_hello('TEST-AWAKE')" >/dev/null
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
   SELECT device_id, 'send_image', jsonb_build_object('image_name', lower(device_mac) || '.jpg')
   FROM devicewake.devices WHERE device_mac IN ('TEST-DOZING', 'TEST-AWAKE')" >/dev/null
wait_received 10 'test-awake.jpg'; ok $? "on_wake: a camera just awake gets its command"
is "$(received 'test-dozing.jpg')" 0 "on_wake: nothing is published to a camera that went back to sleep"
q "SELECT devicewake.record_device_hello('TEST-DOZING')" >/dev/null
wait_received 10 'test-dozing.jpg'; ok $? "on_wake: its next HELLO sends the held command"
q "ALTER SYSTEM RESET devicewake.session_idle_timeout" >/dev/null
q "ALTER SYSTEM RESET devicewake.dispatch_policy" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 10 "SELECT setting = 'when_due' FROM pg_settings WHERE name = 'devicewake.dispatch_policy'"

# --- broker down: commands wait; broker back: the backlog is delivered
dw_broker_stop; kill $SUB_PID 2>/dev/null
wait_for 20 "SELECT NOT connected FROM devicewake.worker_status()"; ok $? "the worker notices the broker is gone"
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
   SELECT '$dev2', 'send_image', jsonb_build_object('image_name', 'backlog_' || i || '.jpg') FROM generate_series(1, 50) i" >/dev/null
dw_broker_start >/dev/null 2>&1
start_sub
wait_received 60 'backlog_' 50; ok $? "after the broker returns, the 50-command backlog is delivered"
wait_for 20 "SELECT count(*) = 50 FROM devicewake.device_commands WHERE command_payload->>'image_name' LIKE 'backlog_%' AND status = 'sent'"
ok $? "and every backlog command is sent"

# --- the worker is killed: the postmaster restarts it and it drains
old_pid=$(worker_pid)
q "SELECT pg_terminate_backend($old_pid)" >/dev/null
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
   SELECT '$dev2', 'send_image', jsonb_build_object('image_name', 'after_kill_' || i || '.jpg') FROM generate_series(1, 20) i" >/dev/null
wait_received 30 'after_kill_' 20; ok $? "a terminated worker is restarted and drains the queue"
new_pid=$(worker_pid)
[ -n "$new_pid" ] && [ "$new_pid" != "$old_pid" ]; ok $? "a new worker process runs"
is "$(q "SELECT count(*) FROM devicewake.device_commands WHERE status = 'pending' AND claimed_at IS NOT NULL")" 0 \
  "no command is left claimed"

# --- SIGHUP: a new broker port is picked up and the worker reconnects there
old_port=$DW_MQTT_PORT
dw_broker_stop; kill $SUB_PID 2>/dev/null
DW_MQTT_PORT=$(dw_free_port); dw_broker_start >/dev/null 2>&1
start_sub
q "ALTER SYSTEM SET devicewake.mqtt_port = $DW_MQTT_PORT" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 30 "SELECT connected AND broker LIKE '%:$DW_MQTT_PORT' FROM devicewake.worker_status()"
ok $? "after a reload the worker connects to the new broker port"
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload) VALUES ('$dev2', 'send_image', '{\"image_name\":\"after_reload.jpg\"}')" >/dev/null
wait_received 15 'after_reload.jpg'; ok $? "and commands flow through it"
# put the broker back where the other tests expect it
dw_broker_stop; kill $SUB_PID 2>/dev/null
DW_MQTT_PORT=$old_port; dw_broker_start >/dev/null 2>&1
q "ALTER SYSTEM RESET devicewake.mqtt_port" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 30 "SELECT connected AND broker LIKE '%:$old_port' FROM devicewake.worker_status()"
ok $? "reset: the worker is back on the original broker"

is "$(q "SELECT published >= delivered AND delivered > 0 FROM devicewake.worker_status()")" t \
  "worker_status counts publishes and deliveries"
done_testing
