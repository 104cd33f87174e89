-- Wake sessions (docs/design.md §2, §8.1): one row per wake, from the HELLO to the camera's
-- sleep. A wake ends when the broker acknowledged the sleep signal the server sent it, or once
-- the device has said nothing for devicewake.session_idle_timeout (the worker checks every
-- second), or at the device's next HELLO after that.
-- A session ends at the device's last message: 'timeout' when an upload of it did not finish
-- (an image still arriving, which timeout_stale_images takes from there at the next wake time,
-- or already failed), 'completed' otherwise. Internal functions: run by the worker and by
-- record_device_hello.

-- The moment a session's device last spoke during it: its last message, or the session's start.
-- An SQL-standard body: bound when the extension is created (no caller's search_path reaches it),
-- and without a SET clause the planner still inlines it.
CREATE FUNCTION devicewake._session_last_heard(p_started_at timestamptz, p_last_seen_at timestamptz)
    RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN greatest(p_started_at, coalesce(p_last_seen_at, p_started_at));

-- devicewake.session_idle_timeout as an interval (2 minutes when the setting is not defined).
-- An SQL-standard body, inlined like _session_last_heard.
CREATE FUNCTION devicewake._session_idle_timeout() RETURNS interval
    LANGUAGE sql STABLE
    RETURN coalesce(nullif(pg_catalog.current_setting('devicewake.session_idle_timeout', true), ''), '2min')::interval;

-- Ends the open sessions p_session_ids: at the sleep signal (p_told_to_sleep, now()) or at the
-- device's last message. Commands the session's conversation queued and never sent die with it
-- (told later, a camera would act on a wake that is over). Returns how many ended.
-- PL/pgSQL, like the two below: it keeps its statements' plans for the session, where an SQL
-- function is planned again at every call (the worker calls these at every wake).
CREATE FUNCTION devicewake._close_wake_sessions(p_session_ids uuid[], p_told_to_sleep boolean)
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

-- Ends the open sessions of the devices p_device_ids. Returns how many ended.
CREATE FUNCTION devicewake._end_wake_sessions(p_device_ids uuid[]) RETURNS integer
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

-- Ends the open sessions of the devices silent for longer than p_idle: those cameras are asleep.
-- Returns how many ended.
CREATE FUNCTION devicewake._end_idle_wake_sessions(p_idle interval) RETURNS integer
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
