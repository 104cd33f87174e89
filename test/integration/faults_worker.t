# Reliability (issue 8, docs/design.md §6, §7): the worker is terminated (pg_terminate_backend) in the
# middle of a 10,000-command drain and in the middle of an upload of 10,000 chunks. Zero commands
# lost, none stuck claimed, the postmaster restarts the worker within seconds; chunks lost in the
# window between libmosquitto's PUBACK and the commit are counted and recovered by resend_chunks.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"
source "$(dirname "$0")/faults.sh"

terminate_worker() { q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'pg_devicewake worker'" >/dev/null; }

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
drain_with_fault terminated 10000 terminate_worker
ingest_with_fault terminated_ingest F100D00000A1 200 50 0 terminate_worker
done_testing
