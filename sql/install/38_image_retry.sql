-- Stuck uploads heal themselves (docs/design.md §4, docs/retries.md): the retry rules, the timeout
-- sweep and its pg_cron schedule (the retries asked for by hand are 38_manual_retries.sql). The
-- sweep is SQL here, where EXPLAIN can read it; the pg_cron registration is native.

-- ---------------------------------------------------------------- the rules (docs/retries.md)
-- Each rule is written once, as an SQL-standard body: it is parsed when the extension is created,
-- so every name in it is bound then (pg_catalog first) and no caller's search_path can change
-- it, and the planner inlines it into the statements below. r is the image's retry_count before
-- this timeout; with max_retries = 3, timeouts 1, 2 and 3 queue a retry and timeout 3 (the last
-- retry) and every later one raise the alert; max_retries = 0 never retries and alerts at once.
CREATE FUNCTION devicewake._retry_should_queue(p_retry_count_before integer, p_max_retries integer)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN p_retry_count_before < p_max_retries;

CREATE FUNCTION devicewake._retry_should_alert(p_retry_count_before integer, p_max_retries integer)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN p_retry_count_before >= p_max_retries - 1;

-- When a retry command for a device whose next wake is p_wake (NULL: it has none) is deliverable.
-- A wake whose one-hour window is still open gives [wake - 5 min, wake + 1 h]; no wake, or one
-- whose window has closed (the device is long overdue), gives "due now (NULL), expires in 24 h",
-- so the retry waits for whenever the device next says HELLO.
CREATE FUNCTION devicewake._retry_scheduled_for(p_wake timestamptz) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN p_wake + interval '60 minutes' > now() THEN p_wake - interval '5 minutes' END;

CREATE FUNCTION devicewake._retry_expires_at(p_wake timestamptz) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN p_wake + interval '60 minutes' > now() THEN p_wake + interval '60 minutes'
                ELSE now() + interval '24 hours' END;

