-- #15: the worker is woken at commit through its latch, not by NOTIFY on a loopback LISTEN
-- connection (sql/install/30_command_queue.sql). worker_status() gains two counters at the end.

DROP TRIGGER device_commands_inserted ON devicewake.device_commands;
DROP TRIGGER device_commands_enqueued ON devicewake.device_commands;
DROP FUNCTION devicewake._notify_commands_inserted();
DROP FUNCTION devicewake._notify_command_queue();

CREATE FUNCTION devicewake._wake_worker_at_commit() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'devicewake_wake_worker_trigger';
COMMENT ON FUNCTION devicewake._wake_worker_at_commit() IS
    'trigger: wake the MQTT worker when this transaction commits (sets its latch; no NOTIFY)';
REVOKE ALL ON FUNCTION devicewake._wake_worker_at_commit() FROM PUBLIC;

CREATE TRIGGER device_commands_inserted
    AFTER INSERT ON devicewake.device_commands
    FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION devicewake._wake_worker_at_commit();
CREATE TRIGGER device_commands_enqueued
    AFTER UPDATE ON devicewake.device_commands
    FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.claimed_at IS NULL AND OLD.claimed_at IS NULL)
    EXECUTE FUNCTION devicewake._wake_worker_at_commit();
CREATE TRIGGER device_wake_sessions_opened
    AFTER INSERT ON devicewake.device_wake_sessions
    FOR EACH ROW WHEN (NEW.status = 'in_progress') EXECUTE FUNCTION devicewake._wake_worker_at_commit();

-- worker_status() gains the two counters in 15_worker_status_standby.sql, which redefines it.
