-- Stuck uploads heal themselves (DESIGN §4, docs/retries.md): the timeout sweep, image retries,
-- the "Retry all failed images" button, and the sweep's pg_cron schedule. Native functions.

CREATE FUNCTION devicewake.timeout_stale_images()
    RETURNS TABLE (device_id uuid, image_id uuid, image_name text, retry_count integer,
                   command_id uuid, alert_id uuid)
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'devicewake_timeout_stale_images';
COMMENT ON FUNCTION devicewake.timeout_stale_images() IS
    'fails images still receiving when their device''s next wake has come, queues retries, raises alerts, expires old commands';

CREATE FUNCTION devicewake.queue_image_retry(p_image_id uuid) RETURNS uuid
    LANGUAGE c VOLATILE CALLED ON NULL INPUT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'devicewake_queue_image_retry';
COMMENT ON FUNCTION devicewake.queue_image_retry(uuid) IS
    'queues a retry_image command (priority 8) for the device''s next wake, replacing a pending one';

CREATE FUNCTION devicewake.retry_failed_images(p_device_id uuid) RETURNS integer
    LANGUAGE c VOLATILE CALLED ON NULL INPUT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'devicewake_retry_failed_images';
COMMENT ON FUNCTION devicewake.retry_failed_images(uuid) IS
    'resets retry_count of the device''s failed images to 0 and queues a retry for each';

CREATE FUNCTION devicewake.schedule_timeout_monitor(p_schedule text DEFAULT '*/5 * * * *')
    RETURNS bigint
    LANGUAGE c VOLATILE CALLED ON NULL INPUT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'devicewake_schedule_timeout_monitor';
COMMENT ON FUNCTION devicewake.schedule_timeout_monitor(text) IS
    'runs timeout_stale_images() as pg_cron job devicewake_timeout_monitor (re-schedules if present)';

CREATE FUNCTION devicewake.unschedule_timeout_monitor() RETURNS boolean
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'devicewake_unschedule_timeout_monitor';

REVOKE ALL ON FUNCTION devicewake.timeout_stale_images(), devicewake.queue_image_retry(uuid),
    devicewake.retry_failed_images(uuid), devicewake.schedule_timeout_monitor(text),
    devicewake.unschedule_timeout_monitor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.queue_image_retry(uuid), devicewake.retry_failed_images(uuid)
    TO devicewake_operator;
GRANT EXECUTE ON FUNCTION devicewake.timeout_stale_images(), devicewake.schedule_timeout_monitor(text),
    devicewake.unschedule_timeout_monitor() TO devicewake_admin;
