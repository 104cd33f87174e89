-- Issue 18: the worker's hot path, as sql/install has it: the 1.0 functions it replaces (CREATE OR
-- REPLACE keeps their privileges) and the one it adds. Helpers that were SQL functions with a SET
-- clause (planned again at every call) become SQL-standard bodies, inlined by the planner, or
-- PL/pgSQL, whose plans are kept. Functions an earlier 1.1 part creates or replaces
-- (_setting_bytes, _ingest_chunks, _record_hello, _device_schedule) carry their final text there.

CREATE OR REPLACE FUNCTION devicewake._default_wake_schedule() RETURNS text
    LANGUAGE sql STABLE
    RETURN coalesce(nullif(pg_catalog.current_setting('devicewake.default_wake_schedule', true), ''), '0 */3 * * *');

CREATE OR REPLACE FUNCTION devicewake._session_idle_timeout() RETURNS interval
    LANGUAGE sql STABLE
    RETURN coalesce(nullif(pg_catalog.current_setting('devicewake.session_idle_timeout', true), ''), '2min')::interval;

CREATE OR REPLACE FUNCTION devicewake._close_wake_sessions(p_session_ids uuid[], p_told_to_sleep boolean)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_count integer;
    -- (a constant in the CASE below: Citus evaluates no stable function in a CASE of a statement
    -- it distributes)
    v_now timestamptz := pg_catalog.now();
BEGIN
    WITH ended AS (
        UPDATE devicewake.device_wake_sessions s
        SET status = CASE WHEN EXISTS (SELECT FROM devicewake.device_images i
                                       WHERE i.session_id = s.session_id AND i.device_id = s.device_id
                                         AND i.status IN ('receiving', 'failed'))
                          THEN 'timeout' ELSE 'completed' END,
            ended_at = CASE WHEN p_told_to_sleep THEN greatest(s.started_at, v_now)
                            ELSE devicewake._session_last_heard(s.started_at, d.last_seen_at) END
        FROM devicewake.devices d
        WHERE d.device_id = s.device_id AND s.session_id = ANY (p_session_ids)
          AND s.status = 'in_progress'
        RETURNING s.session_id, s.device_id),
    -- (joined on device_id too, which the session's commands share: on Citus a join of two
    -- distributed tables is on their distribution column)
    dropped AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled', error_message = 'the wake session ended before it was sent'
        FROM ended
        WHERE c.session_id = ended.session_id AND c.device_id = ended.device_id
          AND c.status = 'pending' AND c.claimed_at IS NULL)
    SELECT count(*)::integer INTO v_count FROM ended;
    RETURN v_count;
END
$$;

CREATE OR REPLACE FUNCTION devicewake._end_wake_sessions(p_device_ids uuid[]) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    -- (read first: a call whose argument reads one shard would be sent to that shard's node by
    -- Citus, where the function's own statements may not run)
    v_sessions uuid[] := ARRAY(SELECT s.session_id FROM devicewake.device_wake_sessions s
                               WHERE s.device_id = ANY (p_device_ids) AND s.status = 'in_progress');
BEGIN
    RETURN devicewake._close_wake_sessions(v_sessions, false);
END
$$;

CREATE OR REPLACE FUNCTION devicewake._end_idle_wake_sessions(p_idle interval) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN devicewake._close_wake_sessions(
        ARRAY(SELECT s.session_id
              FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id)
              WHERE s.status = 'in_progress'
                AND devicewake._session_last_heard(s.started_at, d.last_seen_at) < now() - p_idle),
        false);
END
$$;

CREATE OR REPLACE FUNCTION devicewake._ingest_repeats(p_macs text[], p_image_names text[])
    RETURNS SETOF bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    UPDATE devicewake.devices d SET last_seen_at = now()
    WHERE d.device_mac = ANY (p_macs) AND d.last_seen_at IS DISTINCT FROM now();
    RETURN QUERY
    SELECT r.ord FROM unnest(p_macs, p_image_names) WITH ORDINALITY AS r(mac, name, ord)
    LEFT JOIN devicewake.devices d ON d.device_mac = r.mac
    LEFT JOIN devicewake.device_images i ON i.device_id = d.device_id AND i.image_name = r.name
    WHERE i.status IS DISTINCT FROM 'receiving'
    ORDER BY r.ord;
END
$$;

REVOKE ALL ON FUNCTION devicewake._ingest_repeats(text[], text[]) FROM PUBLIC;
