-- Stuck uploads (docs/design.md §4): the timeout sweep, retries, alerts, manual retry, the views, and
-- every error a user can reach. Outputs show no uuids or timestamps: times compare to now().
\set VERBOSITY terse
-- SQLSTATE and message of a statement's error
CREATE FUNCTION pg_temp.error_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE p_sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- ---------------------------------------------------------------- the original scenario
INSERT INTO devicewake.sites (name, timezone, wake_schedule_cron) VALUES ('Test Site', 'UTC', '0 * * * *');
INSERT INTO devicewake.devices (device_mac, device_name, site_id, next_wake_at)
SELECT 'TEST-ESP32-002', 'Test Device 002 - Missing Chunks', site_id, now() - interval '5 minutes'
FROM devicewake.sites WHERE name = 'Test Site';
INSERT INTO devicewake.device_images (device_id, image_name, status, total_chunks, received_chunks,
                                      retry_count, max_retries)
SELECT device_id, 'image_1762625082788.jpg', 'receiving', 4, 3, 0, 3
FROM devicewake.devices WHERE device_mac = 'TEST-ESP32-002';
INSERT INTO devicewake.image_chunks (image_id, device_id, chunk_index, data)
SELECT image_id, device_id, n, '\xffd8ff'::bytea FROM devicewake.device_images, generate_series(0, 2) n
WHERE image_name = 'image_1762625082788.jpg';

-- what the sweep would fail, and the badges before it runs
SELECT device_mac, image_name, received_chunks, total_chunks, retry_count,
       overdue_by >= interval '5 minutes' AS overdue, will_queue_retry, will_raise_alert
FROM devicewake.stale_images WHERE device_mac = 'TEST-ESP32-002';
SELECT device_mac, pending_count, failed_count, failed_images FROM devicewake.device_image_summary
WHERE device_mac = 'TEST-ESP32-002';

SELECT image_name, retry_count, command_id IS NOT NULL AS retry_queued, alert_id IS NOT NULL AS alerted
FROM devicewake.timeout_stale_images();

SELECT status, retry_count, timeout_reason,
       failed_at BETWEEN now() - interval '1 minute' AND now() AS failed_just_now
FROM devicewake.device_images WHERE image_name = 'image_1762625082788.jpg';
SELECT c.command_type, c.priority, c.status, c.command_payload - 'image_id' AS payload,
       c.command_payload ->> 'image_id' = i.image_id::text AS payload_names_image,
       c.scheduled_for = d.next_wake_at - interval '5 minutes' AS due_5_min_before_wake,
       c.expires_at = d.next_wake_at + interval '1 hour' AS expires_hour_after_wake
FROM devicewake.device_commands c
JOIN devicewake.devices d USING (device_id)
JOIN devicewake.device_images i ON i.device_id = d.device_id
WHERE d.device_mac = 'TEST-ESP32-002';
SELECT event_type, event_data - 'image_id' - 'retry_command_id' AS event_data,
       event_data ? 'retry_command_id' AS names_command
FROM devicewake.device_history JOIN devicewake.devices USING (device_id)
WHERE device_mac = 'TEST-ESP32-002' ORDER BY history_id;
SELECT count(*) AS alerts FROM devicewake.device_alerts JOIN devicewake.devices USING (device_id)
WHERE device_mac = 'TEST-ESP32-002';
-- the badges now, and the queue
SELECT device_mac, pending_count, failed_count,
       jsonb_path_query_array(failed_images, '$[*].image_name') AS failed,
       failed_images -> 0 -> 'retry_count' AS retry_count,
       failed_images -> 0 ->> 'timeout_reason' AS reason
FROM devicewake.device_image_summary WHERE device_mac = 'TEST-ESP32-002';
SELECT device_mac, command_type, priority, status, state, is_due, age >= interval '0' AS has_age
FROM devicewake.command_queue WHERE device_mac = 'TEST-ESP32-002';
-- a second sweep finds nothing: each image is timed out once
SELECT count(*) AS timed_out_again FROM devicewake.timeout_stale_images();
SELECT count(*) AS stale FROM devicewake.stale_images WHERE device_mac = 'TEST-ESP32-002';

