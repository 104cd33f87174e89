-- The security model of docs/design.md §9 with real roles: who sees and acts on which device (RLS and the
-- SECURITY DEFINER API), identity from role mappings and JWT claims, forged identities,
-- search_path hijacking, and what PUBLIC may execute (nothing).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(83);

-- Two companies. A: operator op_a, viewer view_a. B: operator op_b, and uj who signs in through
-- PostgREST (role dw_t_jwt, granted devicewake_jwt). One unassigned device, admins only.
CREATE ROLE dw_t_op_a NOLOGIN IN ROLE devicewake_operator;
CREATE ROLE dw_t_view_a NOLOGIN IN ROLE devicewake_viewer;
CREATE ROLE dw_t_op_b NOLOGIN IN ROLE devicewake_operator;
CREATE ROLE dw_t_admin NOLOGIN IN ROLE devicewake_admin;
CREATE ROLE dw_t_jwt NOLOGIN IN ROLE devicewake_operator, devicewake_jwt;
CREATE ROLE dw_t_nobody NOLOGIN;
INSERT INTO devicewake.companies (company_id, name) VALUES
    ('0a000000-0000-4000-8000-000000000001', 'Company A'),
    ('0b000000-0000-4000-8000-000000000001', 'Company B');
INSERT INTO devicewake.users (user_id, role_name, display_name) VALUES
    ('0a000000-0000-4000-8000-0000000000a1', 'dw_t_op_a', 'Ada (A operator)'),
    ('0a000000-0000-4000-8000-0000000000a2', 'dw_t_view_a', 'Vic (A viewer)'),
    ('0b000000-0000-4000-8000-0000000000b1', 'dw_t_op_b', 'Bob (B operator)'),
    ('0b000000-0000-4000-8000-0000000000b2', NULL, 'Jay (B, signs in with a JWT)');
INSERT INTO devicewake.company_members VALUES
    ('0a000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-0000000000a1'),
    ('0a000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-0000000000a2'),
    ('0b000000-0000-4000-8000-000000000001', '0b000000-0000-4000-8000-0000000000b1'),
    ('0b000000-0000-4000-8000-000000000001', '0b000000-0000-4000-8000-0000000000b2');
INSERT INTO devicewake.sites (site_id, name, company_id, wake_schedule_cron) VALUES
    ('0a000000-0000-4000-8000-00000000051a', 'Site A', '0a000000-0000-4000-8000-000000000001', '0 6 * * *'),
    ('0b000000-0000-4000-8000-00000000051b', 'Site B', '0b000000-0000-4000-8000-000000000001', '0 6 * * *');
INSERT INTO devicewake.devices (device_id, device_mac, site_id) VALUES
    ('0a000000-0000-4000-8000-0000000000da', 'TEST-SEC-A', '0a000000-0000-4000-8000-00000000051a'),
    ('0b000000-0000-4000-8000-0000000000db', 'TEST-SEC-B', '0b000000-0000-4000-8000-00000000051b'),
    ('0c000000-0000-4000-8000-0000000000dc', 'TEST-SEC-U', NULL);
INSERT INTO devicewake.device_commands (command_id, device_id, command_type) VALUES
    ('0a000000-0000-4000-8000-0000000000ca', '0a000000-0000-4000-8000-0000000000da', 'ping'),
    ('0b000000-0000-4000-8000-0000000000cb', '0b000000-0000-4000-8000-0000000000db', 'ping');
SELECT devicewake.record_device_hello(m, '{"pending_list":["img.jpg"]}')
FROM unnest(ARRAY['TEST-SEC-A', 'TEST-SEC-B']) m;
INSERT INTO devicewake.image_chunks (image_id, device_id, chunk_index, data)
SELECT image_id, device_id, 0, '\xffd8ff'::bytea FROM devicewake.device_images
WHERE device_id IN ('0a000000-0000-4000-8000-0000000000da', '0b000000-0000-4000-8000-0000000000db');
INSERT INTO devicewake.device_alerts (device_id, alert_type, severity, message)
SELECT device_id, 'test', 'info', 'x' FROM devicewake.devices WHERE device_mac LIKE 'TEST-SEC-%';
INSERT INTO devicewake.rejected_messages (topic, payload, reason) VALUES ('ESP32CAM/x/status', '\x00', 'test');

