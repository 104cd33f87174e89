# Standby and failover (docs/design.md §10) with a real streaming standby (pg_basebackup -R,
# synchronous) of the test cluster. On the standby the worker stays off
# (BgWorkerStart_RecoveryFinished) and worker_status() says why. Then the primary is killed
# (pg_ctl stop -m immediate) in the middle of a drain of 10,000 commands, the standby is promoted
# with no setting changed and no restart, and its worker delivers what the primary left: every
# command, with the duplicates at-least-once delivery allows. Figures (TAP diagnostics): seconds
# from promotion to the first publish, duplicates delivered. (Chunks asked again are measured for a
# crash by faults_postgres.t; here one worker serves ingest and dispatch in turn, so a kill timed on
# the drain cannot also be timed to land inside an upload.) Afterwards the standby is stopped and
# the old primary restarted, so later tests find the cluster they expect.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"
source "$(dirname "$0")/faults.sh"

N=10000
MAC=TEST-FAILOVER
SB=$DW_RUN/standby SB_SOCK=$DW_RUN/standby_sock SB_PORT=$(dw_free_port)
PRIMARY_PGPORT=$PGPORT PRIMARY_PGHOST=$PGHOST
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", b - a }'; }
on_standby() { PGHOST=$SB_SOCK PGPORT=$SB_PORT "$@"; }
restore() {
  kill "$FAULT_SUB" 2>/dev/null
  export PGHOST=$PRIMARY_PGHOST PGPORT=$PRIMARY_PGPORT
  if [ -f "$DW_PGDATA/postmaster.pid" ]; then  # still the primary: it must stop waiting for a standby
    q "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null 2>&1; q "SELECT pg_reload_conf()" >/dev/null 2>&1
  fi
  [ -f "$SB/postmaster.pid" ] && dw_as_postgres "$DW_PGBIN/pg_ctl" -D "$SB" -m immediate -w stop >/dev/null 2>&1
  if [ ! -f "$DW_PGDATA/postmaster.pid" ]; then
    # without its standby a synchronous primary would wait forever at every commit
    sed -i '/synchronous_standby_names\|synchronous_commit/d' "$DW_PGDATA/postgresql.auto.conf"
    dw_as_postgres "$DW_PGBIN/pg_ctl" -D "$DW_PGDATA" -l "$DW_RUN/postgres.log" -w -t 60 start >/dev/null 2>&1
  fi
  q "DELETE FROM devicewake.device_commands WHERE device_id IN
     (SELECT device_id FROM devicewake.devices WHERE device_mac = '$MAC')" >/dev/null 2>&1
  q "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null 2>&1
  q "ALTER SYSTEM RESET synchronous_commit" >/dev/null 2>&1
  q "SELECT pg_reload_conf()" >/dev/null 2>&1
}
trap restore EXIT

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected on the primary"
is "$(q "SELECT state FROM devicewake.worker_status()")" "running: connected" "worker_status() on the primary: running"
dev=$(q "INSERT INTO devicewake.devices (device_mac) SELECT '$MAC'
         WHERE NOT EXISTS (SELECT FROM devicewake.devices WHERE device_mac = '$MAC');
       UPDATE devicewake.devices SET device_name = NULL WHERE device_mac = '$MAC' RETURNING device_id")
q "DELETE FROM devicewake.device_commands WHERE device_id = '$dev'" >/dev/null

# --- the standby
mkdir -p "$SB" "$SB_SOCK"; chown postgres "$SB" "$SB_SOCK"; chmod 700 "$SB"
# scram-sha-256 on every line (scripts/lib.sh): the password comes from the environment (the
# pgpass file belongs to root), -w never prompts, and -R writes it into primary_conninfo
dw_as_postgres env PGPASSWORD="$DW_PGPASSWORD" "$DW_PGBIN/pg_basebackup" -w -D "$SB" -R -X stream \
  -h "$PGHOST" -p "$PGPORT" -U postgres >"$DW_RUN/basebackup.log" 2>&1
ok $? "pg_basebackup -R copies the primary"
cat >>"$SB/postgresql.conf" <<CONF
port = $SB_PORT
unix_socket_directories = '$SB_SOCK'
CONF
dw_as_postgres "$DW_PGBIN/pg_ctl" -D "$SB" -l "$DW_RUN/standby.log" -w -t 60 start >/dev/null
ok $? "the standby starts"
wait_for 30 "SELECT count(*) = 1 FROM pg_stat_replication WHERE state = 'streaming'"; ok $? "it streams from the primary"
is "$(on_standby q "SELECT pg_is_in_recovery()")" t "it is a hot standby"
# the primary writes a marker; once the standby has replayed it, it has been up through replay
q "INSERT INTO devicewake.device_history (device_id, event_type) VALUES ('$dev', 'failover_marker')" >/dev/null
deadline=$((SECONDS + 30))
until [ "$(on_standby q "SELECT count(*) FROM devicewake.device_history WHERE event_type = 'failover_marker'")" = 1 ] || [ $SECONDS -gt $deadline ]; do sleep 0.05; done
is "$(on_standby q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_devicewake worker'")" 0 \
  "no worker runs on the standby (BgWorkerStart_RecoveryFinished), with devicewake.enabled left on"
