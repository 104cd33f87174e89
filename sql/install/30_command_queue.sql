-- The command queue's wake-up path (docs: src/pg/README.md, "Waking the worker"): enqueueing a
-- command (an insert, or an update that leaves it pending and unclaimed) or opening a wake session
-- (with dispatch_policy = on_wake, the device's held commands become deliverable) asks for the
-- worker to be woken when the transaction commits: a transaction callback sets the worker's latch
-- through shared memory. Nothing is sent on a connection (any pg_hba.conf works) and no NOTIFY is
-- on the commit path (a two-phase commit, as Citus uses, refuses PREPARE after a NOTIFY).

CREATE FUNCTION devicewake._wake_worker_at_commit() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'devicewake_wake_worker_trigger';
COMMENT ON FUNCTION devicewake._wake_worker_at_commit() IS
    'trigger: wake the MQTT worker when this transaction commits (sets its latch; no NOTIFY)';
REVOKE ALL ON FUNCTION devicewake._wake_worker_at_commit() FROM PUBLIC;

-- Inserts of pending commands. A row trigger, not a statement trigger: a statement trigger also
-- fires for an INSERT that inserted nothing (the worker's own once-a-second request for missing
-- chunks, usually), which woke the worker for an empty scan every second and held the next real
-- command back by the empty-scan gap (it showed as the p99 of bench/dispatch.sh). The WHEN clause
-- is checked without calling the function, and the function only sets a flag.
CREATE TRIGGER device_commands_inserted
    AFTER INSERT ON devicewake.device_commands
    FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION devicewake._wake_worker_at_commit();

-- Any update that leaves a command pending and unclaimed: made pending again, due time moved,
-- or just touched (priority, payload, expiry) while the worker's claim skipped the locked row.
-- The worker's own updates (claim, release, sent, failed attempt) all have a claim on one side,
-- so the WHEN clause, checked without calling the function, keeps them quiet.
CREATE TRIGGER device_commands_enqueued
    AFTER UPDATE ON devicewake.device_commands
    FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.claimed_at IS NULL AND OLD.claimed_at IS NULL)
    EXECUTE FUNCTION devicewake._wake_worker_at_commit();

-- A wake session opened (a HELLO, or an insert by hand): under on_wake, the device's held
-- commands may go out now.
CREATE TRIGGER device_wake_sessions_opened
    AFTER INSERT ON devicewake.device_wake_sessions
    FOR EACH ROW WHEN (NEW.status = 'in_progress') EXECUTE FUNCTION devicewake._wake_worker_at_commit();

-- the worker's timer: earliest future scheduled_for and earliest expires_at of a pending,
-- unclaimed command (so the timer's cost does not grow with delivered history). A claimed row
-- leaves both, and a command without scheduled_for never enters the first: the claim and the
-- PUBACK rewrite every row they touch, and each index a row version enters is a write.
CREATE INDEX device_commands_scheduled_idx
    ON devicewake.device_commands (scheduled_for)
    WHERE status = 'pending' AND claimed_at IS NULL AND scheduled_for IS NOT NULL;
CREATE INDEX device_commands_pending_expiry_idx
    ON devicewake.device_commands (expires_at) WHERE status = 'pending' AND claimed_at IS NULL;
