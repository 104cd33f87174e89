-- #17: devicewake.workers starts N workers, and worker_status() gives one row per worker (a set,
-- with the worker's index last), worker_health() one row for them all. A function's result type
-- cannot be changed in place: the three are dropped here and 17_2_workers.sql (the install's
-- 47_worker_status.sql) creates them with their final texts, comments and grants.
DROP FUNCTION devicewake.worker_health();
DROP FUNCTION devicewake.worker_status();
DROP FUNCTION devicewake._worker_state();
