-- Security suite (#14 items 6, 8, 9), replayed on every make test: identity is bound to the role's
-- OID, JWT claims are believed only from a session that switched to a JWT role, and the access
-- check does the same work for another company's device as for a missing one.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(18);

-- Company A with user Ann (role dw_s_ann), company B with user Ben (no role: signs in with a JWT).
CREATE ROLE dw_s_ann NOLOGIN IN ROLE devicewake_operator;
CREATE ROLE dw_s_jwt NOLOGIN IN ROLE devicewake_operator, devicewake_jwt;
-- a role that logs in as itself and was (wrongly) granted the JWT role
CREATE ROLE dw_s_login LOGIN IN ROLE devicewake_operator, devicewake_jwt;
INSERT INTO devicewake.companies (company_id, name) VALUES
    ('5a000000-0000-4000-8000-000000000001', 'Sec A'),
    ('5b000000-0000-4000-8000-000000000001', 'Sec B');
INSERT INTO devicewake.users (user_id, role_name, display_name) VALUES
    ('5a000000-0000-4000-8000-0000000000a1', 'dw_s_ann', 'Ann'),
    ('5a000000-0000-4000-8000-0000000000a2', 'dw_s_login', 'Lou (logs in)'),
    ('5b000000-0000-4000-8000-0000000000b1', NULL, 'Ben (JWT)');
INSERT INTO devicewake.company_members VALUES
    ('5a000000-0000-4000-8000-000000000001', '5a000000-0000-4000-8000-0000000000a1'),
    ('5a000000-0000-4000-8000-000000000001', '5a000000-0000-4000-8000-0000000000a2'),
    ('5b000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-0000000000b1');
INSERT INTO devicewake.sites (site_id, name, company_id) VALUES
    ('5a000000-0000-4000-8000-00000000051a', 'Sec site A', '5a000000-0000-4000-8000-000000000001'),
    ('5b000000-0000-4000-8000-00000000051b', 'Sec site B', '5b000000-0000-4000-8000-000000000001');
INSERT INTO devicewake.devices (device_id, device_mac, site_id) VALUES
    ('5a000000-0000-4000-8000-0000000000da', 'TEST-SECID-A', '5a000000-0000-4000-8000-00000000051a'),
    ('5b000000-0000-4000-8000-0000000000db', 'TEST-SECID-B', '5b000000-0000-4000-8000-00000000051b');
INSERT INTO devicewake.device_images (image_id, device_id, image_name) VALUES
    ('5b000000-0000-4000-8000-0000000000eb', '5b000000-0000-4000-8000-0000000000db', 'b.jpg');
INSERT INTO devicewake.device_commands (command_id, device_id, command_type) VALUES
    ('5b000000-0000-4000-8000-0000000000cb', '5b000000-0000-4000-8000-0000000000db', 'ping');

-- ---------------------------------------------------------------- item 8: bound to the OID
-- (read through to_jsonb, so that on a version without the column each check fails on its own)
SELECT is((SELECT (to_jsonb(u) ->> 'role_oid')::oid FROM devicewake.users u WHERE role_name = 'dw_s_ann'),
          (SELECT oid FROM pg_roles WHERE rolname = 'dw_s_ann'),
          'a users row is bound to its role''s OID when written');
SET LOCAL ROLE dw_s_ann;
SELECT is(devicewake.current_user_id(), '5a000000-0000-4000-8000-0000000000a1', 'the role is its user');
RESET ROLE;
ALTER ROLE dw_s_ann RENAME TO dw_s_ann_renamed;
SET LOCAL ROLE dw_s_ann_renamed;
SELECT is(devicewake.current_user_id(), '5a000000-0000-4000-8000-0000000000a1',
          'a renamed role keeps its user (the OID is the identity, not the name)');
RESET ROLE;
ALTER ROLE dw_s_ann_renamed RENAME TO dw_s_ann;
DROP ROLE dw_s_ann;
CREATE ROLE dw_s_ann NOLOGIN IN ROLE devicewake_operator;
SET LOCAL ROLE dw_s_ann;
SELECT is(devicewake.current_user_id(), NULL,
          'a role dropped and created again under the same name is nobody');
SELECT is_empty($$SELECT * FROM devicewake.devices$$,
                'the re-created role sees none of the old role''s company''s devices');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('5a000000-0000-4000-8000-0000000000da', interval '1 hour')$$,
                 'P0002', 'device 5a000000-0000-4000-8000-0000000000da does not exist',
                 'the re-created role cannot act on the old role''s devices');
RESET ROLE;
SELECT throws_ok($$INSERT INTO devicewake.users (role_name) VALUES ('dw_s_no_such_role')$$,
                 '42704', 'role "dw_s_no_such_role" does not exist',
                 'a user cannot be mapped to a role that does not exist (it would bind to whoever creates it)');
DO $$ BEGIN
    UPDATE devicewake.users SET role_oid = 10 WHERE user_id = '5a000000-0000-4000-8000-0000000000a2';
EXCEPTION WHEN undefined_column THEN NULL;
END $$;
SELECT is((SELECT (to_jsonb(u) ->> 'role_oid')::oid FROM devicewake.users u
           WHERE user_id = '5a000000-0000-4000-8000-0000000000a2'),
          (SELECT oid FROM pg_roles WHERE rolname = 'dw_s_login'),
          'role_oid cannot be pointed at another role: it always follows role_name');

-- ---------------------------------------------------------------- item 9: JWT claims
-- the authenticator pattern: the session (here the superuser) switched to the JWT role
SET LOCAL ROLE dw_s_jwt;
SET LOCAL request.jwt.claims = '{"sub":"5b000000-0000-4000-8000-0000000000b1"}';
SELECT is(devicewake.current_user_id(), '5b000000-0000-4000-8000-0000000000b1',
          'a session switched to a JWT role is the subject of its claims');
