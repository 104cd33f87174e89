# Reliability (issue 8, docs/design.md §7 "reset its memory per iteration"): the worker's resident memory
# after a warm-up of 100,000 messages is compared with its memory after 100,000 more (50,000 commands drained, 50,000 messages ingested: 1,000 images of 49
# chunks): growth must stay within a small bound. VmRSS also counts the pages of shared_buffers
# the process has touched (RssShmem), which grows as it reads more of the table and is not the
# process's own: the bound is on RssAnon, its private heap. Figures printed as TAP diagnostics.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/lib.sh"
source "$(dirname "$0")/faults.sh"
BOUND_KB=8192

rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
anon() { awk '$1 == "RssAnon:" { print $2 }' "/proc/$1/status"; }
drain() {  # drain LABEL COUNT: COUNT commands in one commit, waits until all are sent
  q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
     SELECT '$dev', 'send_image', jsonb_build_object('image_name', '$1_' || g) FROM generate_series(1, $2) g" >/dev/null
  wait_for 120 "SELECT count(*) = $2 FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent' AND command_payload->>'image_name' LIKE '$1\_%'"
}

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
pid=$(worker_pid)
q "DELETE FROM devicewake.device_commands WHERE device_id IN (SELECT device_id FROM devicewake.devices WHERE device_mac = 'TEST-LEAK')" >/dev/null
dev=$(q "INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-LEAK') ON CONFLICT (device_mac) DO UPDATE SET device_name = NULL RETURNING device_id")
start_rss=$(rss "$pid"); start_anon=$(anon "$pid")

# the warm-up has the shape of the measured round, so every high-water mark (read bursts, batches,
# caches, malloc arenas) is reached before the first figure
drain warm 50000; ok $? "warm-up: 50,000 commands drained"
camera_at_site F100D000EA01; camera_at_site F100D000EA02
"$FAULT_TOOL" device F100D000EA01 1000 49 64 180 "warm_$RANDOM" >/dev/null 2>&1; ok $? "warm-up: 1,000 images of 49 chunks ingested"
warm_rss=$(rss "$pid"); warm_anon=$(anon "$pid")
t0=$EPOCHREALTIME
drain load 50000; ok $? "50,000 commands drained"
t1=$EPOCHREALTIME
"$FAULT_TOOL" device F100D000EA02 1000 49 64 180 "load_$RANDOM" >"$DW_RUN/leak_device.out" 2>&1; ok $? "1,000 images of 49 chunks (50,001 messages) ingested"
t2=$EPOCHREALTIME
end_rss=$(rss "$pid"); end_anon=$(anon "$pid")
is "$(worker_pid)" "$pid" "the same worker process did all of it"
diag "worker RSS: $start_rss kB at start, $warm_rss kB after the warm-up, $end_rss kB after 100,000 more messages (VmHWM $(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status") kB)"
diag "worker RssAnon (private heap): $start_anon kB at start, $warm_anon kB after the warm-up, $end_anon kB at the end"
diag "growth after the warm-up: RssAnon $((end_anon - warm_anon)) kB (bound $BOUND_KB kB), VmRSS $((end_rss - warm_rss)) kB (RssShmem $(awk '$1 == "RssShmem:" { print $2 }' "/proc/$pid/status") kB at the end)"
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "# drain: 50,000 commands in %.1f s (%.0f/s); ingest: 50,001 messages in %.1f s (%.0f/s)\n", b - a, 50000 / (b - a), c - b, 50001 / (c - b) }' >&2
[ $((end_anon - warm_anon)) -le $BOUND_KB ]; ok $? "no private memory growth beyond $BOUND_KB kB over 100,000 messages"
done_testing
