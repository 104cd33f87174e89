-- What a DBA reads about the background worker (docs/design.md §7): worker_status() from shared
-- memory for admins, worker_health() for viewers. After the views, before 50_security.sql.

CREATE FUNCTION devicewake.worker_status(
    OUT pid integer, OUT connected boolean, OUT broker text, OUT since timestamptz,
    OUT published bigint, OUT delivered bigint, OUT acknowledged bigint, OUT failed bigint,
    OUT expired bigint, OUT republished bigint, OUT ingested bigint, OUT rejected bigint,
    OUT last_error text, OUT last_error_at timestamptz)
    LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'devicewake_worker_status';
COMMENT ON FUNCTION devicewake.worker_status() IS
    'the MQTT worker from shared memory: connection, broker, counters since start, last error';
-- Admins only: last_error may name superuser-only settings (the password file's path) and the
-- counters are fleet-wide, across companies.
REVOKE ALL ON FUNCTION devicewake.worker_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.worker_status() TO devicewake_admin;

-- What any viewer may know of the worker: whether it is connected, since when, and whether it
-- has reported an error (not which: see worker_status() as an admin).
CREATE FUNCTION devicewake.worker_health(OUT connected boolean, OUT since timestamptz,
                                         OUT has_error boolean, OUT last_error_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT w.connected, w.since, w.last_error IS NOT NULL, w.last_error_at
    FROM devicewake.worker_status() w
$$;
COMMENT ON FUNCTION devicewake.worker_health() IS
    'the MQTT worker for viewers: connected, since, whether an error was reported (no text, no counters)';
REVOKE ALL ON FUNCTION devicewake.worker_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.worker_health() TO devicewake_viewer;
