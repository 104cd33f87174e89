# The extension runs preloaded in a real cluster next to pg_cron, and the test broker answers.
source "$(dirname "$0")/lib.sh"

is "$(q "SELECT count(*) FROM pg_extension WHERE extname IN ('pg_devicewake', 'pg_cron')")" 2 \
  "pg_devicewake and pg_cron are installed"
is "$(q "SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'")" "pg_cron,pg_devicewake" \
  "both libraries are preloaded"
is "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'devicewake'")" 17 \
  "all tables of docs/design.md §2 (plus companies, users, memberships; events, manual_wakes, campaigns, campaign_targets; the device directory) exist"
is "$(q "SHOW devicewake.topic_prefix")" ESP32CAM "settings are defined with their defaults"
out=$(psql -X -q -A -t -c "SET devicewake.no_such_setting = 1" 2>&1)
echo "$out" | grep -q 'invalid configuration parameter name' ; ok $? "the devicewake. prefix is reserved"

# every setting of docs/design.md §7 and the README's table: default, unit, and when a change applies
is "$(q "SELECT string_agg(name || '=' || boot_val || coalesce(unit, '') || ' ' || context, ', ' ORDER BY name)
         FROM pg_settings WHERE name LIKE 'devicewake.%'")" \
  "devicewake.allow_separated_mac_topics=off sighup, devicewake.auto_register=on superuser, devicewake.backlog_mode=send_all_pending sighup, devicewake.batch_size=500 sighup, devicewake.captures_per_wake=1 sighup, devicewake.chunk_quiet_period=10s sighup, devicewake.database=postgres postmaster, devicewake.default_wake_schedule=0 */3 * * * sighup, devicewake.dispatch_policy=when_due sighup, devicewake.enabled=on postmaster, devicewake.max_device_bytes_in_flight=67108864B superuser, devicewake.max_field_length=256 sighup, devicewake.max_image_bytes=16777216B superuser, devicewake.max_json_keys=256 sighup, devicewake.max_message_bytes=262144B sighup, devicewake.max_registrations_per_minute=100 superuser, devicewake.max_resend_requests=3 sighup, devicewake.max_stored_json_bytes=16384B sighup, devicewake.max_unassigned_devices=10000 superuser, devicewake.mqtt_client_id= sighup, devicewake.mqtt_host=127.0.0.1 sighup, devicewake.mqtt_keepalive=60s sighup, devicewake.mqtt_password_file= sighup, devicewake.mqtt_port=1883 sighup, devicewake.mqtt_tls_ca_file= sighup, devicewake.mqtt_tls_cert_file= sighup, devicewake.mqtt_tls_key_file= sighup, devicewake.mqtt_username= sighup, devicewake.publish_timeout=30s sighup, devicewake.rejected_retention=604800s superuser, devicewake.session_idle_timeout=120s sighup, devicewake.topic_prefix=ESP32CAM sighup, devicewake.workers=1 postmaster" \
  "settings: names, defaults, units and reload/restart context"
# error_of SQL: "SQLSTATE: message" of the statement's error (verbose, first line)
error_of() { psql -X -q -A -t -v VERBOSITY=verbose -c "$1" 2>&1 | sed -n 's/^ERROR:  //p' | head -n 1; }
is "$(error_of "ALTER SYSTEM SET devicewake.session_idle_timeout = 1")" \
  '22023: 1 s is outside the valid range for parameter "devicewake.session_idle_timeout" (5 .. 86400)' \
  "a setting out of range is refused with 22023"
is "$(error_of "ALTER SYSTEM SET devicewake.dispatch_policy = 'sometimes'")" \
  '22023: invalid value for parameter "devicewake.dispatch_policy": "sometimes"' \
  "an unknown dispatch policy is refused with 22023"
is "$(error_of "ALTER SYSTEM SET devicewake.backlog_mode = 'all'")" \
  '22023: invalid value for parameter "devicewake.backlog_mode": "all"' \
  "an unknown backlog mode is refused with 22023"
is "$(error_of "ALTER SYSTEM SET devicewake.captures_per_wake = 11")" \
  '22023: 11 is outside the valid range for parameter "devicewake.captures_per_wake" (0 .. 10)' \
  "captures per wake out of range is refused with 22023"