-- ---------------------------------------------------------------- exhausting the retries
-- the device takes the retry, re-sends, and falls asleep mid-upload again: three more times
CREATE FUNCTION pg_temp.fail_again() RETURNS TABLE (retry_count int, retry_queued boolean, alerted boolean)
LANGUAGE sql AS $$
    UPDATE devicewake.device_commands SET status = 'acknowledged', acknowledged_at = now()
    WHERE command_type = 'retry_image' AND status = 'pending';
    UPDATE devicewake.device_images SET status = 'receiving' WHERE image_name = 'image_1762625082788.jpg';
    SELECT retry_count, command_id IS NOT NULL, alert_id IS NOT NULL FROM devicewake.timeout_stale_images();
$$;
SELECT * FROM pg_temp.fail_again();
SELECT * FROM pg_temp.fail_again();
SELECT * FROM pg_temp.fail_again();
SELECT attempt, severity, alert_type, message, metadata - 'reason' AS metadata
FROM devicewake.device_alerts ORDER BY attempt;
SELECT status, count(*) FROM devicewake.device_commands GROUP BY status ORDER BY status;
SELECT event_data ->> 'retry_count' AS retry_count, event_data ? 'retry_command_id' AS retried
FROM devicewake.device_history WHERE event_type = 'image_timeout' ORDER BY history_id;
-- an alert for an attempt is raised once: an open alert for attempt 5 already exists
INSERT INTO devicewake.device_alerts (device_id, image_id, alert_type, severity, message, attempt)
SELECT device_id, image_id, 'image_transmission_failed', 'critical', 'raised earlier', 5
FROM devicewake.device_images WHERE image_name = 'image_1762625082788.jpg';
SELECT * FROM pg_temp.fail_again();
SELECT attempt, count(*) FROM devicewake.device_alerts WHERE attempt = 5 GROUP BY attempt;

-- ---------------------------------------------------------------- "Retry all failed images"
INSERT INTO devicewake.device_images (device_id, image_name, status, total_chunks, received_chunks,
                                      retry_count, failed_at, timeout_reason)
SELECT device_id, 'image_2.jpg', 'failed', NULL, 0, 1, now(), 'Transmission not completed before next wake window'
FROM devicewake.devices WHERE device_mac = 'TEST-ESP32-002';
SELECT devicewake.retry_failed_images(device_id) AS queued
FROM devicewake.devices WHERE device_mac = 'TEST-ESP32-002';
SELECT image_name, status, retry_count FROM devicewake.device_images ORDER BY image_name;
SELECT count(*) FILTER (WHERE resolved_at IS NULL) AS open_alerts, count(*) AS alerts
FROM devicewake.device_alerts;
-- pressed twice: the pending retries are replaced, not duplicated
SELECT devicewake.retry_failed_images(device_id) AS queued
FROM devicewake.devices WHERE device_mac = 'TEST-ESP32-002';
SELECT c.command_payload ->> 'image_name' AS image, c.status, count(*),
       min(c.command_payload ->> 'missing_chunks') AS missing_chunks,
       min(c.command_payload ->> 'total_chunks') AS total_chunks
FROM devicewake.device_commands c
WHERE c.command_type = 'retry_image' AND c.status IN ('pending', 'cancelled')
GROUP BY 1, 2 ORDER BY 1, 2;
SELECT event_type, count(*) FROM devicewake.device_history GROUP BY 1 ORDER BY 1;
-- a device with nothing failed
INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-NOTHING-FAILED');
SELECT devicewake.retry_failed_images(device_id) AS queued
FROM devicewake.devices WHERE device_mac = 'TEST-NOTHING-FAILED';

