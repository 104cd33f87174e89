-- #15: worker_status() says in words why the worker is or is not working, so a DBA reading it on
-- a hot standby sees 'standby: starts after promotion' rather than an empty row. The C function
-- keeps its symbol (devicewake_worker_status) under the internal name _worker_state; worker_status
-- becomes SQL over it with one more column, state. The texts are those of
-- sql/install/47_worker_status.sql. (worker_health's body names worker_status() and is unchanged.)
DROP FUNCTION devicewake.worker_status();
CREATE FUNCTION devicewake._worker_state(
    OUT pid integer, OUT connected boolean, OUT broker text, OUT since timestamptz,
    OUT published bigint, OUT delivered bigint, OUT acknowledged bigint, OUT failed bigint,
    OUT expired bigint, OUT republished bigint, OUT ingested bigint, OUT rejected bigint,
    OUT last_error text, OUT last_error_at timestamptz,
    OUT commit_wakeups bigint, OUT dispatch_scans bigint)
    LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'devicewake_worker_status';

CREATE FUNCTION devicewake.worker_status(
    OUT pid integer, OUT connected boolean, OUT broker text, OUT since timestamptz,
    OUT published bigint, OUT delivered bigint, OUT acknowledged bigint, OUT failed bigint,
    OUT expired bigint, OUT republished bigint, OUT ingested bigint, OUT rejected bigint,
    OUT last_error text, OUT last_error_at timestamptz,
    OUT commit_wakeups bigint, OUT dispatch_scans bigint, OUT state text)
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
                ELSE 'not running' END
    FROM devicewake._worker_state() w
$$;
COMMENT ON FUNCTION devicewake.worker_status() IS
    'the MQTT worker from shared memory: connection, broker, counters since start, last error, wake-ups by commits and claim scans, and its state in words';
REVOKE ALL ON FUNCTION devicewake._worker_state(), devicewake.worker_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.worker_status() TO devicewake_admin;