out=$(psql -X -q -A -t -v VERBOSITY=verbose -c "ALTER SYSTEM SET devicewake.default_wake_schedule = '0 0 30 2 *'" 2>&1)
echo "$out" | grep -q '^ERROR:  22023: invalid value for parameter "devicewake.default_wake_schedule": "0 0 30 2 \*"' &&
  echo "$out" | grep -q '^DETAIL:  Invalid cron expression: day-of-month "30" never occurs in month "2".$'
ok $? "a default wake schedule that never fires is refused with 22023 and says why"
out=$(psql -X -q -A -t -v VERBOSITY=verbose -c "ALTER SYSTEM SET devicewake.topic_prefix = 'ESP32CAM/#'" 2>&1)
echo "$out" | grep -q '^ERROR:  22023: invalid value for parameter "devicewake.topic_prefix": "ESP32CAM/#"' &&
  echo "$out" | grep -q '^DETAIL:  Topic prefix "ESP32CAM/#" is invalid: topic prefix must not contain the wildcards .+. or .#.\.$'
ok $? "a topic prefix with a wildcard is refused with 22023 and says why"
is "$(error_of "SET devicewake.batch_size = 10")" \
  '55P02: parameter "devicewake.batch_size" cannot be changed now' \
  "a reload setting cannot be changed in a session (55P02)"
is "$(q "SELECT count(*) FROM pg_file_settings WHERE name LIKE 'devicewake.%' AND sourcefile LIKE '%postgresql.auto.conf'")" 0 \
  "and none of the refused values was written"

# a round trip through the broker with the real mosquitto clients
topic="ESP32CAM/TEST-PRELOAD/status"
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -t "$topic" -C 1 -W 10 >"$DW_RUN/preload.sub" &
sub=$!
for _ in $(seq 1 100); do
  mosquitto_pub -h 127.0.0.1 -p "$DW_MQTT_PORT" -t "$topic" -m '{"status":"Alive"}' -q 1
  kill -0 $sub 2>/dev/null || break
  sleep 0.05
done
wait $sub
is "$(cat "$DW_RUN/preload.sub")" '{"status":"Alive"}' "the broker on loopback delivers a message"

# the default client id is unique to the cluster (a fixed one lets any client take the worker's
# persistent session over): pg_devicewake_ and the system identifier
since=$(q "SELECT since FROM devicewake.worker_status()")
q "ALTER SYSTEM SET devicewake.mqtt_client_id = ''" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 20 "SELECT connected AND since > '$since' FROM devicewake.worker_status()"
wait_text 10 "$DW_RUN/mosquitto.log" "as pg_devicewake_$(q "SELECT system_identifier FROM pg_control_system()")"
ok $? "with mqtt_client_id empty the worker connects as pg_devicewake_<system identifier>"
since=$(q "SELECT since FROM devicewake.worker_status()")
q "ALTER SYSTEM RESET devicewake.mqtt_client_id" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 20 "SELECT connected AND since > '$since' FROM devicewake.worker_status()"; ok $? "and reconnects with the configured one"

# without the preload, CREATE EXTENSION refuses clearly (SQLSTATE 55000) and creates nothing
plain=$DW_RUN/plain
mkdir -p "$plain"; chown postgres "$plain"
port=$(source "$(dirname "$0")/../../scripts/lib.sh"; dw_free_port)
runuser -u postgres -- "$DW_PGBIN/initdb" -D "$plain/data" -A trust >/dev/null 2>&1
printf "port = $port\nunix_socket_directories = '$plain'\nlisten_addresses = ''\n" >>"$plain/data/postgresql.conf"
runuser -u postgres -- "$DW_PGBIN/pg_ctl" -D "$plain/data" -l "$plain/log" -w start >/dev/null
out=$(psql -X -h "$plain" -p "$port" -U postgres -d postgres -v VERBOSITY=verbose -c "CREATE EXTENSION pg_devicewake" 2>&1)
echo "$out" | grep -q '55000: pg_devicewake must be loaded via shared_preload_libraries'
ok $? "without the preload CREATE EXTENSION fails with 55000 and says why"
echo "$out" | grep -q 'HINT:  Add pg_devicewake to shared_preload_libraries'; ok $? "and hints at the fix"
is "$(psql -X -A -t -h "$plain" -p "$port" -U postgres -d postgres -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'devicewake'")" 0 \
  "and creates nothing"
runuser -u postgres -- "$DW_PGBIN/pg_ctl" -D "$plain/data" -m immediate stop >/dev/null

done_testing
