-- The contract of the manual-wake, HELLO and command functions (docs/design.md §4): signatures, who may
-- call them, every error's SQLSTATE, and that a refused call changes nothing.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(48);

-- ---------------------------------------------------------------- signatures and privileges
SELECT function_returns('devicewake', 'request_manual_wake', ARRAY['uuid', 'timestamp with time zone'], 'uuid');
SELECT function_returns('devicewake', 'request_manual_wake', ARRAY['uuid', 'interval'], 'uuid');
SELECT function_returns('devicewake', 'record_device_hello', ARRAY['text', 'jsonb'], 'uuid');
SELECT function_returns('devicewake', 'acknowledge_command', ARRAY['uuid'], 'boolean');
SELECT function_returns('devicewake', 'cancel_command', ARRAY['uuid'], 'boolean');
SELECT is_definer('devicewake', 'request_manual_wake', ARRAY['uuid', 'timestamp with time zone']);
SELECT is_definer('devicewake', 'request_manual_wake', ARRAY['uuid', 'interval']);
SELECT is_definer('devicewake', 'record_device_hello', ARRAY['text', 'jsonb']);
SELECT is_definer('devicewake', 'acknowledge_command', ARRAY['uuid']);
SELECT is_definer('devicewake', 'cancel_command', ARRAY['uuid']);
SELECT is((SELECT pg_get_function_arguments('devicewake.record_device_hello(text, jsonb)'::regprocedure)),
    'p_device_mac text, p_payload jsonb DEFAULT ''{}''::jsonb', 'record_device_hello payload defaults to {}');
SELECT function_privs_are('devicewake', 'request_manual_wake', ARRAY['uuid', 'interval'],
    'devicewake_viewer', ARRAY[]::text[], 'viewers may not wake');
SELECT function_privs_are('devicewake', 'request_manual_wake', ARRAY['uuid', 'interval'],
    'devicewake_operator', ARRAY['EXECUTE'], 'operators may wake');
SELECT function_privs_are('devicewake', 'cancel_command', ARRAY['uuid'],
    'devicewake_operator', ARRAY['EXECUTE'], 'operators may cancel');
SELECT function_privs_are('devicewake', 'record_device_hello', ARRAY['text', 'jsonb'],
    'devicewake_operator', ARRAY[]::text[], 'operators may not record HELLOs');
SELECT function_privs_are('devicewake', 'record_device_hello', ARRAY['text', 'jsonb'],
    'devicewake_admin', ARRAY['EXECUTE'], 'admins may record HELLOs');
SELECT function_privs_are('devicewake', 'acknowledge_command', ARRAY['uuid'],
    'devicewake_admin', ARRAY['EXECUTE'], 'admins may acknowledge');
SELECT function_privs_are('devicewake', 'acknowledge_command', ARRAY['uuid'],
    'devicewake_operator', ARRAY[]::text[], 'operators may not acknowledge');
SELECT has_view('devicewake', 'manual_wake_overrides', 'view manual_wake_overrides');
SELECT has_view('devicewake', 'fleet_health', 'view fleet_health');

-- ---------------------------------------------------------------- a fleet of one company
CREATE ROLE dw_t_mw_op NOLOGIN IN ROLE devicewake_operator;
INSERT INTO devicewake.companies (company_id, name) VALUES ('0d000000-0000-4000-8000-000000000001', 'Company D');
INSERT INTO devicewake.users (user_id, role_name, display_name)
VALUES ('0d000000-0000-4000-8000-0000000000a1', 'dw_t_mw_op', 'Dee');
INSERT INTO devicewake.company_members VALUES
    ('0d000000-0000-4000-8000-000000000001', '0d000000-0000-4000-8000-0000000000a1');
INSERT INTO devicewake.sites (site_id, name, company_id, timezone, wake_schedule_cron)
VALUES ('0d000000-0000-4000-8000-00000000051d', 'Site D', '0d000000-0000-4000-8000-000000000001',
        'Europe/Berlin', '0 6 * * *');
INSERT INTO devicewake.devices (device_id, device_mac, site_id, is_active) VALUES
    ('0d000000-0000-4000-8000-0000000000d1', 'TEST-MW-1', '0d000000-0000-4000-8000-00000000051d', true),
    ('0d000000-0000-4000-8000-0000000000d2', 'TEST-MW-2', '0d000000-0000-4000-8000-00000000051d', false);
INSERT INTO devicewake.device_commands (command_id, device_id, command_type, status) VALUES
    ('0d000000-0000-4000-8000-0000000000c1', '0d000000-0000-4000-8000-0000000000d1', 'ping', 'sent'),
    ('0d000000-0000-4000-8000-0000000000c2', '0d000000-0000-4000-8000-0000000000d1', 'ping', 'expired'),
    ('0d000000-0000-4000-8000-0000000000c3', '0d000000-0000-4000-8000-0000000000d1', 'ping', 'pending');

CREATE TEMP VIEW fleet_state AS
SELECT (SELECT string_agg(row_to_json(d)::text, ',' ORDER BY d.device_id) FROM devicewake.devices d
        WHERE d.device_mac LIKE 'TEST-MW-%') AS devices,
       (SELECT string_agg(row_to_json(c)::text, ',' ORDER BY c.command_id) FROM devicewake.device_commands c
        JOIN devicewake.devices d USING (device_id) WHERE d.device_mac LIKE 'TEST-MW-%') AS commands;
CREATE TEMP TABLE fleet_before AS SELECT * FROM fleet_state;

