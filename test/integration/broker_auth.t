# Credentials: against a broker that refuses anonymous clients, the worker logs in with
# devicewake.mqtt_username and the password read from devicewake.mqtt_password_file (a file only
# the server's OS user can read); ordinary roles cannot read where that file is.
source "$(dirname "$0")/lib.sh"

AUTH_DIR=$DW_RUN/auth
mkdir -p "$AUTH_DIR"
port=$(source "$(dirname "$0")/../../scripts/lib.sh"; dw_free_port)
mosquitto_passwd -b -c "$AUTH_DIR/passwd" devicewake 's3cret pass' 2>/dev/null
printf 's3cret pass\n' >"$AUTH_DIR/mqtt_password"
chown postgres "$AUTH_DIR/mqtt_password"; chmod 600 "$AUTH_DIR/mqtt_password"
cat >"$AUTH_DIR/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous false
password_file $AUTH_DIR/passwd
persistence false
log_dest file $AUTH_DIR/mosquitto.log
user root
CONF
/usr/sbin/mosquitto -c "$AUTH_DIR/mosquitto.conf" >/dev/null 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null; wait $BROKER 2>/dev/null' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

mosquitto_pub -h 127.0.0.1 -p "$port" -t probe -m x 2>/dev/null
[ $? -ne 0 ]; ok $? "the broker refuses anonymous clients"

# wrong password first: the worker reports the refusal and keeps retrying
printf 'wrong\n' >"$AUTH_DIR/bad_password"; chown postgres "$AUTH_DIR/bad_password"; chmod 600 "$AUTH_DIR/bad_password"
q "ALTER SYSTEM SET devicewake.mqtt_port = $port" >/dev/null
q "ALTER SYSTEM SET devicewake.mqtt_username = 'devicewake'" >/dev/null
q "ALTER SYSTEM SET devicewake.mqtt_password_file = '$AUTH_DIR/bad_password'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_for 20 "SELECT NOT connected AND last_error ILIKE '%refused%' FROM devicewake.worker_status()"
ok $? "a wrong password is refused and reported in worker_status().last_error"

q "ALTER SYSTEM SET devicewake.mqtt_password_file = '$AUTH_DIR/mqtt_password'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_for 30 "SELECT connected AND broker LIKE '%:$port' FROM devicewake.worker_status()"
ok $? "with the password file the worker logs in"

q "CREATE ROLE auth_probe LOGIN PASSWORD '$DW_PGPASSWORD'" >/dev/null 2>&1  # pg_hba.conf: scram only
out=$(psql -X -A -t -U auth_probe -c "SHOW devicewake.mqtt_password_file" 2>&1)
echo "$out" | grep -q 'must be superuser\|permission denied\|privileges of pg_read_all_settings'
ok $? "an ordinary role cannot read devicewake.mqtt_password_file"
is "$(psql -X -A -t -U auth_probe -c "SELECT count(*) FROM pg_settings WHERE name = 'devicewake.mqtt_password_file' AND setting <> ''" 2>&1)" 0 \
  "nor see it in pg_settings"
q "DROP ROLE auth_probe" >/dev/null

for s in mqtt_port mqtt_username mqtt_password_file; do q "ALTER SYSTEM RESET devicewake.$s" >/dev/null; done
q "SELECT pg_reload_conf()" >/dev/null
wait_for 30 "SELECT connected AND broker LIKE '%:$DW_MQTT_PORT' FROM devicewake.worker_status()"
ok $? "reset: back on the test broker"
done_testing