-- What company B's rows look like; compared again after every attack.
CREATE TEMP VIEW b_state AS
SELECT (SELECT row_to_json(d)::text FROM devicewake.devices d
        WHERE d.device_id = '0b000000-0000-4000-8000-0000000000db') AS device,
       (SELECT string_agg(row_to_json(c)::text, ',' ORDER BY c.command_id)
        FROM devicewake.device_commands c
        WHERE c.device_id = '0b000000-0000-4000-8000-0000000000db') AS commands,
       (SELECT count(*) FROM devicewake.device_history h
        WHERE h.device_id = '0b000000-0000-4000-8000-0000000000db') AS history;
CREATE TEMP TABLE b_before AS SELECT * FROM b_state;
CREATE FUNCTION pg_temp.b_unchanged() RETURNS boolean LANGUAGE sql AS
$$ SELECT (SELECT row(s.*)::text FROM b_state s) = (SELECT row(b.*)::text FROM b_before b) $$;

-- ---------------------------------------------------------------- catalogue: the rules hold everywhere
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
    WHERE c.relnamespace = 'devicewake'::regnamespace AND c.relkind IN ('r', 'p')
      AND NOT c.relrowsecurity$$,
    'row-level security is enabled on every table');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
    WHERE c.relnamespace = 'devicewake'::regnamespace AND c.relkind = 'v'
      AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'], false)$$,
    'every view runs with the caller''s privileges (security_invoker)');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'devicewake'::regnamespace AND p.prosecdef
      AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)$$,
    'every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
    WHERE p.pronamespace = 'devicewake'::regnamespace AND a.grantee = 0$$,
    'no function of the schema is executable by PUBLIC');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
    WHERE c.relnamespace = 'devicewake'::regnamespace AND a.grantee = 0$$,
    'no table, view or sequence of the schema is granted to PUBLIC');
SELECT ok(NOT has_schema_privilege('public', 'devicewake', 'USAGE'), 'PUBLIC has no usage on the schema');
SELECT ok(NOT has_function_privilege('dw_t_nobody', 'devicewake.request_manual_wake(uuid, interval)', 'EXECUTE'),
          'a role outside devicewake_* cannot call the API');
SELECT is_empty($$
    SELECT c.relname || ': ' || a.privilege_type FROM pg_class c,
           aclexplode(c.relacl) a
    WHERE c.relnamespace = 'devicewake'::regnamespace
      AND a.grantee IN ('devicewake_operator'::regrole, 'devicewake_viewer'::regrole)
      AND a.privilege_type <> 'SELECT'$$,
    'operators and viewers have no direct write privilege on any table');

-- ---------------------------------------------------------------- function privileges per role
SET LOCAL ROLE dw_t_view_a;
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0a000000-0000-4000-8000-0000000000da', interval '1 minute')$$,
    '42501', 'permission denied for function request_manual_wake', 'a viewer cannot wake (interval form)');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0a000000-0000-4000-8000-0000000000da', now() + interval '1 hour')$$,
    '42501', 'permission denied for function request_manual_wake', 'a viewer cannot wake (time form)');
SELECT throws_ok($$SELECT devicewake.cancel_command('0a000000-0000-4000-8000-0000000000ca')$$,
    '42501', NULL, 'a viewer cannot cancel');
SELECT throws_ok($$UPDATE devicewake.devices SET next_wake_at = now()$$,
    '42501', NULL, 'a viewer cannot write devices directly');
SELECT set_eq($$SELECT device_mac FROM devicewake.devices$$, ARRAY['TEST-SEC-A'], 'a viewer sees its company''s device');
SET LOCAL ROLE dw_t_op_a;
SELECT throws_ok($$SELECT devicewake.record_device_hello('TEST-SEC-A')$$,
    '42501', NULL, 'an operator cannot fake a HELLO');
SELECT throws_ok($$SELECT devicewake.acknowledge_command('0a000000-0000-4000-8000-0000000000ca')$$,
    '42501', NULL, 'an operator cannot fake a device acknowledgement');
RESET ROLE;