-- ---------------------------------------------------------------- edges
-- an upload in flight on a device whose next wake is still ahead, an image already complete, and
-- a device without next wake: none is stale
INSERT INTO devicewake.devices (device_mac, next_wake_at, wake_schedule_cron) VALUES
    ('TEST-FUTURE-WAKE', now() + interval '10 minutes', NULL),
    ('TEST-NO-NEXT-WAKE', NULL, '0 * * * *'),
    ('TEST-NO-SCHEDULE', NULL, NULL),
    ('TEST-ZERO-RETRIES', now() - interval '1 minute', NULL),
    ('TEST-LONG-OVERDUE', now() - interval '3 hours', NULL),
    ('TEST-COMPLETE', now() - interval '1 minute', NULL);
INSERT INTO devicewake.device_images (device_id, image_name, status, total_chunks, received_chunks, max_retries, image_data)
SELECT device_id, lower(device_mac) || '.jpg',
       CASE device_mac WHEN 'TEST-COMPLETE' THEN 'complete' ELSE 'receiving' END, 2,
       CASE device_mac WHEN 'TEST-COMPLETE' THEN 2 ELSE 0 END,
       CASE device_mac WHEN 'TEST-ZERO-RETRIES' THEN 0 ELSE 3 END,
       CASE device_mac WHEN 'TEST-COMPLETE' THEN '\xffd8ffd9'::bytea END
FROM devicewake.devices WHERE device_mac IN ('TEST-FUTURE-WAKE', 'TEST-NO-NEXT-WAKE',
    'TEST-NO-SCHEDULE', 'TEST-ZERO-RETRIES', 'TEST-LONG-OVERDUE', 'TEST-COMPLETE');
SELECT device_mac, will_queue_retry, will_raise_alert FROM devicewake.stale_images ORDER BY device_mac;
SELECT d.device_mac, t.retry_count, t.command_id IS NOT NULL AS retry_queued, t.alert_id IS NOT NULL AS alerted
FROM devicewake.timeout_stale_images() t JOIN devicewake.devices d USING (device_id)
ORDER BY d.device_mac;
SELECT device_mac, i.status, i.retry_count FROM devicewake.device_images i JOIN devicewake.devices USING (device_id)
WHERE device_mac LIKE 'TEST-%' AND device_mac <> 'TEST-ESP32-002' ORDER BY device_mac;
-- max_retries 0: failed, no retry, a critical alert at once
SELECT message FROM devicewake.device_alerts a JOIN devicewake.devices USING (device_id)
WHERE device_mac = 'TEST-ZERO-RETRIES';
-- long overdue (its wake window closed hours ago): due now, waits 24 h for the next HELLO
SELECT c.scheduled_for IS NULL AS due_now,
       c.expires_at BETWEEN now() + interval '23 hours 59 minutes' AND now() + interval '24 hours' AS expires_in_24h
FROM devicewake.device_commands c JOIN devicewake.devices USING (device_id)
WHERE device_mac = 'TEST-LONG-OVERDUE';

-- queue_image_retry: no next wake -> computed from the schedule (device's, else site's)
SELECT devicewake.queue_image_retry(image_id) IS NOT NULL AS queued
FROM devicewake.device_images WHERE image_name = 'test-no-next-wake.jpg';
SELECT c.priority, c.command_payload - 'image_id' AS payload,
       c.scheduled_for = devicewake.fn_calculate_next_wake_time(now(), '0 * * * *', 'UTC') - interval '5 minutes' AS due_5_min_before_wake,
       c.expires_at = devicewake.fn_calculate_next_wake_time(now(), '0 * * * *', 'UTC') + interval '1 hour' AS expires_hour_after_wake
FROM devicewake.device_commands c JOIN devicewake.devices USING (device_id)
WHERE device_mac = 'TEST-NO-NEXT-WAKE';
-- the site's schedule when the device has none
UPDATE devicewake.devices SET site_id = (SELECT site_id FROM devicewake.sites WHERE name = 'Test Site'),
       wake_schedule_cron = NULL WHERE device_mac = 'TEST-NO-NEXT-WAKE';
SELECT devicewake.queue_image_retry(image_id) IS NOT NULL AS queued
FROM devicewake.device_images WHERE image_name = 'test-no-next-wake.jpg';
SELECT c.status, count(*),
       bool_and(c.scheduled_for = devicewake.fn_calculate_next_wake_time(now(), '0 * * * *', 'UTC') - interval '5 minutes') AS from_site_schedule
