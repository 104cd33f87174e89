-- The command queue's wake-up path (docs/design.md §6, §7): enqueueing a command (an insert, or any
-- update that leaves it pending and unclaimed) notifies devicewake_commands in the same
-- transaction, so the worker wakes at commit. Applications may LISTEN on the channel too.

CREATE FUNCTION devicewake._notify_command_queue() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    PERFORM pg_notify('devicewake_commands', '');
    RETURN NULL;
END
$$;

-- Inserts: one notification per statement that inserted a pending command (a sweep queuing
-- 30,000 retries notifies once, not 30,000 times).
CREATE FUNCTION devicewake._notify_commands_inserted() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF EXISTS (SELECT FROM inserted WHERE status = 'pending') THEN
        PERFORM pg_notify('devicewake_commands', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER device_commands_inserted
    AFTER INSERT ON devicewake.device_commands
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION devicewake._notify_commands_inserted();

-- Any update that leaves a command pending and unclaimed: made pending again, due time moved,
-- or just touched (priority, payload, expiry) while the worker's claim skipped the locked row.
-- The worker's own updates (claim, release, sent, failed attempt) all have a claim on one side,
-- so the WHEN clause, checked without calling the function, keeps them quiet.
CREATE TRIGGER device_commands_enqueued
    AFTER UPDATE ON devicewake.device_commands
    FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.claimed_at IS NULL AND OLD.claimed_at IS NULL)
    EXECUTE FUNCTION devicewake._notify_command_queue();

-- the worker's timer: earliest future scheduled_for and earliest expires_at of a pending command
-- (pending rows only, so the timer's cost does not grow with delivered history)
CREATE INDEX device_commands_scheduled_idx
    ON devicewake.device_commands (scheduled_for) WHERE status = 'pending';
CREATE INDEX device_commands_pending_expiry_idx
    ON devicewake.device_commands (expires_at) WHERE status = 'pending';
