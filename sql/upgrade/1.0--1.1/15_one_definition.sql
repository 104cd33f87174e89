-- #15: one SQL function for each rule that was written in two or three places:
-- _device_schedule (which schedule a device sleeps on, in which zone: _wake_plan and the HELLO's
-- history event), and _missing_chunks (the quiet-period request, the sweep's retries and
-- queue_image_retry), which the callers here use and 20_2_manual_retries.sql creates. The texts
-- are those of sql/install/32_wake_plan.sql, 37_ingest.sql and 38_image_retry.sql.
-- (PL/pgSQL: Citus cannot plan the query of a distributed table that an inlined SQL function
-- with a parameter brings into a statement)
CREATE FUNCTION devicewake._device_schedule(p_device_id uuid, OUT cron text, OUT timezone text)
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN QUERY
    SELECT coalesce(d.wake_schedule_cron, s.wake_schedule_cron, devicewake._default_wake_schedule()),
           CASE WHEN coalesce(d.wake_schedule_cron, s.wake_schedule_cron) IS NULL THEN 'UTC'
                ELSE coalesce(d.timezone, s.timezone, 'UTC') END
    FROM devicewake.devices d LEFT JOIN devicewake.sites s ON s.site_id = d.site_id
    WHERE d.device_id = p_device_id;
END
$$;

CREATE OR REPLACE FUNCTION devicewake._wake_plan(p_device_id uuid, p_from timestamptz,
                                      OUT wake_at timestamptz, OUT relay boolean)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_cron text;
    v_tz text;
    v_slot timestamptz;
    v_manual timestamptz;
    v_target timestamptz;
BEGIN
    -- (the schedule first, on its own: a function called in a statement over devices would be
    -- sent by Citus to the device's shard, where its own statement may not run)
    SELECT w.cron, w.timezone INTO v_cron, v_tz FROM devicewake._device_schedule(p_device_id) w;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT CASE WHEN d.manual_wake_override AND d.manual_wake_at > p_from THEN d.manual_wake_at END
    INTO v_manual
    FROM devicewake.devices d WHERE d.device_id = p_device_id;
    v_slot := devicewake.fn_calculate_next_wake_time(p_from, v_cron, v_tz);
    v_target := least(v_slot, v_manual);
    IF v_target IS NOT NULL AND v_target <= p_from + interval '24 hours' THEN
        wake_at := v_target;
        relay := false;
    ELSE
        -- a whole minute (the camera is told minutes), and never the current time of day
        wake_at := date_trunc('minute', p_from + interval '23 hours');
        relay := true;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION devicewake._request_missing_chunks(p_quiet interval, p_max_requests integer)
    RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_count integer;
BEGIN
    WITH quiet AS (
        SELECT i.image_id, i.device_id, i.session_id, i.image_name, i.total_chunks
        FROM devicewake.device_images i
        WHERE i.status = 'receiving' AND i.last_chunk_at IS NOT NULL
          AND greatest(i.last_chunk_at, i.last_resend_at) < now() - p_quiet
          AND i.received_chunks < i.total_chunks AND i.resend_requests < p_max_requests
          AND EXISTS (SELECT FROM devicewake.device_wake_sessions s
                      WHERE s.device_id = i.device_id AND s.status = 'in_progress')
        FOR UPDATE OF i SKIP LOCKED),
    missing AS (
        SELECT q.image_id, q.device_id, q.session_id, q.image_name,
               devicewake._missing_chunks(q.image_id, q.device_id, q.total_chunks) AS chunks
        FROM quiet q),
    bumped AS (
        UPDATE devicewake.device_images i
        SET resend_requests = i.resend_requests + 1, last_resend_at = now()
        FROM missing m WHERE i.image_id = m.image_id),
    sessions AS (
        UPDATE devicewake.device_wake_sessions s SET chunks_missing = m.chunks
        FROM missing m WHERE s.device_id = m.device_id AND s.status = 'in_progress'),
    queued AS (
        INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, priority,
                                                expires_at, session_id)
        SELECT m.device_id, 'resend_chunks',
               jsonb_build_object('image_name', m.image_name, 'missing_chunks', to_jsonb(m.chunks[1:512])),
               10, now() + devicewake._session_idle_timeout(), s.session_id
        FROM missing m
        JOIN devicewake.device_wake_sessions s ON s.device_id = m.device_id AND s.status = 'in_progress'
        WHERE m.chunks <> '{}'
        RETURNING 1)
    SELECT count(*) INTO v_count FROM queued;
    RETURN v_count;
END
$$;

CREATE OR REPLACE FUNCTION devicewake.timeout_stale_images()
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

REVOKE ALL ON FUNCTION devicewake._device_schedule(uuid) FROM PUBLIC;
