-- Stuck uploads heal themselves (docs/design.md §4, docs/retries.md): the retry rules and the
-- timeout sweep's pg_cron schedule (the retries asked for by hand are 38_manual_retries.sql, the
-- sweep is 38_timeout_sweep.sql). The pg_cron registration is native.

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
    devicewake._retry_expires_at(timestamptz), devicewake.schedule_timeout_monitor(text),
    devicewake.unschedule_timeout_monitor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.schedule_timeout_monitor(text),
    devicewake.unschedule_timeout_monitor() TO devicewake_admin;