is "$(on_standby q "SELECT current_setting('devicewake.enabled')")" on "devicewake.enabled is on there too"
is "$(on_standby q "SELECT (pid IS NULL) || '|' || connected || '|' || state FROM devicewake.worker_status()")" \
  "true|false|standby: starts after promotion" "worker_status() on the standby: a row a DBA can read"

# Synchronous replication: a commit returns once the standby has it, so the failover loses no
# committed row and what the figures count is the at-least-once window itself (publishes and
# chunks whose commit had not happened). The standby's own settings do not name a standby.
q "ALTER SYSTEM SET synchronous_commit = on" >/dev/null
q "ALTER SYSTEM SET synchronous_standby_names = '*'" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 30 "SELECT count(*) = 1 FROM pg_stat_replication WHERE sync_state = 'sync'"; ok $? "the standby is synchronous"

# --- a drain, and the primary dies in the middle of it
: >"$DW_RUN/failover.names"
fault_sub_start "$DW_RUN/failover.names"; ok $? "a subscriber listens on ESP32CAM/+/cmd"
q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
   SELECT '$dev', 'send_image', jsonb_build_object('image_name', 'fo_' || i) FROM generate_series(1, $N) i" >/dev/null
wait_for 60 "SELECT count(*) >= $N / 4 FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent'"
ok $? "the drain is under way on the primary"
dw_as_postgres "$DW_PGBIN/pg_ctl" -D "$DW_PGDATA" -m immediate -w stop >/dev/null
ok $? "the primary is killed (pg_ctl stop -m immediate)"
t_kill=$EPOCHREALTIME
export PGHOST=$SB_SOCK PGPORT=$SB_PORT
# with synchronous replication the standby has every commit the primary made
at_kill=$(q "SELECT count(*) FILTER (WHERE status = 'sent') FROM devicewake.device_commands WHERE device_id = '$dev'")
diag "primary killed with $at_kill of $N commands sent"
[ "$at_kill" -lt "$N" ]; ok $? "the kill hits mid-drain ($at_kill of $N sent)"

# --- promotion: nothing to set, nothing to restart
t_promote=$EPOCHREALTIME
q "SELECT pg_promote(true, 60)" >/dev/null; ok $? "the standby is promoted"
t_promoted=$EPOCHREALTIME
deadline=$((SECONDS + 60)); first=""
while [ $SECONDS -le $deadline ]; do
  [ "$(q "SELECT coalesce(published, 0) > 0 FROM devicewake.worker_status()" 2>/dev/null)" = t ] && { first=$EPOCHREALTIME; break; }
  sleep 0.02
done
[ -n "$first" ]; ok $? "the worker starts on the promoted standby and publishes"
diag "seconds from the kill to promotion done: $(ms "$t_kill" "$t_promoted")"
diag "seconds from promotion to the first publish: $(ms "$t_promote" "${first:-$t_promote}")"
is "$(q "SELECT state FROM devicewake.worker_status()")" "running: connected" "worker_status() on the new primary: running"

wait_for 120 "SELECT count(*) = $N FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent' AND claimed_at IS NULL"
ok $? "every command ends sent on the new primary"
is "$(q "SELECT count(*) FROM devicewake.device_commands WHERE device_id = '$dev' AND (status <> 'sent' OR claimed_at IS NOT NULL)")" 0 \
  "none is left pending, claimed or failed"
deadline=$((SECONDS + 30))
while [ "$(grep '^fo_[0-9]' "$DW_RUN/failover.names" | sort -u | wc -l)" -lt $N ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
got=$(grep '^fo_[0-9]' "$DW_RUN/failover.names" | sort -u | wc -l); total=$(grep -c '^fo_[0-9]' "$DW_RUN/failover.names")
is "$got" "$N" "every command was delivered at least once (zero lost)"
diag "received $total messages for $got distinct commands"
diag "duplicates delivered: $((total - got))"
diag "republished by the new primary: $(q "SELECT republished FROM devicewake.worker_status()")"

kill "$FAULT_SUB" 2>/dev/null; wait "$FAULT_SUB" 2>/dev/null

# --- back to the cluster the other tests use
restore; trap - EXIT
wait_for 30 "SELECT connected FROM devicewake.worker_status()"; ok $? "the old primary is back for the tests that follow"
done_testing