-- ---------------------------------------------------------------- company A's operator and company B's rows
SET LOCAL ROLE dw_t_op_a;
SELECT is(devicewake.current_user_id(), '0a000000-0000-4000-8000-0000000000a1', 'op_a is identified by its role mapping');
SELECT set_eq($$SELECT device_mac FROM devicewake.devices$$, ARRAY['TEST-SEC-A'], 'op_a sees only A''s device');
SELECT set_eq($$SELECT name FROM devicewake.sites$$, ARRAY['Site A'], 'op_a sees only A''s site');
SELECT set_eq($$SELECT name FROM devicewake.companies$$, ARRAY['Company A'], 'op_a sees only its company');
SELECT set_eq($$SELECT DISTINCT company_id FROM devicewake.company_members$$,
    ARRAY['0a000000-0000-4000-8000-000000000001'::uuid], 'op_a sees only its company''s memberships');
SELECT set_eq($$SELECT display_name FROM devicewake.users$$, ARRAY['Ada (A operator)', 'Vic (A viewer)'],
    'op_a sees itself and its colleagues, not B''s people');
SELECT set_eq($$SELECT command_id FROM devicewake.device_commands$$,
    ARRAY['0a000000-0000-4000-8000-0000000000ca'::uuid], 'op_a sees only A''s commands');
SELECT set_eq($$SELECT DISTINCT device_id FROM devicewake.device_wake_sessions$$,
    ARRAY['0a000000-0000-4000-8000-0000000000da'::uuid], 'op_a sees only A''s wake sessions');
SELECT set_eq($$SELECT DISTINCT device_id FROM devicewake.device_images$$,
    ARRAY['0a000000-0000-4000-8000-0000000000da'::uuid], 'op_a sees only A''s images');
SELECT is((SELECT count(*) FROM devicewake.image_chunks)::int, 1, 'op_a sees only A''s chunks');
SELECT set_eq($$SELECT DISTINCT device_id FROM devicewake.device_alerts$$,
    ARRAY['0a000000-0000-4000-8000-0000000000da'::uuid], 'op_a sees only A''s alerts');
SELECT set_eq($$SELECT DISTINCT device_id FROM devicewake.device_history$$,
    ARRAY['0a000000-0000-4000-8000-0000000000da'::uuid], 'op_a sees only A''s history');
SELECT throws_ok($$SELECT * FROM devicewake.rejected_messages$$, '42501', NULL,
    'rejected messages are for admins only');
SELECT is_empty($$SELECT * FROM devicewake.devices WHERE device_id = '0b000000-0000-4000-8000-0000000000db'$$,
    'B''s device is invisible to op_a even by id');
SELECT is_empty($$SELECT * FROM devicewake.fleet_health WHERE device_id <> '0a000000-0000-4000-8000-0000000000da'$$,
    'fleet_health shows op_a only A''s devices');
SELECT ok(NOT devicewake.can_access_device('0b000000-0000-4000-8000-0000000000db'), 'can_access_device: B''s device is not op_a''s');
SELECT ok(NOT devicewake.can_access_device('0c000000-0000-4000-8000-0000000000dc'), 'can_access_device: unassigned devices are admins'' only');
-- every way op_a could act on B's device or command
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0b000000-0000-4000-8000-0000000000db', interval '1 minute')$$,
    'P0002', 'device 0b000000-0000-4000-8000-0000000000db does not exist', 'op_a cannot wake B''s device (interval)');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0b000000-0000-4000-8000-0000000000db', now() + interval '2 hours')$$,
    'P0002', 'device 0b000000-0000-4000-8000-0000000000db does not exist', 'op_a cannot wake B''s device (time)');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0c000000-0000-4000-8000-0000000000dc', interval '1 minute')$$,
    'P0002', NULL, 'op_a cannot wake an unassigned device');
SELECT throws_ok($$SELECT devicewake.cancel_command('0b000000-0000-4000-8000-0000000000cb')$$,
    'P0002', 'command 0b000000-0000-4000-8000-0000000000cb does not exist', 'op_a cannot cancel B''s command');
SELECT throws_ok($$SELECT devicewake.require_device_access('0b000000-0000-4000-8000-0000000000db')$$,
    'P0002', NULL, 'require_device_access refuses B''s device to op_a');
SELECT throws_ok($$UPDATE devicewake.devices SET manual_wake_override = true$$, '42501', NULL,
    'op_a cannot update devices directly');
SELECT throws_ok($$UPDATE devicewake.device_commands SET status = 'cancelled'$$, '42501', NULL,
    'op_a cannot update commands directly');
