# TAP helpers for integration tests run by `prove -e bash`. Each test sources this file; the
# runner exports PGHOST/PGPORT/PGDATABASE (a live cluster) and DW_MQTT_PORT (a live broker).
# Waiting is always on a condition with a bounded timeout, never a fixed sleep.

DW_TAP_N=0
DW_TAP_FAILED=0

ok() {  # ok CONDITION_EXIT_STATUS DESCRIPTION
  DW_TAP_N=$((DW_TAP_N + 1))
  if [ "$1" -eq 0 ]; then echo "ok $DW_TAP_N - $2"; else echo "not ok $DW_TAP_N - $2"; DW_TAP_FAILED=$((DW_TAP_FAILED + 1)); fi
}

is() {  # is GOT EXPECTED DESCRIPTION (a mismatch is shown on stderr too, so prove shows it)
  if [ "$1" == "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "  got:      '$1'"; diag "  expected: '$2'"; fi
}

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# wait_for SECONDS SQL_RETURNING_BOOLEAN: polls the condition every 20 ms until true or timeout.
wait_for() {
  local deadline=$((SECONDS + $1))
  while [ $SECONDS -le $deadline ]; do
    [ "$(q "$2" 2>/dev/null)" = t ] && return 0
    sleep 0.02
  done
  return 1
}

# wait_text SECONDS FILE TEXT [COUNT]: waits until FILE has at least COUNT (default 1) lines
# containing TEXT (a fixed string), checking every 20 ms until the timeout.
wait_text() {
  local deadline=$((SECONDS + $1)) n
  while [ $SECONDS -le $deadline ]; do
    n=$(grep -c -F -- "$3" "$2" 2>/dev/null)
    [ "${n:-0}" -ge "${4:-1}" ] && return 0
    sleep 0.02
  done
  return 1
}

# diag TEXT: a TAP diagnostic on stderr (shown by prove without -v, like Test::More's diag).
diag() { echo "# $*" >&2; }

# pub TOPIC MESSAGE: publishes MESSAGE at QoS 1 on the test broker, as a device would.
pub() { mosquitto_pub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -t "$1" -m "$2"; }

worker_pid() { q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_devicewake worker'" 2>/dev/null; }

# wait_subscribed TOPIC FILE: publishes probes ({"send_image":"probe_..."}) on TOPIC until one
# shows up in FILE, the output of a subscriber that has just started: its subscription is then
# live. Each call's probes are its own, so lines left in FILE by an earlier subscriber never count.
wait_subscribed() {
  local i run="probe_${RANDOM}${RANDOM}"
  for i in $(seq 1 200); do
    mosquitto_pub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -t "$1" -m "{\"send_image\":\"${run}_$i\"}" 2>/dev/null
    grep -q -F "${run}_$i" "$2" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

done_testing() { echo "1..$DW_TAP_N"; [ "$DW_TAP_FAILED" -eq 0 ]; }
