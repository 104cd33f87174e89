# The extension runs preloaded in a real cluster next to pg_cron, and the test broker answers.
source "$(dirname "$0")/lib.sh"

is "$(q "SELECT count(*) FROM pg_extension WHERE extname IN ('pg_devicewake', 'pg_cron')")" 2 \
  "pg_devicewake and pg_cron are installed"
is "$(q "SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'")" "pg_cron,pg_devicewake" \
  "both libraries are preloaded"
is "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'devicewake'")" 12 \
  "all tables of DESIGN §2 (plus companies, users, memberships) exist"
is "$(q "SHOW devicewake.topic_prefix")" ESP32CAM "settings are defined with their defaults"
out=$(psql -X -q -A -t -c "SET devicewake.no_such_setting = 1" 2>&1)
echo "$out" | grep -q 'invalid configuration parameter name' ; ok $? "the devicewake. prefix is reserved"

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
