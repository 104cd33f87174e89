# What a broker with mosquitto's default queue limits loses, and what recovers it (issue 18,
# docs/operations.md "Broker settings"). The test broker of every other test sets
# max_queued_messages 1000000 and max_inflight_messages 0; this one uses mosquitto's defaults
# (max_queued_messages 1000, max_inflight_messages 20). 200 cameras wake at once and upload 70
# chunks each: the broker queues the burst for the worker's session and, past 1,000 messages,
# drops QoS 1 messages meant for it. The test counts what the first pass lost, then checks that
# the server recovers it without anyone's help: a quiet upload is asked for its missing chunks
# (resend_chunks on /ack, after devicewake.chunk_quiet_period), and a lost METADATA or a camera that
# slept holding its image is caught at its next wake (its HELLO lists the image, the server asks
# for it). Figures are TAP diagnostics.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"

SIM=$(dirname "$0")/../../build/tools/camera_sim
CAMERAS=200
PORT=$(dw_free_port)
CONF=$DW_RUN/mosquitto_default_limits.conf
LOG=$DW_RUN/broker_queue_limit

cat >"$CONF" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest file $DW_RUN/mosquitto_default_limits.log
log_type error
log_type warning
log_type notice
user root
CONF
/usr/sbin/mosquitto -c "$CONF" >"$DW_RUN/mosquitto_default_limits.out" 2>&1 &
BROKER=$!
cleanup() {
  kill "$BROKER" 2>/dev/null
  q "ALTER SYSTEM RESET devicewake.mqtt_port" >/dev/null 2>&1
  q "ALTER SYSTEM RESET devicewake.chunk_quiet_period" >/dev/null 2>&1
  q "ALTER SYSTEM RESET devicewake.session_idle_timeout" >/dev/null 2>&1
  q "SELECT pg_reload_conf()" >/dev/null 2>&1
}
trap cleanup EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; ok $? "a broker with mosquitto's default queue limits listens on $PORT"

q "ALTER SYSTEM SET devicewake.mqtt_port = $PORT" >/dev/null
q "ALTER SYSTEM SET devicewake.chunk_quiet_period = 3" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_for 30 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker connects to it"
sleep 1.5  # a changed broker setting reconnects: let the first connection go
wait_for 30 "SELECT connected FROM devicewake.worker_status()"; ok $? "and stays connected"

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO devicewake.sites (name, timezone, wake_schedule_cron) VALUES ('Queue limit site', 'UTC', '0 */3 * * *');
INSERT INTO devicewake.devices (device_mac, site_id)
SELECT 'BD' || lpad(upper(to_hex(i)), 10, '0'), (SELECT site_id FROM devicewake.sites WHERE name = 'Queue limit site' LIMIT 1)
FROM generate_series(1, $CAMERAS) i
WHERE NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_mac = 'BD' || lpad(upper(to_hex(i)), 10, '0'));
SQL

# First pass: every camera wakes at once, captures, uploads and waits at most 20 s for the
# server's answers. --image-base 1: the second pass's cameras hold the same image names.
"$SIM" --port "$PORT" --cameras $CAMERAS --mac-prefix BD --image-base 1 --listen-timeout 20 \
  --ack-timeout 20 --no-verify bench >"$LOG.first" 2>&1
first_rc=$?
complete_sql="SELECT count(*) FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
              WHERE d.device_mac LIKE 'BD%' AND i.image_name = 'image_1.jpg' AND i.status = 'complete'"
known_sql="SELECT count(*) FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
           WHERE d.device_mac LIKE 'BD%' AND i.image_name = 'image_1.jpg'"
complete1=$(q "$complete_sql")
known1=$(q "$known_sql")
resends=$(grep -c '^MISSING\|missing_chunks' "$LOG.first")
client=$(q "SELECT coalesce(nullif(current_setting('devicewake.mqtt_client_id'), ''), 'pg_devicewake_' || system_identifier) FROM pg_control_system()")
dropped=$(grep -c "Outgoing messages are being dropped for client $client" "$DW_RUN/mosquitto_default_limits.log")
diag "first pass: $complete1 of $CAMERAS images complete after it, $known1 known to the server, camera_sim exit $first_rc"
[ "$dropped" -gt 0 ]; ok $? "with the default queue limit the broker drops messages meant for the worker's session (mosquitto logged it $dropped time(s))"

