# Reliability (issue 8, docs/design.md §6): the broker is killed with SIGKILL in the middle of a
# 10,000-command drain and comes back 3 s later. Every command reaches the subscriber at least
# once, none is left pending or claimed, and the duplicates are counted.
# The test broker keeps nothing on disk, so subscriptions die with it: while it is down the worker
# is pointed at a closed port, the broker and a new subscriber come back, and then the worker is
# pointed back (a reload) — so nothing the worker publishes after the outage can beat the
# subscriber to the new broker.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"
source "$(dirname "$0")/faults.sh"
N=10000
OUT=$DW_RUN/faults_broker.names

sub_start() { fault_sub_start "$OUT"; local rc=$?; SUB=$FAULT_SUB; return $rc; }
distinct() { grep '^fb_' "$OUT" | sort -u | wc -l; }
cleanup() { kill "$SUB" 2>/dev/null; q "ALTER SYSTEM RESET devicewake.publish_timeout" >/dev/null 2>&1; q "ALTER SYSTEM RESET devicewake.mqtt_port" >/dev/null 2>&1; q "SELECT pg_reload_conf()" >/dev/null 2>&1; }
trap cleanup EXIT

: >"$OUT"
wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
# A PUBACK that never comes (the broker died holding it) is a failed attempt after this long.
q "ALTER SYSTEM SET devicewake.publish_timeout = 3" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
sub_start; ok $? "a subscriber listens on ESP32CAM/+/cmd"
q "DELETE FROM devicewake.device_commands WHERE device_id IN (SELECT device_id FROM devicewake.devices WHERE device_mac = 'TEST-FAULT-BROKER')" >/dev/null
dev=$(q "INSERT INTO devicewake.devices (device_mac) SELECT 'TEST-FAULT-BROKER'
         WHERE NOT EXISTS (SELECT FROM devicewake.devices WHERE device_mac = 'TEST-FAULT-BROKER');
       UPDATE devicewake.devices SET device_name = NULL WHERE device_mac = 'TEST-FAULT-BROKER' RETURNING device_id")
republished_before=$(q "SELECT republished FROM devicewake.worker_status()")

q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
   SELECT '$dev', 'send_image', jsonb_build_object('image_name', 'fb_' || i) FROM generate_series(1, $N) i" >/dev/null
wait_for 30 "SELECT count(*) >= 1000 FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent'"
ok $? "the drain is under way"
dw_broker_stop KILL
at_kill=$(q "SELECT count(*) FILTER (WHERE status = 'sent') || ' sent, ' || count(*) FILTER (WHERE claimed_at IS NOT NULL) || ' claimed'
             FROM devicewake.device_commands WHERE device_id = '$dev'")
# the subscriber writes out what it had already read before it is stopped (its file stops growing)
size=-1; deadline=$((SECONDS + 10))
while [ "$(stat -c %s "$OUT")" != "$size" ] && [ $SECONDS -lt $deadline ]; do size=$(stat -c %s "$OUT"); sleep 0.5; done
kill "$SUB" 2>/dev/null; wait "$SUB" 2>/dev/null
diag "broker killed (SIGKILL) with $at_kill of $N; the subscriber had $(distinct)"
[ "${at_kill%% sent*}" -lt $N ]; ok $? "the broker dies mid-drain (${at_kill%%,*} of $N)"
q "ALTER SYSTEM SET devicewake.mqtt_port = $(dw_free_port)" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 20 "SELECT NOT connected FROM devicewake.worker_status()"; ok $? "the worker notices the broker is gone"
# what the dead broker had accepted (PUBACK, so `sent`) is the broker's to deliver: without
# persistence, whatever of it the broker had not yet forwarded died with it
# the worker records the PUBACKs it had read before the connection dropped, then returns the claims
# still awaiting one to pending: once nothing is claimed, what is `sent` is what the broker accepted
wait_for 20 "SELECT count(*) = 0 FROM devicewake.device_commands WHERE device_id = '$dev' AND claimed_at IS NOT NULL"
ok $? "the worker has settled its in-flight publishes (PUBACKed: sent; the rest: pending again)"
q "SELECT command_payload->>'image_name' FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent'" | sort >"$OUT.accepted"
sleep 2  # the outage itself: the fault being injected, not a wait for a condition
dw_broker_start >/dev/null 2>&1; ok $? "the broker restarts on the same port"; disown -a
sub_start; ok $? "a new subscriber listens before the worker returns"
q "ALTER SYSTEM RESET devicewake.mqtt_port" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 30 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker reconnects"

wait_for 60 "SELECT count(*) = $N FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent' AND claimed_at IS NULL"
ok $? "every command ends sent"
is "$(q "SELECT count(*) FROM devicewake.device_commands WHERE device_id = '$dev' AND (status <> 'sent' OR claimed_at IS NOT NULL)")" 0 \
  "none is left pending, claimed or failed"
deadline=$((SECONDS + 30)); while [ "$(distinct)" -lt $N ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
got=$(distinct)
missing=$(comm -23 <(seq 1 $N | sed 's/^/fb_/' | sort) <(grep '^fb_' "$OUT" | sort -u))
in_broker=$(comm -12 <(echo "$missing" | sed '/^$/d') "$OUT.accepted" | wc -l)
diag "received: $got of $N distinct; lost inside the killed broker (accepted from the worker before the kill, never forwarded): $in_broker"
is "$(( N - got - in_broker ))" 0 "every command the broker had not accepted before its death was received at least once"
total=$(grep -c '^fb_' "$OUT")
diag "received: $total messages for $got distinct commands"
diag "duplicates: $((total - got))"
diag "republished by the worker: $(( $(q "SELECT republished FROM devicewake.worker_status()") - republished_before ))"
diag "publish attempts: $(q "SELECT sum(publish_count) FROM devicewake.device_commands WHERE device_id = '$dev'") for $N commands"
[ $((total - got)) -le 20000 ]; ok $? "duplicates are bounded by the in-flight window (20,000)"

# --- a short outage (the worker reconnects while its old publishes still await their PUBACK):
# every claim must still be resolved, none may be forgotten. A fresh connection numbers its
# message ids from 1 again, so the kill comes early in the life of a fresh connection. The
# publishes lost with the connection go out again at once: publish_timeout is 60 s here, longer
# than the test waits, so no timeout can be what resolves them.
kill "$SUB" 2>/dev/null
q "ALTER SYSTEM SET devicewake.publish_timeout = 60" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
dw_broker_stop; dw_broker_start >/dev/null 2>&1; disown -a
wait_for 30 "SELECT connected FROM devicewake.worker_status()"
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
   SELECT '$dev', 'send_image', jsonb_build_object('image_name', 'fb2_' || i) FROM generate_series(1, 3000) i" >/dev/null
wait_for 30 "SELECT count(*) >= 300 FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent' AND command_payload->>'image_name' LIKE 'fb2_%'"
dw_broker_stop KILL
dw_broker_start >/dev/null 2>&1; disown -a
wait_for 30 "SELECT connected FROM devicewake.worker_status()"; ok $? "after a short outage the worker reconnects"
wait_for 30 "SELECT count(*) = 3000 FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent' AND command_payload->>'image_name' LIKE 'fb2_%'"
ok $? "after a short outage every command ends sent, without waiting for publish_timeout"
is "$(q "SELECT count(*) FROM devicewake.device_commands WHERE device_id = '$dev' AND claimed_at IS NOT NULL")" 0 \
  "after a short outage no claim is forgotten"
done_testing