SELECT throws_ok($$INSERT INTO devicewake.device_commands (device_id, command_type)
                   VALUES ('0b000000-0000-4000-8000-0000000000db', 'reboot')$$, '42501', NULL,
    'op_a cannot queue commands directly');
SELECT throws_ok($$DELETE FROM devicewake.device_history$$, '42501', NULL, 'op_a cannot erase history');
-- a JWT naming B's user does not turn op_a (a mapped, non-JWT role) into B's user
SET LOCAL request.jwt.claims = '{"sub":"0b000000-0000-4000-8000-0000000000b1","role":"dw_t_op_b"}';
SELECT is(devicewake.current_user_id(), '0a000000-0000-4000-8000-0000000000a1',
    'claims set by a non-JWT role are not believed');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0b000000-0000-4000-8000-0000000000db', interval '1 minute')$$,
    'P0002', NULL, 'op_a with forged claims still cannot wake B''s device');
SELECT is_empty($$SELECT * FROM devicewake.devices WHERE device_id = '0b000000-0000-4000-8000-0000000000db'$$,
    'op_a with forged claims still cannot see B''s device');
SELECT isnt(devicewake.request_manual_wake('0a000000-0000-4000-8000-0000000000da', interval '5 minutes'), NULL,
    'op_a wakes its own device');
RESET request.jwt.claims;
RESET ROLE;
SELECT ok(pg_temp.b_unchanged(), 'company B''s device, commands and history are unchanged');
SELECT results_eq($$SELECT manual_wake_requested_by FROM devicewake.devices WHERE device_mac = 'TEST-SEC-A'$$,
    ARRAY['0a000000-0000-4000-8000-0000000000a1'::uuid], 'the wake records the caller, not the forged subject');

-- ---------------------------------------------------------------- requested_by cannot be supplied
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'devicewake'::regnamespace
      AND p.proname IN ('request_manual_wake', 'cancel_command', 'acknowledge_command',
                        'request_manual_wakes', 'request_site_wake', 'create_campaign',
                        'pause_campaign', 'resume_campaign', 'cancel_campaign', 'events_since')
      AND (p.proname = 'request_manual_wake'
               AND NOT p.proargnames <@ ARRAY['p_device_id', 'p_wake_at', 'p_in', 'p_then']
           OR p.pronargs <> 1 AND p.proname IN ('cancel_command', 'acknowledge_command')
           OR p.proargnames && ARRAY['p_user_id', 'p_requested_by', 'p_created_by', 'p_user'])$$,
    'no API function takes a user id: the requester cannot be supplied');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0a000000-0000-4000-8000-0000000000da', interval '1 minute',
                                                          '0b000000-0000-4000-8000-0000000000b1'::uuid)$$,
    '42883', NULL, 'there is no overload taking a requester');

-- ---------------------------------------------------------------- B's operator, symmetric
SET LOCAL ROLE dw_t_op_b;
SELECT set_eq($$SELECT device_mac FROM devicewake.devices$$, ARRAY['TEST-SEC-B'], 'op_b sees only B''s device');
SELECT throws_ok($$SELECT devicewake.cancel_command('0a000000-0000-4000-8000-0000000000ca')$$,
    'P0002', NULL, 'op_b cannot cancel A''s command');
RESET ROLE;

-- ---------------------------------------------------------------- identity from JWT claims
SET LOCAL ROLE dw_t_jwt;
SET LOCAL request.jwt.claims = '{"sub":"0b000000-0000-4000-8000-0000000000b2","role":"dw_t_jwt"}';
SELECT is(devicewake.current_user_id(), '0b000000-0000-4000-8000-0000000000b2', 'a JWT role is identified by the subject');
SELECT set_eq($$SELECT device_mac FROM devicewake.devices$$, ARRAY['TEST-SEC-B'], 'the JWT user sees its company''s device');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0a000000-0000-4000-8000-0000000000da', interval '1 minute')$$,
    'P0002', NULL, 'the JWT user cannot wake A''s device');
SELECT isnt(devicewake.request_manual_wake('0b000000-0000-4000-8000-0000000000db', interval '10 minutes'), NULL,
    'the JWT user wakes its own device');
SELECT set_eq($$SELECT requested_by, requested_by_name FROM devicewake.manual_wake_overrides$$,
    $$VALUES ('0b000000-0000-4000-8000-0000000000b2'::uuid, 'Jay (B, signs in with a JWT)')$$,
    'manual_wake_overrides shows the JWT user its own wake and who asked');
