# pg_cron really runs the timeout sweep: schedule_timeout_monitor registers the job, pg_cron's
# launcher (in database devicewake, cron.database_name) runs it, the stale image becomes failed
# with its retry queued; unschedule removes the job. Without pg_cron: a clear 55000 error.
# pg_cron here is 1.4 (no second-based schedules): the job runs every minute, so the wait is
# bounded at 90 s.
source "$(dirname "$0")/lib.sh"

q "DELETE FROM devicewake.devices WHERE device_mac = 'TEST-CRON-1'"
q "INSERT INTO devicewake.devices (device_mac, next_wake_at) VALUES ('TEST-CRON-1', now() - interval '5 minutes')"
q "INSERT INTO devicewake.device_images (device_id, image_name, status, total_chunks, received_chunks)
   SELECT device_id, 'cron-test.jpg', 'receiving', 4, 3 FROM devicewake.devices WHERE device_mac = 'TEST-CRON-1'"
q "INSERT INTO devicewake.image_chunks (image_id, device_id, chunk_index, data)
   SELECT image_id, device_id, n, '\\xffd8ff'::bytea FROM devicewake.device_images, generate_series(0, 2) n
   WHERE image_name = 'cron-test.jpg'"

job=$(q "SELECT devicewake.schedule_timeout_monitor('* * * * *')")
is "$(q "SELECT count(*) FROM cron.job WHERE jobname = 'devicewake_timeout_monitor' AND jobid = $job")" 1 \
  "the monitor is one pg_cron job"
is "$(q "SELECT devicewake.schedule_timeout_monitor('* * * * *')")" "$job" "scheduling again keeps that job"

wait_for 90 "SELECT status = 'failed' FROM devicewake.device_images WHERE image_name = 'cron-test.jpg'"
ok $? "pg_cron ran the sweep: the stale image is failed"
wait_for 10 "SELECT EXISTS (SELECT FROM cron.job_run_details WHERE jobid = $job AND status = 'succeeded')"
ok $? "cron.job_run_details records a successful run"
is "$(q "SELECT i.retry_count || ' ' || c.command_type || ' ' || c.priority || ' ' || (c.command_payload -> 'missing_chunks')::text
         FROM devicewake.device_images i JOIN devicewake.device_commands c ON c.device_id = i.device_id
         WHERE i.image_name = 'cron-test.jpg'")" "1 retry_image 8 [3]" "with its retry queued"

is "$(q "SELECT devicewake.unschedule_timeout_monitor()")" t "unscheduling removes the job"
is "$(q "SELECT count(*) FROM cron.job WHERE jobname = 'devicewake_timeout_monitor'")" 0 "no job is left"
is "$(q "SELECT devicewake.unschedule_timeout_monitor()")" f "unscheduling again finds nothing"

# a database without pg_cron
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS dw_nocron" -c "CREATE DATABASE dw_nocron" >/dev/null 2>&1
psql -X -q -d dw_nocron -c "CREATE EXTENSION pg_devicewake" >/dev/null
out=$(psql -X -q -d dw_nocron -v VERBOSITY=verbose -c "\set VERBOSITY verbose" -c "SELECT devicewake.schedule_timeout_monitor()" 2>&1)
echo "$out" | grep -q "ERROR:  55000: pg_cron is not installed in this database"
ok $? "without pg_cron: 55000 pg_cron is not installed in this database"
echo "$out" | grep -q "HINT:  Add pg_cron to shared_preload_libraries"
ok $? "with a hint saying how to install it"
psql -X -q -d postgres -c "DROP DATABASE dw_nocron" >/dev/null

q "DELETE FROM devicewake.devices WHERE device_mac = 'TEST-CRON-1'"
done_testing