RESET request.jwt.claims;
RESET ROLE;
-- a login role granted devicewake_jwt, connected as itself, sets claims naming B's user
SET SESSION AUTHORIZATION dw_s_login;
SET LOCAL request.jwt.claims = '{"sub":"5b000000-0000-4000-8000-0000000000b1"}';
SELECT devicewake.current_user_id() AS login_id \gset
SELECT count(*) AS login_sees_b FROM devicewake.devices WHERE device_mac = 'TEST-SECID-B' \gset
RESET request.jwt.claims;
RESET SESSION AUTHORIZATION;
SELECT is(:'login_id'::uuid, '5a000000-0000-4000-8000-0000000000a2',
          'claims set by a role that logged in as itself are not believed (it is its mapped user)');
SELECT is(:login_sees_b::integer, 0, 'with forged claims it still cannot see B''s device');
-- SET ROLE to itself is no switch either
SET SESSION AUTHORIZATION dw_s_login;
SET LOCAL ROLE dw_s_login;
SET LOCAL request.jwt.claims = '{"sub":"5b000000-0000-4000-8000-0000000000b1"}';
SELECT devicewake.current_user_id() AS self_id \gset
RESET request.jwt.claims;
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT is(:'self_id'::uuid, '5a000000-0000-4000-8000-0000000000a2',
          'SET ROLE to the session''s own role does not make its claims believed');

-- ---------------------------------------------------------------- item 6: the same work
-- Counted, not timed: with track_functions the transaction's calls of can_access_device show
-- whether the access check ran. It must run for a missing device as for a hidden one.
SET LOCAL track_functions = 'all';
CREATE FUNCTION pg_temp.access_checks() RETURNS bigint LANGUAGE sql AS
$$ SELECT coalesce((SELECT calls FROM pg_stat_xact_user_functions
                    WHERE schemaname = 'devicewake' AND funcname = 'can_access_device'), 0) $$;
CREATE FUNCTION pg_temp.checks_by(p_sql text) RETURNS bigint LANGUAGE plpgsql AS
$$
DECLARE
    v_before bigint := pg_temp.access_checks();
BEGIN
    BEGIN
        EXECUTE p_sql;
    EXCEPTION WHEN no_data_found THEN NULL;
    END;
    RETURN pg_temp.access_checks() - v_before;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.access_checks(), pg_temp.checks_by(text) TO PUBLIC;
SET LOCAL ROLE dw_s_jwt;
SET LOCAL request.jwt.claims = '{"sub":"5a000000-0000-4000-8000-0000000000a2"}';
SELECT pg_temp.checks_by($$SELECT devicewake.require_device_access('5b000000-0000-4000-8000-0000000000db')$$) AS hidden_dev,
       pg_temp.checks_by($$SELECT devicewake.require_device_access('5f000000-0000-4000-8000-0000000000ff')$$) AS missing_dev,
       pg_temp.checks_by($$SELECT devicewake.queue_image_retry('5b000000-0000-4000-8000-0000000000eb')$$) AS hidden_img,
       pg_temp.checks_by($$SELECT devicewake.queue_image_retry('5f000000-0000-4000-8000-0000000000fe')$$) AS missing_img,
       pg_temp.checks_by($$SELECT devicewake.cancel_command('5b000000-0000-4000-8000-0000000000cb')$$) AS hidden_cmd,
       pg_temp.checks_by($$SELECT devicewake.cancel_command('5f000000-0000-4000-8000-0000000000fc')$$) AS missing_cmd
\gset
RESET request.jwt.claims;
RESET ROLE;
SELECT cmp_ok(:hidden_dev::bigint, '>', 0::bigint, 'require_device_access checks access for a hidden device');
SELECT is(:missing_dev::bigint, :hidden_dev::bigint,
          'require_device_access does the same access work for a missing device as for a hidden one');
SELECT is(:missing_img::bigint, :hidden_img::bigint,
          'queue_image_retry does the same access work for a missing image as for a hidden one');
SELECT is(:missing_cmd::bigint, :hidden_cmd::bigint,
          'cancel_command (and acknowledge_command) do the same access work for a missing command as for a hidden one');

-- the side channel RLS itself has, documented in docs/security.md: EXPLAIN ANALYZE counts the rows
-- the policy removed, so it tells another company's device from a missing one
CREATE FUNCTION pg_temp.removed_by_filter(p_mac text) RETURNS text LANGUAGE plpgsql AS
$$
DECLARE
    line text;
    found text := 'none';
BEGIN
    FOR line IN EXECUTE format('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM devicewake.devices WHERE device_mac = %L', p_mac) LOOP
        IF line ~ 'Rows Removed by Filter' THEN found := trim(line); END IF;
    END LOOP;
    RETURN found;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.removed_by_filter(text) TO PUBLIC;
SET LOCAL ROLE dw_s_jwt;
SET LOCAL request.jwt.claims = '{"sub":"5a000000-0000-4000-8000-0000000000a2"}';
SELECT pg_temp.removed_by_filter('TEST-SECID-B') AS explain_hidden, pg_temp.removed_by_filter('TEST-SECID-NONE') AS explain_missing \gset
RESET request.jwt.claims;
RESET ROLE;
SELECT is(:'explain_hidden'::text, 'Rows Removed by Filter: 1',
          'residual risk (docs/security.md): EXPLAIN ANALYZE shows a row of another company removed by RLS');
SELECT is(:'explain_missing'::text, 'none', 'and none for a MAC that does not exist');

SELECT * FROM finish();
ROLLBACK;
