-- What a DBA reads about the background workers (docs/design.md §7, §10): worker_status() from shared
-- memory for admins, worker_health() for viewers. After the views, before 50_security.sql.

-- The workers' shared memory as the C code reads it: one row per worker (devicewake.workers), pid
-- NULL when that worker does not run. Internal: worker_status() below is what a DBA reads.
CREATE FUNCTION devicewake._worker_state(
    OUT pid integer, OUT connected boolean, OUT broker text, OUT since timestamptz,
    OUT published bigint, OUT delivered bigint, OUT acknowledged bigint, OUT failed bigint,
    OUT expired bigint, OUT republished bigint, OUT ingested bigint, OUT rejected bigint,
    OUT last_error text, OUT last_error_at timestamptz,
    OUT commit_wakeups bigint, OUT dispatch_scans bigint, OUT worker integer)
    RETURNS SETOF record
    LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'devicewake_worker_status';

-- The workers as a DBA reads them, one row each (worker: its index, 0 to devicewake.workers - 1;
-- it serves the devices whose device_id hashes to it): _worker_state's row and, in words, why it
-- is or is not working: 'running: connected', 'running: not connected to the broker', 'standby:
-- starts after promotion' (on a hot standby the workers start when recovery ends:
-- docs/design.md §10), 'disabled (devicewake.enabled = off)', or 'not running'.
CREATE FUNCTION devicewake.worker_status(
    OUT pid integer, OUT connected boolean, OUT broker text, OUT since timestamptz,
    OUT published bigint, OUT delivered bigint, OUT acknowledged bigint, OUT failed bigint,
    OUT expired bigint, OUT republished bigint, OUT ingested bigint, OUT rejected bigint,
    OUT last_error text, OUT last_error_at timestamptz,
    OUT commit_wakeups bigint, OUT dispatch_scans bigint, OUT state text, OUT worker integer)
    RETURNS SETOF record
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT w.pid, w.connected, w.broker, w.since, w.published, w.delivered, w.acknowledged,
           w.failed, w.expired, w.republished, w.ingested, w.rejected, w.last_error, w.last_error_at,
           w.commit_wakeups, w.dispatch_scans,
           CASE WHEN w.pid IS NOT NULL AND w.connected THEN 'running: connected'
                WHEN w.pid IS NOT NULL THEN 'running: not connected to the broker'
                WHEN pg_catalog.pg_is_in_recovery() THEN 'standby: starts after promotion'
                WHEN pg_catalog.current_setting('devicewake.enabled', true) = 'off'
                    THEN 'disabled (devicewake.enabled = off)'
                ELSE 'not running' END,
           w.worker
    FROM devicewake._worker_state() w
    ORDER BY w.worker
$$;
COMMENT ON FUNCTION devicewake.worker_status() IS
    'the MQTT workers from shared memory, one row each: connection, broker, counters since start, last error, wake-ups by commits and claim scans, its state in words, and its index';
-- Admins only: last_error may name superuser-only settings (the password file's path) and the
-- counters are fleet-wide, across companies.
REVOKE ALL ON FUNCTION devicewake._worker_state(), devicewake.worker_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.worker_status() TO devicewake_admin;

-- What any viewer may know of the workers, as one row: whether all are connected, since when
-- (the latest change among them), and whether any has reported an error (not which: see
-- worker_status() as an admin) and when last.
CREATE FUNCTION devicewake.worker_health(OUT connected boolean, OUT since timestamptz,
                                         OUT has_error boolean, OUT last_error_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT pg_catalog.bool_and(w.connected), pg_catalog.max(w.since),
           pg_catalog.bool_or(w.last_error IS NOT NULL), pg_catalog.max(w.last_error_at)
    FROM devicewake.worker_status() w
$$;
COMMENT ON FUNCTION devicewake.worker_health() IS
    'the MQTT workers for viewers: all connected, since, whether an error was reported (no text, no counters)';
REVOKE ALL ON FUNCTION devicewake.worker_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.worker_health() TO devicewake_viewer;