FROM devicewake.device_commands c JOIN devicewake.devices USING (device_id)
WHERE device_mac = 'TEST-NO-NEXT-WAKE' GROUP BY c.status ORDER BY c.status;
-- no next wake and no schedule anywhere: the device sleeps on devicewake.default_wake_schedule
-- (0 */3 * * *, UTC), so the retry is for that schedule's next slot
SELECT devicewake.queue_image_retry(image_id) IS NOT NULL AS queued
FROM devicewake.device_images WHERE image_name = 'test-no-schedule.jpg';
SELECT c.scheduled_for = devicewake.fn_calculate_next_wake_time(now(), '0 */3 * * *', 'UTC') - interval '5 minutes' AS before_default_slot,
       c.expires_at = devicewake.fn_calculate_next_wake_time(now(), '0 */3 * * *', 'UTC') + interval '1 hour' AS hour_after_it,
       c.command_payload -> 'missing_chunks' AS missing_chunks
FROM devicewake.device_commands c JOIN devicewake.devices USING (device_id)
WHERE device_mac = 'TEST-NO-SCHEDULE';

-- ---------------------------------------------------------------- command expiry
INSERT INTO devicewake.device_commands (device_id, command_type, status, expires_at, claimed_at, issued_at)
SELECT device_id, t.type, t.status, now() - interval '1 second', t.claimed, now() - interval '2 days'
FROM devicewake.devices,
     (VALUES ('ping', 'pending', NULL::timestamptz), ('reboot', 'sent', NULL), ('capture_image', 'pending', now()),
             ('update_config', 'acknowledged', NULL)) AS t(type, status, claimed)
WHERE device_mac = 'TEST-FUTURE-WAKE';
-- a wake conversation's message, once sent, is done (cameras do not acknowledge them): the sweep
-- leaves it sent; one never sent expires like any other
INSERT INTO devicewake.device_commands (device_id, command_type, status, expires_at, issued_at, session_id)
SELECT device_id, t.type, t.status, now() - interval '1 second', now() - interval '2 days', gen_random_uuid()
FROM devicewake.devices, (VALUES ('ack_ok', 'sent'), ('sleep', 'pending')) AS t(type, status)
WHERE device_mac = 'TEST-FUTURE-WAKE';
SELECT command_type, state FROM devicewake.command_queue c WHERE device_mac = 'TEST-FUTURE-WAKE' ORDER BY command_type;
SELECT count(*) AS timed_out FROM devicewake.timeout_stale_images();
SELECT command_type, status, claimed_at IS NULL AS unclaimed, error_message
FROM devicewake.device_commands JOIN devicewake.devices USING (device_id)
WHERE device_mac = 'TEST-FUTURE-WAKE' ORDER BY command_type;

-- ---------------------------------------------------------------- errors
SELECT pg_temp.error_of('SELECT devicewake.queue_image_retry(NULL)');
SELECT pg_temp.error_of($$SELECT devicewake.queue_image_retry('00000000-0000-0000-0000-000000000000')$$);
SELECT regexp_replace(pg_temp.error_of($$SELECT devicewake.queue_image_retry(image_id) FROM devicewake.device_images
                          WHERE image_name = 'test-complete.jpg'$$), '[0-9a-f-]{36}', '<id>') AS error_of;
SELECT pg_temp.error_of('SELECT devicewake.retry_failed_images(NULL)');
SELECT pg_temp.error_of($$SELECT devicewake.retry_failed_images('00000000-0000-0000-0000-000000000001')$$);
-- pg_cron is not installed in this database
SELECT pg_temp.error_of('SELECT devicewake.schedule_timeout_monitor()');
SELECT pg_temp.error_of('SELECT devicewake.schedule_timeout_monitor(NULL)');
SELECT devicewake.unschedule_timeout_monitor() AS removed;
\set VERBOSITY default
SELECT devicewake.schedule_timeout_monitor('* * * * *');