SET LOCAL request.jwt.claims = '{"sub":"0a000000-0000-4000-8000-0000000000a1"}';
SELECT set_eq($$SELECT device_mac FROM devicewake.devices$$, ARRAY['TEST-SEC-A'],
    'another subject on the same role sees that user''s devices');
SET LOCAL request.jwt.claims = '{"role":"dw_t_jwt"}';
SELECT is_empty($$SELECT * FROM devicewake.devices$$, 'claims without a subject (anonymous): no devices');
SET LOCAL request.jwt.claims = '{"sub":"../../etc"}';
SELECT throws_ok($$SELECT devicewake.current_user_id()$$, '28000', 'JWT subject is not a user id',
    'a subject that is not a UUID is refused');
SET LOCAL request.jwt.claims = 'not json';
SELECT throws_ok($$SELECT devicewake.current_user_id()$$, '28000', 'request.jwt.claims is not valid JSON',
    'claims that are not JSON are refused');
RESET request.jwt.claims;
RESET ROLE;
SELECT results_eq($$SELECT manual_wake_requested_by, c.created_by_user_id
                    FROM devicewake.devices d JOIN devicewake.device_commands c USING (device_id)
                    WHERE d.device_mac = 'TEST-SEC-B' AND c.command_type = 'set_wake_schedule'$$,
    $$VALUES ('0b000000-0000-4000-8000-0000000000b2'::uuid, '0b000000-0000-4000-8000-0000000000b2'::uuid)$$,
    'requested_by and created_by_user_id are the JWT subject');

-- ---------------------------------------------------------------- search_path hijacking
DELETE FROM b_before;
INSERT INTO b_before SELECT * FROM b_state;
-- op_a owns a schema of look-alikes and puts it first: the API must still use the real objects.
CREATE SCHEMA dw_t_evil AUTHORIZATION dw_t_op_a;
SET LOCAL ROLE dw_t_op_a;
CREATE FUNCTION dw_t_evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
CREATE FUNCTION dw_t_evil.current_user_id() RETURNS uuid LANGUAGE sql
    AS $$ SELECT '0b000000-0000-4000-8000-0000000000b1'::uuid $$;
CREATE FUNCTION dw_t_evil.can_access_device(uuid) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE FUNCTION dw_t_evil.require_device_access(uuid) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION dw_t_evil.caller_is_fleet_admin() RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE FUNCTION dw_t_evil.jsonb_build_object(text, text, text, boolean) RETURNS jsonb LANGUAGE sql
    AS $$ SELECT '{"hijacked":true}'::jsonb $$;
CREATE FUNCTION dw_t_evil.uuid_eq_any(uuid, uuid) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR dw_t_evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = dw_t_evil.uuid_eq_any);
CREATE TABLE dw_t_evil.devices (device_id uuid, is_active boolean);
CREATE TEMP TABLE devices (device_id uuid, is_active boolean);
SET LOCAL search_path = dw_t_evil, devicewake, public, pg_catalog;
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0b000000-0000-4000-8000-0000000000db', interval '1 minute')$$,
    'P0002', NULL, 'hijacked search_path: op_a still cannot wake B''s device');
SELECT throws_ok($$SELECT devicewake.cancel_command('0b000000-0000-4000-8000-0000000000cb')$$,
    'P0002', NULL, 'hijacked search_path: op_a still cannot cancel B''s command');
SELECT ok(devicewake.request_manual_wake('0a000000-0000-4000-8000-0000000000da',
                                         pg_catalog.now() + interval '7 minutes') IS NOT NULL,
    'hijacked search_path: op_a wakes its own device');
SELECT ok(devicewake.cancel_command('0a000000-0000-4000-8000-0000000000ca'),
    'hijacked search_path: op_a cancels its own command');
RESET search_path;
RESET ROLE;
SELECT ok(pg_temp.b_unchanged(), 'hijacked search_path: company B''s rows are unchanged');
SELECT results_eq($$SELECT manual_wake_requested_by, manual_wake_requested_at = now(),
                           next_wake_at = now() + interval '7 minutes'
                    FROM devicewake.devices WHERE device_mac = 'TEST-SEC-A'$$,
    $$VALUES ('0a000000-0000-4000-8000-0000000000a1'::uuid, true, true)$$,
    'hijacked search_path: the real now() and identity were used');
