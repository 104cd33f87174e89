-- The search_path contract (docs/design.md §7, §9, docs/security.md "Superuser code and search_path"):
-- superusers (the worker, pg_cron) run these functions, so no SQL or PL/pgSQL function of the
-- schema may resolve a name through the caller's search_path. Each either pins it to pg_catalog
-- (SET search_path) or has an SQL-standard body, whose names are bound at CREATE EXTENSION.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(3);

SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
    WHERE p.pronamespace = 'devicewake'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
      AND p.prosqlbody IS NULL
      AND NOT coalesce(p.proconfig && ARRAY['search_path=pg_catalog, pg_temp', 'search_path=pg_catalog'], false)$$,
    'every SQL and PL/pgSQL function pins search_path to pg_catalog or has an SQL-standard body');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p, unnest(p.proconfig) c
    WHERE p.pronamespace = 'devicewake'::regnamespace AND c LIKE 'search_path=%'
      AND c NOT IN ('search_path=pg_catalog, pg_temp', 'search_path=pg_catalog')$$,
    'no function puts another schema on its pinned search_path');
-- the rule functions the sweep uses are inlined, so they cost nothing per row
CREATE FUNCTION pg_temp.plan_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_line text;
    v_plan text := '';
BEGIN
    FOR v_line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || p_sql LOOP
        v_plan := v_plan || v_line || E'\n';
    END LOOP;
    RETURN v_plan;
END
$$;
SELECT doesnt_match(
    pg_temp.plan_of($$SELECT devicewake._retry_scheduled_for(d.next_wake_at), devicewake._retry_expires_at(d.next_wake_at),
                             devicewake._retry_should_queue(d.wifi_rssi, 3), devicewake._retry_should_alert(d.wifi_rssi, 3),
                             devicewake._session_last_heard(d.created_at, d.last_seen_at)
                      FROM devicewake.devices d$$),
    '_retry_|_session_last_heard', 'the rule functions are inlined into the statements that use them');

SELECT * FROM finish();
ROLLBACK;