-- ---------------------------------------------------------------- the sweep
-- One statement. The uploads in flight (partial index device_images_receiving_idx) drive the
-- search, one primary-key probe of devices each: the cost follows the number of uploads in
-- flight, never the fleet's size or how many devices are overdue (OFFSET 0 keeps the planner from
-- flattening the lateral probes into joins it could turn around). Images are locked with SKIP
-- LOCKED and re-checked in the UPDATE, so overlapping sweeps fail each image exactly once (see
-- docs/retries.md); the expiry step skips locked commands too, so two sweeps never wait on each
-- other. Rows ordered by device and image name. Never raises by itself.
CREATE FUNCTION devicewake.timeout_stale_images()
    RETURNS TABLE (device_id uuid, image_id uuid, image_name text, retry_count integer,
                   command_id uuid, alert_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH stale AS (
        SELECT i.image_id, w.next_wake_at
        FROM devicewake.device_images i
        CROSS JOIN LATERAL (SELECT d.next_wake_at FROM devicewake.devices d
                            WHERE d.device_id = i.device_id AND d.next_wake_at <= pg_catalog.now()
                            OFFSET 0) w
        WHERE i.status = 'receiving'
        FOR UPDATE OF i SKIP LOCKED),
    failed AS (
        UPDATE devicewake.device_images i
        SET status = 'failed', failed_at = pg_catalog.now(),
            timeout_reason = 'Transmission not completed before next wake window',
            retry_count = i.retry_count + 1,
            -- no retry left: its chunks are purged below (#14 item 3)
            received_chunks = CASE WHEN devicewake._retry_should_queue(i.retry_count, i.max_retries)
                                   THEN i.received_chunks ELSE 0 END,
            received_bytes = CASE WHEN devicewake._retry_should_queue(i.retry_count, i.max_retries)
                                  THEN i.received_bytes ELSE 0 END
        FROM stale s WHERE i.image_id = s.image_id AND i.status = 'receiving'
        RETURNING i.image_id, i.device_id, i.session_id, i.image_name, i.total_chunks,
                  i.retry_count - 1 AS retry_count_before, i.retry_count, i.max_retries,
                  s.next_wake_at AS wake,
                  -- the retry command's id, when this failure gets one
                  CASE WHEN devicewake._retry_should_queue(i.retry_count - 1, i.max_retries)
                       THEN pg_catalog.gen_random_uuid() END AS command_id),
    retry AS (
        SELECT f.image_id, f.device_id, f.image_name, f.total_chunks, f.wake, f.command_id,
               pg_catalog.to_jsonb(devicewake._missing_chunks(f.image_id, f.device_id, f.total_chunks)) AS missing_chunks
        FROM failed f WHERE f.command_id IS NOT NULL),
    -- a retry replaces, never duplicates: the image's pending retries not yet claimed and not past
    -- expiry are cancelled (the same steps as devicewake._queue_image_retries)
    superseded AS (
        SELECT x.command_id
        FROM retry r CROSS JOIN LATERAL
             (SELECT c.command_id FROM devicewake.device_commands c
              WHERE c.device_id = r.device_id AND c.status = 'pending'
                AND c.command_type = 'retry_image' AND c.claimed_at IS NULL
                AND c.expires_at > pg_catalog.now()
                AND c.command_payload ->> 'image_id' = r.image_id::text OFFSET 0) x),
    cancelled AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled', error_message = 'superseded by a newer retry of the same image'
        FROM superseded k WHERE c.command_id = k.command_id
          AND c.status = 'pending' AND c.claimed_at IS NULL AND c.expires_at > pg_catalog.now()
        RETURNING c.command_id),
    queued AS (
        INSERT INTO devicewake.device_commands
            (command_id, device_id, command_type, command_payload, priority, scheduled_for,
             expires_at, created_by_user_id)
        SELECT r.command_id, r.device_id, 'retry_image',
               pg_catalog.jsonb_build_object('image_id', r.image_id, 'image_name', r.image_name,
                   'total_chunks', r.total_chunks, 'missing_chunks', r.missing_chunks),
               8, devicewake._retry_scheduled_for(r.wake), devicewake._retry_expires_at(r.wake),
               NULL::uuid
        FROM retry r
        RETURNING command_id, device_id),
    alerted AS (
        INSERT INTO devicewake.device_alerts
            (device_id, image_id, alert_type, severity, message, metadata, attempt)
        SELECT f.device_id, f.image_id, 'image_transmission_failed', 'critical',
               pg_catalog.format('Image %s failed to transmit (attempt %s of %s): %s', f.image_name,
                   f.retry_count, f.max_retries,
                   CASE WHEN devicewake._retry_should_queue(f.retry_count_before, f.max_retries)
                        THEN 'last retry queued' ELSE 'no retries left' END),
               pg_catalog.jsonb_build_object('image_name', f.image_name, 'retry_count', f.retry_count,
                   'max_retries', f.max_retries,
                   'reason', 'Transmission not completed before next wake window',
                   'retry_queued', devicewake._retry_should_queue(f.retry_count_before, f.max_retries)),
               f.retry_count
        FROM failed f WHERE devicewake._retry_should_alert(f.retry_count_before, f.max_retries)
        ON CONFLICT (image_id, alert_type, attempt, device_id) WHERE resolved_at IS NULL DO NOTHING
        RETURNING alert_id, image_id),
    -- retries exhausted: the chunks of a failed image are not kept forever (#14 item 3)
    purged AS (
        DELETE FROM devicewake.image_chunks ch USING failed f
        WHERE ch.image_id = f.image_id AND f.command_id IS NULL),
    history AS (
        INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
        SELECT f.device_id, f.session_id, 'image_timeout',
               pg_catalog.jsonb_build_object('image_id', f.image_id, 'image_name', f.image_name,
                   'retry_count', f.retry_count, 'max_retries', f.max_retries,
                   'reason', 'Transmission not completed before next wake window',
                   'retry_command_id', f.command_id, 'chunks_purged', f.command_id IS NULL)
        FROM failed f),
    -- rejected messages older than devicewake.rejected_retention (0: kept), oldest first and at
    -- most 10,000 a run, so one sweep stays short however many piled up (#14 item 4)
    pruned AS (
        DELETE FROM devicewake.rejected_messages x
        WHERE x.rejected_id IN (
            SELECT y.rejected_id FROM devicewake.rejected_messages y
            WHERE devicewake._setting_interval('devicewake.rejected_retention', interval '7 days') > interval '0'
              AND y.received_at < pg_catalog.now()
                                  - devicewake._setting_interval('devicewake.rejected_retention', interval '7 days')
            ORDER BY y.received_at LIMIT 10000)),
    -- (a wake conversation's message, once sent, is done: cameras do not acknowledge them)
    expiring AS (
        SELECT c.command_id FROM devicewake.device_commands c
        WHERE (c.status = 'pending' OR (c.status = 'sent' AND c.session_id IS NULL))
          AND c.expires_at <= pg_catalog.now()
        FOR UPDATE OF c SKIP LOCKED),
    expired AS (
        UPDATE devicewake.device_commands c
        SET status = 'expired', claimed_at = NULL,
            error_message = CASE c.status WHEN 'sent' THEN 'expired before the device acknowledged it'
                                          ELSE 'expired before delivery' END || ' (expires_at passed)'
        FROM expiring e WHERE c.command_id = e.command_id AND c.status IN ('pending', 'sent')
          AND c.expires_at <= pg_catalog.now())
    SELECT f.device_id, f.image_id, f.image_name, f.retry_count, f.command_id, a.alert_id
    FROM failed f LEFT JOIN alerted a ON a.image_id = f.image_id
    ORDER BY f.device_id, f.image_name;
END
$$;
COMMENT ON FUNCTION devicewake.timeout_stale_images() IS
    'fails images still receiving when their device''s next wake has come, queues retries, raises alerts, expires old commands';

-- ---------------------------------------------------------------- the schedule (pg_cron)
CREATE FUNCTION devicewake.schedule_timeout_monitor(p_schedule text DEFAULT '*/5 * * * *')
    RETURNS bigint
    LANGUAGE c VOLATILE CALLED ON NULL INPUT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'devicewake_schedule_timeout_monitor';
COMMENT ON FUNCTION devicewake.schedule_timeout_monitor(text) IS
    'runs timeout_stale_images() as pg_cron job devicewake_timeout_monitor (re-schedules if present)';

CREATE FUNCTION devicewake.unschedule_timeout_monitor() RETURNS boolean
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'devicewake_unschedule_timeout_monitor';

REVOKE ALL ON FUNCTION devicewake._retry_should_queue(integer, integer),
    devicewake._retry_should_alert(integer, integer), devicewake._retry_scheduled_for(timestamptz),
    devicewake._retry_expires_at(timestamptz),
    devicewake.timeout_stale_images(), devicewake.schedule_timeout_monitor(text),
    devicewake.unschedule_timeout_monitor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.timeout_stale_images(), devicewake.schedule_timeout_monitor(text),
    devicewake.unschedule_timeout_monitor() TO devicewake_admin;
