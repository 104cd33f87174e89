-- Issue 18: the timer's two partial indexes hold pending, unclaimed commands only (and the first
-- only those with a scheduled_for), as sql/install/30_command_queue.sql has them: a claim's and a
-- PUBACK's row versions no longer enter them.
DROP INDEX devicewake.device_commands_scheduled_idx;
DROP INDEX devicewake.device_commands_pending_expiry_idx;
CREATE INDEX device_commands_scheduled_idx
    ON devicewake.device_commands (scheduled_for)
    WHERE status = 'pending' AND claimed_at IS NULL AND scheduled_for IS NOT NULL;
CREATE INDEX device_commands_pending_expiry_idx
    ON devicewake.device_commands (expires_at) WHERE status = 'pending' AND claimed_at IS NULL;