diag "first pass events: $(cut -d' ' -f1 "$LOG.first" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
asked=$(grep -c '^MISSING ' "$LOG.first")
diag "first pass: the server asked for missing chunks $asked times (resend_chunks on /ack)"

# The cameras left holding an image (never ACK_OK'd) are due again: their next wake arrives, the
# sweep fails the upload and queues its retry, and each such camera wakes holding its image. A
# wake can lose messages again (the cameras of the wake still burst together), so this repeats,
# as the fleet's schedule would, until every image of the burst is in: at most 10 wakes (a camera
# is also asked to capture at each later wake; those new pictures are not what this counts). Real wakes are hours
# apart; here they follow at once, so the wake session's idle timeout is cut to 5 s: a camera's
# next HELLO (it slept after 15 s of silence) is a new wake, not a repeated HELLO of the last one.
q "ALTER SYSTEM SET devicewake.session_idle_timeout = 5" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
# every camera whose picture is not in, whether or not its METADATA reached the server (a
# camera lists what it holds in its next HELLO, and the server then asks for it)
left_sql="SELECT m.mac || ' image_1.jpg'
          FROM (SELECT 'BD' || lpad(upper(to_hex(i)), 10, '0') AS mac FROM generate_series(1, $CAMERAS) i) m
          LEFT JOIN devicewake.devices d ON d.device_mac = m.mac
          LEFT JOIN devicewake.device_images i ON i.device_id = d.device_id AND i.image_name = 'image_1.jpg'
          WHERE i.status IS DISTINCT FROM 'complete' ORDER BY 1"
left=$(q "$left_sql")
n_left=$(echo "$left" | sed '/^$/d' | wc -l)
diag "after the first wake $n_left cameras still hold their picture; $((CAMERAS - known1)) of those pictures are unknown to the server (every METADATA of it was lost)"
wakes=1; swept_total=0
while [ "$n_left" -gt 0 ] && [ $wakes -lt 10 ]; do
  wakes=$((wakes + 1))
  q "UPDATE devicewake.devices SET next_wake_at = now() - interval '1 second'
     WHERE device_mac LIKE 'BD%' AND device_id IN (SELECT device_id FROM devicewake.device_images WHERE status = 'receiving')" >/dev/null
  swept=$(q "SELECT count(*) FROM devicewake.timeout_stale_images() t JOIN devicewake.devices d USING (device_id)
             WHERE d.device_mac LIKE 'BD%' AND t.image_name = 'image_1.jpg'")
  swept_total=$((swept_total + swept))
  {
    echo "$left" | while read -r mac name; do echo "hold $mac $name 71680"; done
    echo "$left" | while read -r mac name; do echo "wake $mac"; done
    echo "$left" | while read -r mac name; do echo "wait-sleep $mac 60"; done
    echo quit
  } | "$SIM" --port "$PORT" --listen-timeout 15 --ack-timeout 15 script >"$LOG.wake$wakes" 2>&1
  left=$(q "$left_sql")
  before=$n_left; n_left=$(echo "$left" | sed '/^$/d' | wc -l)
  diag "wake $wakes: $before cameras woke holding their image ($swept uploads failed by the sweep first), $((before - n_left)) delivered, $n_left still held; the server asked for missing chunks $(grep -c '^MISSING ' "$LOG.wake$wakes") times"
done
is "$n_left" 0 "every image is in after $wakes wakes (the sweep failed $swept_total unfinished uploads on the way)"
is "$(q "$complete_sql")" "$CAMERAS" "all $CAMERAS images are complete"
{
  for i in $(seq 1 $CAMERAS); do printf 'hold BD%010X image_1.jpg 71680\nverify BD%010X image_1.jpg\n' "$i" "$i"; done; echo quit
} | "$SIM" --port "$PORT" script >"$LOG.verify" 2>&1
tail -n 1 "$LOG.verify" | grep -q "^DONE script failures=0"; ok $? "every stored image is byte-exact ($(tail -n 1 "$LOG.verify"))"
done_testing
