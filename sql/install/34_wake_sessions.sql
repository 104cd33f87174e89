-- Wake sessions (DESIGN §2): one row per wake, from the HELLO to the camera's sleep. The protocol
-- has no sleep message, so a wake ends at the device's next HELLO or, before that, once the
-- device has said nothing for devicewake.session_idle_timeout (the worker checks every second).
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

-- Ends the open sessions of the devices p_device_ids. Returns how many ended.
CREATE FUNCTION devicewake._end_wake_sessions(p_device_ids uuid[]) RETURNS integer
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
    WITH ended AS (
        UPDATE devicewake.device_wake_sessions s
        SET status = CASE WHEN EXISTS (SELECT FROM devicewake.device_images i
                                       WHERE i.session_id = s.session_id
                                         AND i.status IN ('receiving', 'failed'))
                          THEN 'timeout' ELSE 'completed' END,
            ended_at = devicewake._session_last_heard(s.started_at, d.last_seen_at)
        FROM devicewake.devices d
        WHERE d.device_id = s.device_id AND s.device_id = ANY (p_device_ids)
          AND s.status = 'in_progress'
        RETURNING 1)
    SELECT count(*)::integer FROM ended
$$;

-- Ends the open sessions of the devices silent for longer than p_idle: those cameras are asleep.
-- Returns how many ended.
CREATE FUNCTION devicewake._end_idle_wake_sessions(p_idle interval) RETURNS integer
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
    SELECT devicewake._end_wake_sessions(array_agg(s.device_id))
    FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id)
    WHERE s.status = 'in_progress'
      AND devicewake._session_last_heard(s.started_at, d.last_seen_at) < now() - p_idle
$$;
