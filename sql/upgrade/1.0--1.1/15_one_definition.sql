-- #15: one SQL function for each rule that was written in two or three places:
-- _device_schedule (which schedule a device sleeps on, in which zone: _wake_plan and the HELLO's
-- history event), and _missing_chunks (the quiet-period request, the sweep's retries and
-- queue_image_retry), which the callers here use and 20_2_manual_retries.sql creates (the sweep,
-- 21_2_timeout_sweep.sql). The texts are those of sql/install/32_wake_plan.sql and 37_ingest.sql.
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

REVOKE ALL ON FUNCTION devicewake._device_schedule(uuid) FROM PUBLIC;
