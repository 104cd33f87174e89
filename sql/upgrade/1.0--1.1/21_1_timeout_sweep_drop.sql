-- #17: the sweep runs device by device on Citus (FOR UPDATE across shards is refused there), in
-- the same statement as on one server, and prunes rejected messages in a statement of its own.
-- The 1.0 function is dropped here, and 21_2_timeout_sweep.sql (the install's 38_timeout_sweep.sql)
-- creates it with its final text, comment and grants. A pg_cron job names it in its command text,
-- which no dependency records, so the job keeps working.
DROP FUNCTION devicewake.timeout_stale_images();