-- ---------------------------------------------------------------- every refused request, by SQLSTATE
SET LOCAL ROLE dw_t_mw_op;
SELECT throws_ok($$SELECT devicewake.request_manual_wake(NULL, interval '1 minute')$$,
    '22004', 'device id must not be null', 'NULL device');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0d000000-0000-4000-8000-0000000000d1', NULL::interval)$$,
    '22004', 'wake interval must not be null', 'NULL interval');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0d000000-0000-4000-8000-0000000000d1', NULL::timestamptz)$$,
    '22004', 'wake time must not be null', 'NULL time');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0d000000-0000-4000-8000-0000000000d1', now() - interval '1 second')$$,
    '22023', 'wake time must be in the future', 'a past time');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0d000000-0000-4000-8000-0000000000d1', now())$$,
    '22023', 'wake time must be in the future', 'now is not in the future');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0d000000-0000-4000-8000-0000000000d1', interval '0')$$,
    '22023', 'wake interval must be positive', 'a zero interval');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0d000000-0000-4000-8000-0000000000d1', interval '-1 hour')$$,
    '22023', 'wake interval must be positive', 'a negative interval');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0d000000-0000-4000-8000-0000000000d1', now() + interval '30 days 1 second')$$,
    '22023', 'wake time must be at most 30 days ahead', 'too far ahead');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0d000000-0000-4000-8000-00000000ffff', interval '1 minute')$$,
    'P0002', 'device 0d000000-0000-4000-8000-00000000ffff does not exist', 'unknown device');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0d000000-0000-4000-8000-0000000000d2', interval '1 minute')$$,
    '55000', 'device 0d000000-0000-4000-8000-0000000000d2 is inactive', 'inactive device');
SELECT throws_ok($$SELECT devicewake.cancel_command(NULL)$$, '22004', 'command id must not be null', 'cancel: NULL');
SELECT throws_ok($$SELECT devicewake.cancel_command('0d000000-0000-4000-8000-00000000ffff')$$,
    'P0002', 'command 0d000000-0000-4000-8000-00000000ffff does not exist', 'cancel: unknown command');
SELECT throws_ok($$SELECT devicewake.cancel_command('0d000000-0000-4000-8000-0000000000c1')$$,
    '55000', 'command 0d000000-0000-4000-8000-0000000000c1 cannot be cancelled: it is sent', 'cancel: sent');
SELECT throws_ok($$SELECT devicewake.cancel_command('0d000000-0000-4000-8000-0000000000c2')$$,
    '55000', 'command 0d000000-0000-4000-8000-0000000000c2 cannot be cancelled: it is expired', 'cancel: expired');
RESET ROLE;
SELECT throws_ok($$SELECT devicewake.acknowledge_command(NULL)$$, '22004', 'command id must not be null', 'ack: NULL');
SELECT throws_ok($$SELECT devicewake.acknowledge_command('0d000000-0000-4000-8000-00000000ffff')$$,
    'P0002', NULL, 'ack: unknown command');
SELECT throws_ok($$SELECT devicewake.acknowledge_command('0d000000-0000-4000-8000-0000000000c3')$$,
    '55000', 'command 0d000000-0000-4000-8000-0000000000c3 cannot be acknowledged: it is pending', 'ack: pending');
SELECT throws_ok($$SELECT devicewake.acknowledge_command('0d000000-0000-4000-8000-0000000000c2')$$,
    '55000', 'command 0d000000-0000-4000-8000-0000000000c2 cannot be acknowledged: it is expired', 'ack: expired');
SELECT throws_ok($$SELECT devicewake.record_device_hello(NULL)$$, '22004', 'device identifier must not be null', 'hello: NULL');
SELECT throws_ok($$SELECT devicewake.record_device_hello('ESP32CAM/+/status')$$, '22023', NULL, 'hello: not an identifier');
SELECT ok((SELECT row(s.*)::text FROM fleet_state s) = (SELECT row(b.*)::text FROM fleet_before b),
    'refused requests changed nothing');

-- ---------------------------------------------------------------- the scenario, through the roles
SET LOCAL ROLE dw_t_mw_op;
SELECT lives_ok($$SELECT devicewake.request_manual_wake('0d000000-0000-4000-8000-0000000000d1', interval '1 minute')$$,
    'an operator wakes a device in a minute');
SELECT results_eq($$SELECT requested_by, requested_by_name, wake_at = now() + interval '1 minute',
                           command_payload = jsonb_build_object('next_wake_time',
                               to_char((now() + interval '1 minute') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                               'manual_wake', true)
                    FROM devicewake.manual_wake_overrides$$,
    $$VALUES ('0d000000-0000-4000-8000-0000000000a1'::uuid, 'Dee', true, true)$$,
    'the override shows who asked, when it wakes, and the command payload');
RESET ROLE;
SELECT isnt(devicewake.record_device_hello('TEST-MW-1', '{"status":"Alive"}'), NULL, 'the device says HELLO');
SELECT results_eq($$SELECT manual_wake_override, manual_wake_requested_by IS NULL, manual_wake_requested_at IS NULL,
                           to_char(next_wake_at AT TIME ZONE 'Europe/Berlin', 'HH24:MI'),
                           next_wake_at > now() AND next_wake_at <= now() + interval '25 hours'
                    FROM devicewake.devices WHERE device_mac = 'TEST-MW-1'$$,
    $$VALUES (false, true, true, '06:00', true)$$,
    'HELLO ends the override; the next wake is the next 06:00 in the site''s zone');
SELECT is_empty($$SELECT * FROM devicewake.manual_wake_overrides WHERE device_mac = 'TEST-MW-1'$$,
    'no override left');
SELECT is(devicewake.acknowledge_command('0d000000-0000-4000-8000-0000000000c1'), true, 'ack: sent -> acknowledged');
SELECT is(devicewake.acknowledge_command('0d000000-0000-4000-8000-0000000000c1'), false, 'ack: again is a no-op');

SELECT * FROM finish();
ROLLBACK;
