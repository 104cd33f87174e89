# The seed scenarios on the Citus cluster, run on the coordinator against the distributed tables,
# with the answers one server gives (sql/image_timeout.sql, sql/manual_wake.sql):
#  - a stuck upload: the sweep fails it and queues a retry_image for its missing chunk;
#    queue_image_retry() queues the next retry by hand;
#  - a manual wake: request_manual_wake() as an operator, then the camera's HELLO ends it.
source "$(dirname "$0")/lib.sh"
co() { qn 0 "$1"; }

co "INSERT INTO devicewake.companies (company_id, name) VALUES ('00000000-0000-4000-8000-0000000030c1', 'Seed Co');
    INSERT INTO devicewake.sites (site_id, name, timezone, wake_schedule_cron, company_id)
    VALUES ('00000000-0000-4000-8000-0000000030b1', 'Seed site', 'UTC', '0 6 * * *', '00000000-0000-4000-8000-0000000030c1')" >/dev/null
# devices enter the directory on the coordinator (a shard's trigger cannot write a reference table)
dev=$(co "SELECT devicewake._register_device('TEST-ESP32-002', 'TEST-ESP32-002', 'test')")
co "UPDATE devicewake.devices SET site_id = '00000000-0000-4000-8000-0000000030b1',
      next_wake_at = now() - interval '5 minutes' WHERE device_id = '$dev'" >/dev/null
out=$(co "INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-ESP32-002')" 2>&1)
grep -q 'duplicate key value violates unique constraint "device_directory_pkey"' <<<"$out"
ok $? "a MAC another device holds is refused on Citus too"

# ---- the stuck upload
co "INSERT INTO devicewake.device_images (device_id, image_name, status, total_chunks, received_chunks, retry_count, max_retries)
    VALUES ('$dev', 'image_1762625082788.jpg', 'receiving', 4, 3, 0, 3);
    INSERT INTO devicewake.image_chunks (image_id, device_id, chunk_index, data)
    SELECT image_id, device_id, n, '\\xffd8ff'::bytea FROM devicewake.device_images, generate_series(0, 2) n
    WHERE device_id = '$dev'" >/dev/null
is "$(co "SELECT image_name || ' ' || retry_count || ' ' || (command_id IS NOT NULL) || ' ' || (alert_id IS NOT NULL)
          FROM devicewake.timeout_stale_images()")" "image_1762625082788.jpg 1 true false" \
  "the sweep fails the stuck upload and queues a retry (no alert: 2 retries are left)"
is "$(co "SELECT status || ' ' || retry_count || ' ' || timeout_reason FROM devicewake.device_images WHERE device_id = '$dev'")" \
  "failed 1 Transmission not completed before next wake window" "the image is failed with the seed's reason"
is "$(co "SELECT command_type || ' ' || priority || ' ' || status || ' ' || (command_payload -> 'missing_chunks')::text
          || ' ' || (scheduled_for = d.next_wake_at - interval '5 minutes')
          FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id) WHERE device_id = '$dev'")" \
  "retry_image 8 pending [3] true" "the retry asks for the missing chunk 5 minutes before the next wake"
is "$(co "SELECT count(*) FROM devicewake.device_alerts WHERE device_id = '$dev' AND alert_type = 'image_transmission_failed'")" 0 \
  "no alert on the first of 3 tries, as on one server"
is "$(co "SELECT count(*) FROM devicewake.timeout_stale_images()")" 0 "a second sweep finds nothing"
img=$(co "SELECT image_id FROM devicewake.device_images WHERE device_id = '$dev'")
co "UPDATE devicewake.device_images SET status = 'failed' WHERE image_id = '$img' AND device_id = '$dev'" >/dev/null
# by hand, on the device's shard (each statement of the retries names the device)
is "$(co "SELECT devicewake.queue_image_retry('$img') IS NOT NULL")" t "queue_image_retry() queues a retry by hand"
latest="SELECT command_type || ' ' || priority || ' ' || status || ' ' || (command_payload -> 'missing_chunks')::text
        || ' ' || (created_by_user_id IS NULL) FROM devicewake.device_commands
        WHERE device_id = '$dev' AND command_type = 'retry_image' ORDER BY issued_at DESC LIMIT 1"
