# Reliability (issue 8, docs/design.md §6): PostgreSQL crashes (pg_ctl stop -m immediate, then start) in
# the middle of a 10,000-command drain and in the middle of an upload of 10,000 chunks. Run with
# synchronous_commit = on (the throwaway cluster's default is off, which by design may lose the
# last commits in a crash): zero commands lost, none stuck claimed, the worker back within
# seconds; chunks lost between libmosquitto's PUBACK and the commit are counted, bounded and
# recovered.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"
source "$(dirname "$0")/faults.sh"

crash_postgres() {
  dw_as_postgres "$DW_PGBIN/pg_ctl" -D "$DW_PGDATA" -m immediate -w stop >/dev/null
  dw_as_postgres "$DW_PGBIN/pg_ctl" -D "$DW_PGDATA" -l "$DW_RUN/postgres.log" -w -t 60 start >/dev/null
}
trap 'q "ALTER SYSTEM RESET synchronous_commit" >/dev/null 2>&1; q "SELECT pg_reload_conf()" >/dev/null 2>&1' EXIT

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
q "ALTER SYSTEM SET synchronous_commit = on" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wait_for 10 "SELECT current_setting('synchronous_commit') = 'on'"
drain_with_fault crashed 10000 crash_postgres
# A crash loses what the worker had read and not yet committed. It reads one batch ahead
# (batch_size), but one libmosquitto read call takes in as many packets as the client has
# messages in flight, so the read can overshoot the batch: the bound is two batches.
ingest_with_fault crashed_ingest F100D00000B1 200 50 $(( 2 * $(q "SHOW devicewake.batch_size") )) crash_postgres
is "$(q "SELECT count(*) FROM devicewake.device_commands WHERE status = 'pending' AND claimed_at IS NOT NULL")" 0 \
  "after the crashes no command anywhere is left claimed"
done_testing