SELECT results_eq($$SELECT command_payload ? 'next_wake_time', command_payload ? 'hijacked'
                    FROM devicewake.device_commands
                    WHERE device_id = '0a000000-0000-4000-8000-0000000000da' AND status = 'pending'
                      AND command_type = 'set_wake_schedule'$$,
    $$VALUES (true, false)$$, 'hijacked search_path: the real jsonb_build_object was used');
SELECT results_eq($$SELECT command_id, status FROM devicewake.device_commands WHERE status = 'cancelled'
                      AND command_type = 'ping' AND device_id IN ('0a000000-0000-4000-8000-0000000000da',
                                                                  '0b000000-0000-4000-8000-0000000000db')$$,
    $$VALUES ('0a000000-0000-4000-8000-0000000000ca'::uuid, 'cancelled'::text)$$,
    'hijacked search_path: exactly the one command was cancelled');
SELECT is((SELECT count(*) FROM dw_t_evil.devices)::int + (SELECT count(*) FROM pg_temp.devices)::int, 0,
    'hijacked search_path: look-alike tables untouched');

-- ---------------------------------------------------------------- admins and the table owner
SET LOCAL ROLE dw_t_admin;
SELECT set_eq($$SELECT device_mac FROM devicewake.devices WHERE device_mac LIKE 'TEST-SEC-%'$$,
    ARRAY['TEST-SEC-A', 'TEST-SEC-B', 'TEST-SEC-U'], 'an admin sees every device, unassigned ones too');
SELECT isnt_empty($$SELECT * FROM devicewake.rejected_messages$$, 'an admin reads rejected messages');
SELECT lives_ok($$INSERT INTO devicewake.sites (name, company_id) VALUES ('Site A2', '0a000000-0000-4000-8000-000000000001')$$,
    'an admin creates sites');
SELECT lives_ok($$UPDATE devicewake.devices SET site_id = '0a000000-0000-4000-8000-00000000051a'
                  WHERE device_mac = 'TEST-SEC-U'$$, 'an admin assigns a device');
SELECT isnt(devicewake.record_device_hello('TEST-SEC-A'), NULL, 'an admin may record a HELLO');
SELECT throws_ok($$INSERT INTO devicewake.device_commands (device_id, command_type)
                   VALUES ('0a000000-0000-4000-8000-0000000000da', 'reboot')$$, '42501', NULL,
    'even an admin queues commands only through the API');
RESET ROLE;
SET LOCAL ROLE dw_t_op_a;
SELECT set_eq($$SELECT device_mac FROM devicewake.devices$$, ARRAY['TEST-SEC-A', 'TEST-SEC-U'],
    'a device assigned to A''s site becomes visible to A');
RESET ROLE;
SELECT cmp_ok((SELECT count(*) FROM devicewake.devices WHERE device_mac LIKE 'TEST-SEC-%')::int, '=', 3,
    'the table owner (superuser, the worker) is not filtered by RLS');
SELECT ok(NOT (SELECT relforcerowsecurity FROM pg_class WHERE oid = 'devicewake.devices'::regclass),
    'RLS is not forced on the owner');

-- worker_status(): admins only (last_error can name the password file, counters span companies);
-- viewers get worker_health(), without the error's text or counters
SET LOCAL ROLE dw_t_view_a;
SELECT throws_ok($$SELECT * FROM devicewake.worker_status()$$, '42501',
    'permission denied for function worker_status', 'a viewer cannot read worker_status()');
SELECT lives_ok($$SELECT * FROM devicewake.worker_health()$$, 'a viewer reads worker_health()');
RESET ROLE;
SET LOCAL ROLE dw_t_admin;
SELECT lives_ok($$SELECT * FROM devicewake.worker_status()$$, 'an admin reads worker_status()');
RESET ROLE;
SELECT set_eq($$SELECT parameter_name::text FROM information_schema.parameters p
                JOIN information_schema.routines r USING (specific_schema, specific_name)
                WHERE r.routine_schema = 'devicewake' AND r.routine_name = 'worker_health'$$,
    ARRAY['connected', 'since', 'has_error', 'last_error_at'],
    'worker_health() has no error text and no counters');

SELECT * FROM finish();
ROLLBACK;