is "$(co "$latest")" "retry_image 8 pending [3] true" "the retry asks for the chunk the shard does not hold"
is "$(co "SELECT devicewake.queue_image_retry('$img') IS NOT NULL")" t "a second retry by hand"
is "$(co "SELECT string_agg(status, ',' ORDER BY issued_at DESC) FROM (SELECT status, issued_at FROM devicewake.device_commands
          WHERE device_id = '$dev' AND command_type = 'retry_image' ORDER BY issued_at DESC LIMIT 2) x")" "pending,cancelled" \
  "the new retry replaces the pending one"
is "$(co "SELECT devicewake.retry_failed_images('$dev')")" 1 "retry_failed_images() queues the device's failed image"
is "$(co "SELECT count(*) FILTER (WHERE status = 'pending') || ' ' || count(*) FROM devicewake.device_commands
          WHERE device_id = '$dev' AND command_type = 'retry_image'")" "1 4" \
  "one retry pending, the three before it (the sweep's, two by hand) cancelled"
is "$(co "SELECT count(*) FROM devicewake.device_history WHERE device_id = '$dev' AND event_type = 'image_retry_queued'")" 3 \
  "each retry is in the device's history"
out=$(co "SELECT devicewake.queue_image_retry('00000000-0000-4000-8000-00000000dead')" 2>&1)
grep -q 'image 00000000-0000-4000-8000-00000000dead does not exist' <<<"$out"
ok $? "an unknown image is refused on Citus as on one server"

# ---- the manual wake
co "DROP ROLE IF EXISTS dw_citus_alice; CREATE ROLE dw_citus_alice NOLOGIN IN ROLE devicewake_operator" >/dev/null 2>&1
for n in 1 2; do qn $n "SELECT 1 FROM pg_roles WHERE rolname = 'dw_citus_alice'" | grep -q 1; ok $? "the role reaches node $n"; done
co "INSERT INTO devicewake.users (user_id, role_name, display_name)
    VALUES ('00000000-0000-4000-8000-0000000030a1', 'dw_citus_alice', 'Alice');
    INSERT INTO devicewake.company_members VALUES ('00000000-0000-4000-8000-0000000030c1', '00000000-0000-4000-8000-0000000030a1')" >/dev/null
cam=$(co "SELECT devicewake._register_device('B8F862000201', 'b8:f8:62:00:02:01', 'test')")
co "UPDATE devicewake.devices SET site_id = '00000000-0000-4000-8000-0000000030b1' WHERE device_id = '$cam'" >/dev/null
is "$(co "SET ROLE dw_citus_alice; SELECT devicewake.request_manual_wake('$cam', interval '1 minute') IS NOT NULL")" t \
  "an operator asks for a wake in a minute"
is "$(co "SELECT manual_wake_override || ' ' || manual_wake_requested_by || ' ' || (next_wake_at - manual_wake_requested_at)
          FROM devicewake.devices WHERE device_id = '$cam'")" "true 00000000-0000-4000-8000-0000000030a1 00:01:00" \
  "the device is overridden by Alice's wake, a minute ahead"
is "$(co "SELECT command_type || ' ' || status || ' ' || created_by_user_id FROM devicewake.device_commands WHERE device_id = '$cam'")" \
  "set_wake_schedule pending 00000000-0000-4000-8000-0000000030a1" "a set_wake_schedule is queued in her name"
is "$(co "SELECT devicewake.record_device_hello('b8:f8:62:00:02:01', '{\"status\":\"Alive\",\"pendingImg\":0,\"pending_list\":[]}') IS NOT NULL")" t \
  "the camera's HELLO opens a wake session"
is "$(co "SELECT manual_wake_override || ' ' || (manual_wake_requested_by IS NULL) || ' ' || to_char(next_wake_at AT TIME ZONE 'UTC', 'HH24:MI:SS')
          FROM devicewake.devices WHERE device_id = '$cam'")" "false true 06:00:00" \
  "the HELLO ends the override; the next wake is back on the schedule"
is "$(co "SELECT state FROM devicewake.manual_wakes WHERE device_id = '$cam'")" "confirmed" "the manual wake is confirmed"
is "$(co "SELECT count(*) FROM devicewake.device_wake_sessions WHERE device_id = '$cam' AND status = 'in_progress'")" 1 \
  "one open wake session"
echo "1..$DW_TAP_N"
[ "$DW_TAP_FAILED" -eq 0 ]
