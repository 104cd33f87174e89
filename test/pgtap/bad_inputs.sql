-- A catalogue of SQL-level bad inputs across the public API (docs/design.md §3, §4, §9): NULLs, unknown
-- ids, invalid cron, unknown time zones, MACs carrying '/', '+' or '#', past wake times, over-long
-- strings, values the tables' constraints refuse. Each is refused with its SQLSTATE and message,
-- and a fingerprint of every devicewake table (and pg_cron's jobs) shows nothing changed.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(156);

-- ---------------------------------------------------------------- a device, a command, an image
INSERT INTO devicewake.devices (device_id, device_mac) VALUES ('0e000000-0000-4000-8000-0000000000d1', 'TEST-BAD-1');
INSERT INTO devicewake.device_commands (command_id, device_id, command_type, status) VALUES
    ('0e000000-0000-4000-8000-0000000000c1', '0e000000-0000-4000-8000-0000000000d1', 'ping', 'acknowledged'),
    ('0e000000-0000-4000-8000-0000000000c2', '0e000000-0000-4000-8000-0000000000d1', 'ping', 'pending');
INSERT INTO devicewake.devices (device_id, device_mac, is_active) VALUES ('0e000000-0000-4000-8000-0000000000d2', 'TEST-BAD-OFF', false);
-- a site without an active device (fleet operations)
INSERT INTO devicewake.sites (site_id, name) VALUES ('0e000000-0000-4000-8000-0000000005e1', 'Empty site');
INSERT INTO devicewake.device_images (image_id, device_id, image_name, status) VALUES
    ('0e000000-0000-4000-8000-0000000000e1', '0e000000-0000-4000-8000-0000000000d1', 'image_1.jpg', 'failed');

-- Every table of the schema and pg_cron's jobs, as one text per table (row count and md5).
CREATE TEMP TABLE fingerprint_before AS
SELECT c.relname::text AS name, x.n, x.digest
FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace,
     LATERAL (SELECT (xpath('/row/n/text()', q))[1]::text::bigint AS n, (xpath('/row/d/text()', q))[1]::text AS digest
              FROM query_to_xml(format('SELECT count(*) AS n, md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) AS d FROM %I.%I t',
                                       E'\n', '', s.nspname, c.relname), false, true, '') q) x
WHERE (s.nspname = 'devicewake' OR (s.nspname = 'cron' AND c.relname = 'job')) AND c.relkind = 'r';
CREATE TEMP VIEW fingerprint_now AS
SELECT c.relname::text AS name, x.n, x.digest
FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace,
     LATERAL (SELECT (xpath('/row/n/text()', q))[1]::text::bigint AS n, (xpath('/row/d/text()', q))[1]::text AS digest
              FROM query_to_xml(format('SELECT count(*) AS n, md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) AS d FROM %I.%I t',
                                       E'\n', '', s.nspname, c.relname), false, true, '') q) x
WHERE (s.nspname = 'devicewake' OR (s.nspname = 'cron' AND c.relname = 'job')) AND c.relkind = 'r';
SELECT cmp_ok((SELECT count(*) FROM fingerprint_before WHERE n IS NOT NULL AND digest IS NOT NULL), '>=', 13::bigint, 'the fingerprint covers every table');

-- ---------------------------------------------------------------- fn_calculate_next_wake_time, next_wake_times
SELECT is(devicewake.fn_calculate_next_wake_time(now(), NULL, 'UTC'), NULL, 'NULL expression: NULL');
SELECT is(devicewake.fn_calculate_next_wake_time(NULL, '0 6 * * *', 'UTC'), NULL, 'NULL instant: NULL');
SELECT is(devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *', NULL), NULL, 'NULL time zone: NULL');
SELECT is(devicewake.fn_calculate_next_wake_time(now(), '0 0 30 2 *', 'UTC'), NULL, 'a schedule that never fires: NULL');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '61 6 * * *', 'UTC')$$, '22023',
    'invalid cron expression: minute field "61": 61 is out of range 0-59', 'minute out of range');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 24 * * *', 'UTC')$$, '22023',
    'invalid cron expression: hour field "24": 24 is out of range 0-23', 'hour out of range');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * *', 'UTC')$$, '22023',
    'invalid cron expression "0 6 * *": expected 5 fields, found 4', 'four fields');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '', 'UTC')$$, '22023',
    'invalid cron expression "": expected 5 fields, found 0', 'empty expression');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * * MON#6', 'UTC')$$, '22023',
    'invalid cron expression: day-of-week field "MON#6": the occurrence after ''#'' must be 1-5', '#6');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '@reboot', 'UTC')$$, '22023',
    'invalid cron expression: unknown macro "@reboot"', 'unknown macro');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), repeat('*', 100000), 'UTC')$$, '22023',
    'invalid cron expression "' || repeat('*', 80) || '...": expected 5 fields, found 1',
    'a 100,000-character expression is refused and quoted truncated');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *', 'Mars/Olympus')$$, '22023',
    'time zone "Mars/Olympus" not recognized', 'unknown time zone');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *', '')$$, '22023',
    'time zone "" not recognized', 'empty time zone');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *', '../../etc/passwd')$$, '22023',
    'time zone "../../etc/passwd" not recognized', 'a path as time zone');
SELECT throws_like($$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *', repeat('x', 10000))$$,
    'time zone "xxxx%" not recognized', 'a 10,000-character time zone');
SELECT throws_ok($$SELECT * FROM devicewake.next_wake_times(now(), '0 6 * * *', 'UTC', -1)$$, '22023',
    'p_count must be between 0 and 1000, not -1', 'negative count');
SELECT throws_ok($$SELECT * FROM devicewake.next_wake_times(now(), '0 6 * * *', 'UTC', 100000000)$$, '22023',
    'p_count must be between 0 and 1000, not 100000000', 'huge count');
SELECT throws_ok($$SELECT * FROM devicewake.next_wake_times(now(), 'bad', 'UTC', 3)$$, '22023',
    'invalid cron expression "bad": expected 5 fields, found 1', 'next_wake_times: invalid cron');
SELECT throws_ok($$SELECT * FROM devicewake.next_wake_times(now(), '0 6 * * *', 'Nowhere/City', 3)$$, '22023',
    'time zone "Nowhere/City" not recognized', 'next_wake_times: unknown zone');
SELECT is((SELECT count(*) FROM devicewake.next_wake_times(NULL, '0 6 * * *', 'UTC', 3)), 0::bigint, 'next_wake_times: NULL start: no rows');
SELECT is((SELECT count(*) FROM devicewake.next_wake_times(now(), '0 6 * * *', 'UTC', NULL)), 0::bigint, 'next_wake_times: NULL count: no rows');

-- ---------------------------------------------------------------- normalize_mac
SELECT is(devicewake.normalize_mac(NULL), NULL, 'normalize_mac(NULL): NULL');
SELECT throws_ok(format('SELECT devicewake.normalize_mac(%L)', m), '22023', format('invalid device identifier "%s"', m),
                 format('normalize_mac refuses %s', m))
FROM unnest(ARRAY['AA/BB/CC/DD/EE/FF', 'AABBCCDDEE+F', 'AABBCCDDEE#F', 'ESP32CAM/+/cmd', 'GGHHIIJJKKLL',
                  'AABBCCDDEEF', 'AABBCCDDEEFF0', 'TEST-a/b', 'TEST-+', 'TEST-#', 'VIRTUAL:#', 'SYSTEM:a/b',
                  'AABBCCDDEEFF/ack', '']) m;
SELECT throws_ok($$SELECT devicewake.normalize_mac('ＡＡＢＢＣＣＤＤＥＥＦＦ')$$, '22023',
    'invalid device identifier "' || repeat('?', 36) || '"', 'full-width digits are refused and not echoed raw');
SELECT throws_ok($$SELECT devicewake.normalize_mac(repeat('A', 10000))$$, '22023',
    'invalid device identifier "' || repeat('A', 80) || '..."', 'a 10,000-character MAC');
SELECT throws_ok($$SELECT devicewake.normalize_mac('TEST-' || repeat('A', 60))$$, '22023',
    'invalid device identifier "TEST-' || repeat('A', 60) || '"', 'a 65-character identifier');

-- ---------------------------------------------------------------- request_manual_wake (both)
SELECT throws_ok($$SELECT devicewake.request_manual_wake(NULL::uuid, now() + interval '1 hour')$$, '22004',
    'device id must not be null', 'manual wake at: NULL device');
SELECT throws_ok($$SELECT devicewake.request_manual_wake(NULL::uuid, interval '1 hour')$$, '22004',
    'device id must not be null', 'manual wake in: NULL device');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-000000000000', now() + interval '1 hour')$$,
    'P0002', 'device 00000000-0000-4000-8000-000000000000 does not exist', 'manual wake at: unknown device');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-000000000000', interval '1 hour')$$,
    'P0002', 'device 00000000-0000-4000-8000-000000000000 does not exist', 'manual wake in: unknown device');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d2', interval '1 hour')$$,
    '55000', 'device 0e000000-0000-4000-8000-0000000000d2 is inactive', 'manual wake of an inactive device');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', NULL::timestamptz)$$,
    '22004', 'wake time must not be null', 'manual wake at NULL');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', NULL::interval)$$,
    '22004', 'wake interval must not be null', 'manual wake in NULL');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', now() - interval '1 hour')$$,
    '22023', 'wake time must be in the future', 'a past wake time');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', '-infinity'::timestamptz)$$,
    '22023', 'wake time must be in the future', 'a wake time of -infinity');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '-1 hour')$$,
    '22023', 'wake interval must be positive', 'a negative interval');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '0')$$,
    '22023', 'wake interval must be positive', 'a zero interval');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', 'infinity'::timestamptz)$$,
    '22023', 'wake time must be at most 30 days ahead', 'a wake time of infinity');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1000 years')$$,
    '22023', 'wake time must be at most 30 days ahead', 'a wake 1000 years ahead');

-- ---------------------------------------------------------------- record_device_hello
SELECT throws_ok($$SELECT devicewake.record_device_hello(NULL, '{}')$$, '22004',
    'device identifier must not be null', 'HELLO: NULL MAC');
SELECT throws_ok(format('SELECT devicewake.record_device_hello(%L, %L)', m, '{}'), '22023',
                 format('invalid device identifier "%s"', m), format('HELLO refuses %s', m))
FROM unnest(ARRAY['AA/BB/CC/DD/EE/FF', 'AABBCCDDEE+F', 'AABBCCDDEE#F', 'TEST-X/Y', '']) m;
SELECT throws_ok($$SELECT devicewake.record_device_hello(repeat('A', 10000), '{}')$$, '22023',
    'invalid device identifier "' || repeat('A', 80) || '..."', 'HELLO: a 10,000-character MAC');
SELECT throws_ok($$SELECT devicewake.record_device_hello('TEST-DEEP', (repeat('[', 40) || repeat(']', 40))::jsonb)$$,
    '22023', 'invalid HELLO body: JSON nests deeper than 16 levels', 'HELLO: a body nested 40 deep');
SELECT is((SELECT count(*) FROM devicewake.devices WHERE device_mac = 'TEST-DEEP'), 0::bigint,
    'HELLO: the refused body registered no device');

-- ---------------------------------------------------------------- acknowledge_command, cancel_command
SELECT throws_ok($$SELECT devicewake.acknowledge_command(NULL)$$, '22004', 'command id must not be null', 'ack: NULL');
SELECT throws_ok($$SELECT devicewake.acknowledge_command('00000000-0000-4000-8000-000000000000')$$, 'P0002',
    'command 00000000-0000-4000-8000-000000000000 does not exist', 'ack: unknown command');
SELECT throws_ok($$SELECT devicewake.cancel_command(NULL)$$, '22004', 'command id must not be null', 'cancel: NULL');
SELECT throws_ok($$SELECT devicewake.cancel_command('00000000-0000-4000-8000-000000000000')$$, 'P0002',
    'command 00000000-0000-4000-8000-000000000000 does not exist', 'cancel: unknown command');
SELECT throws_ok($$SELECT devicewake.cancel_command('0e000000-0000-4000-8000-0000000000c1')$$, '55000',
    'command 0e000000-0000-4000-8000-0000000000c1 cannot be cancelled: it is acknowledged', 'cancel: a final command');
SELECT throws_ok($$SELECT devicewake.acknowledge_command('0e000000-0000-4000-8000-0000000000c2')$$, '55000',
    'command 0e000000-0000-4000-8000-0000000000c2 cannot be acknowledged: it is pending', 'ack: a command never sent');

-- ---------------------------------------------------------------- image retries and the sweep's schedule
SELECT throws_ok($$SELECT devicewake.queue_image_retry(NULL)$$, '22004', 'image id must not be null', 'retry: NULL image');
SELECT throws_ok($$SELECT devicewake.queue_image_retry('00000000-0000-4000-8000-000000000000')$$, 'P0002',
    'image 00000000-0000-4000-8000-000000000000 does not exist', 'retry: unknown image');
SELECT throws_ok($$SELECT devicewake.retry_failed_images(NULL)$$, '22004', 'device id must not be null', 'retry all: NULL device');
SELECT throws_ok($$SELECT devicewake.retry_failed_images('00000000-0000-4000-8000-000000000000')$$, 'P0002',
    'device 00000000-0000-4000-8000-000000000000 does not exist', 'retry all: unknown device');
SELECT throws_ok($$SELECT devicewake.schedule_timeout_monitor(NULL)$$, '22004', 'schedule must not be null', 'monitor: NULL schedule');
SELECT throws_ok($$SELECT devicewake.schedule_timeout_monitor('bad cron')$$, '22023',
    'invalid cron expression "bad cron": expected 5 fields, found 2', 'monitor: invalid cron');
SELECT throws_ok($$SELECT devicewake.schedule_timeout_monitor(repeat('x', 10000))$$, '22023',
    'invalid cron expression "' || repeat('x', 80) || '...": expected 5 fields, found 1', 'monitor: a 10,000-character schedule');
SELECT throws_ok($$SELECT devicewake.schedule_timeout_monitor('0 0 30 2 *')$$, '22023',
    'invalid cron expression: day-of-month "30" never occurs in month "2"', 'monitor: a schedule that never fires');

-- ---------------------------------------------------------------- what tables refuse
SELECT throws_ok($$INSERT INTO devicewake.devices (device_mac) VALUES ('ESP32CAM/+/cmd')$$, '22023',
    'invalid device identifier "ESP32CAM/+/cmd"', 'devices: a topic as MAC');
SELECT throws_ok($$INSERT INTO devicewake.devices (device_mac) VALUES (NULL)$$, '23502',
    'null value in column "device_mac" of relation "devices" violates not-null constraint', 'devices: NULL MAC');
SELECT throws_ok($$UPDATE devicewake.devices SET device_mac = 'TEST-#' WHERE device_mac = 'TEST-BAD-1'$$, '22023',
    'invalid device identifier "TEST-#"', 'devices: an update to a MAC with #');
SELECT throws_ok($$INSERT INTO devicewake.devices (device_mac, wake_schedule_cron) VALUES ('TEST-BAD-2', '61 * * * *')$$, '22023',
    'invalid cron expression: minute field "61": 61 is out of range 0-59', 'devices: invalid cron');
SELECT throws_ok($$INSERT INTO devicewake.devices (device_mac, wake_schedule_cron) VALUES ('TEST-BAD-2', '0 0 30 2 *')$$, '22023',
    'invalid cron expression: day-of-month "30" never occurs in month "2"', 'devices: a schedule that never fires');
SELECT throws_ok($$INSERT INTO devicewake.devices (device_mac, timezone) VALUES ('TEST-BAD-2', 'Mars/Olympus')$$, '22023',
    'time zone "Mars/Olympus" not recognized', 'devices: unknown time zone');
SELECT throws_ok($$INSERT INTO devicewake.sites (name, timezone) VALUES ('s', 'Mars/Olympus')$$, '22023',
    'time zone "Mars/Olympus" not recognized', 'sites: unknown time zone');
SELECT throws_ok($$INSERT INTO devicewake.sites (name, wake_schedule_cron) VALUES ('s', '* * *')$$, '22023',
    'invalid cron expression "* * *": expected 5 fields, found 3', 'sites: invalid cron');
SELECT throws_ok($$INSERT INTO devicewake.sites (name, timezone) VALUES ('s', NULL)$$, '23502',
    'null value in column "timezone" of relation "sites" violates not-null constraint', 'sites: NULL time zone');
SELECT throws_ok($$INSERT INTO devicewake.device_commands (device_id, command_type) VALUES ('0e000000-0000-4000-8000-0000000000d1', 'self_destruct')$$,
    '23514', 'new row for relation "device_commands" violates check constraint "device_commands_command_type_check"', 'commands: unknown type');
-- what varies between firmware versions, per device
SELECT throws_ok($$UPDATE devicewake.devices SET backlog_mode = 'all' WHERE device_id = '0e000000-0000-4000-8000-0000000000d1'$$,
    '23514', 'new row for relation "devices" violates check constraint "devices_backlog_mode_check"', 'devices: unknown backlog mode');
SELECT throws_ok($$UPDATE devicewake.devices SET captures_per_wake = 11 WHERE device_id = '0e000000-0000-4000-8000-0000000000d1'$$,
    '23514', 'new row for relation "devices" violates check constraint "devices_captures_per_wake_check"', 'devices: captures per wake 11');
SELECT throws_ok($$UPDATE devicewake.devices SET capture_enabled = NULL WHERE device_id = '0e000000-0000-4000-8000-0000000000d1'$$,
    '23502', 'null value in column "capture_enabled" of relation "devices" violates not-null constraint', 'devices: capture on or off, never NULL');
SELECT throws_ok($$INSERT INTO devicewake.device_commands (device_id, command_type, priority) VALUES ('0e000000-0000-4000-8000-0000000000d1', 'ping', 11)$$,
    '23514', 'new row for relation "device_commands" violates check constraint "device_commands_priority_check"', 'commands: priority 11');
SELECT throws_ok($$INSERT INTO devicewake.device_commands (device_id, command_type, priority) VALUES ('0e000000-0000-4000-8000-0000000000d1', 'ping', 0)$$,
    '23514', 'new row for relation "device_commands" violates check constraint "device_commands_priority_check"', 'commands: priority 0');
SELECT throws_ok($$INSERT INTO devicewake.device_commands (device_id, command_type) VALUES ('00000000-0000-4000-8000-000000000000', 'ping')$$,
    '23503', 'insert or update on table "device_commands" violates foreign key constraint "device_commands_device_id_fkey"', 'commands: unknown device');
SELECT throws_ok($$INSERT INTO devicewake.device_commands (device_id, command_type, status) VALUES ('0e000000-0000-4000-8000-0000000000d1', 'ping', 'lost')$$,
    '23514', 'new row for relation "device_commands" violates check constraint "device_commands_status_check"', 'commands: unknown status');
SELECT throws_ok($$INSERT INTO devicewake.device_images (device_id, image_name, status) VALUES ('0e000000-0000-4000-8000-0000000000d1', 'a.jpg', 'weird')$$,
    '23514', 'new row for relation "device_images" violates check constraint "device_images_status_check"', 'images: unknown status');
SELECT throws_ok($$INSERT INTO devicewake.users (role_name) VALUES ('dw_bad_no_such_role')$$,
    '42704', 'role "dw_bad_no_such_role" does not exist', 'users: a role that does not exist (#14 item 8)');

-- ---------------------------------------------------------------- fleet operations (issue 16)
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(NULL::uuid[], now() + interval '1 hour')$$, '22004',
    'device id must not be null', 'batch: NULL array');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['0e000000-0000-4000-8000-0000000000d1', NULL]::uuid[], now() + interval '1 hour')$$,
    '22004', 'device id must not be null', 'batch: a NULL element');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['0e000000-0000-4000-8000-0000000000d1']::uuid[], NULL::timestamptz)$$,
    '22004', 'wake time must not be null', 'batch: NULL time');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['0e000000-0000-4000-8000-0000000000d1']::uuid[], NULL::interval)$$,
    '22004', 'wake interval must not be null', 'batch: NULL interval');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['0e000000-0000-4000-8000-0000000000d1']::uuid[], interval '0')$$,
    '22023', 'wake interval must be positive', 'batch: zero interval');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['0e000000-0000-4000-8000-0000000000d1',
                   '00000000-0000-4000-8000-000000000000']::uuid[], now() + interval '1 hour')$$,
    'P0002', 'device 00000000-0000-4000-8000-000000000000 does not exist', 'batch: an unknown device');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['0e000000-0000-4000-8000-0000000000d1',
                   '0e000000-0000-4000-8000-0000000000d1']::uuid[], now() + interval '1 hour')$$,
    '22023', 'device 0e000000-0000-4000-8000-0000000000d1 is listed more than once', 'batch: a device twice');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['0e000000-0000-4000-8000-0000000000d1']::uuid[], now() - interval '1 hour')$$,
    '22023', 'wake time must be in the future', 'batch: past time');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['0e000000-0000-4000-8000-0000000000d1']::uuid[], now() + interval '31 days')$$,
    '22023', 'wake time must be at most 30 days ahead', 'batch: too far ahead');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['0e000000-0000-4000-8000-0000000000d1',
                   '0e000000-0000-4000-8000-0000000000d2']::uuid[], now() + interval '1 hour')$$,
    '55000', 'device 0e000000-0000-4000-8000-0000000000d2 is inactive', 'batch: an inactive device');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(array_fill('0e000000-0000-4000-8000-0000000000d1'::uuid, ARRAY[100001]), now() + interval '1 hour')$$,
    '54000', 'at most 100000 devices can be woken in one call', 'batch: too many devices');
SELECT throws_ok($$SELECT * FROM devicewake.request_site_wake(NULL, now() + interval '1 hour')$$, '22004',
    'site id and wake time must not be null', 'site wake: NULL site');
SELECT throws_ok($$SELECT * FROM devicewake.request_site_wake('00000000-0000-4000-8000-000000000000', now() + interval '1 hour')$$,
    'P0002', 'site 00000000-0000-4000-8000-000000000000 does not exist', 'site wake: unknown site');
SELECT throws_ok($$SELECT * FROM devicewake.request_site_wake('0e000000-0000-4000-8000-0000000005e1', now() + interval '1 hour')$$,
    '55000', 'site 0e000000-0000-4000-8000-0000000005e1 has no active device', 'site wake: no active device');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '{"command_type":"ping"}')$$,
    '22023', 'then must be a JSON array of commands', 'then: not an array');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour',
                   (SELECT jsonb_agg('{"command_type":"ping"}'::jsonb) FROM generate_series(1, 11)))$$,
    '22023', 'then may hold at most 10 commands', 'then: 11 commands');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '["ping"]')$$,
    '22023', 'then[1] must be a JSON object', 'then: not an object');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '[{"command_type":"ping","device_id":"x"}]')$$,
    '22023', 'then[1] has a key other than command_type, command_payload, priority', 'then: an unknown key');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '[{"command_payload":{}}]')$$,
    '22023', 'then[1] command_type must be a string', 'then: no command_type');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '[{"command_type":"ping"},{"command_type":"sleep"}]')$$,
    '22023', 'then[2] command_type "sleep" cannot be sent by an application', 'then: a conversation message');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '[{"command_type":"set_wake_schedule"}]')$$,
    '22023', 'then[1] command_type "set_wake_schedule" cannot be sent by an application', 'then: the wake itself');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '[{"command_type":"reboot","command_payload":[1]}]')$$,
    '22023', 'then[1] command_payload must be a JSON object', 'then: payload not an object');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '[{"command_type":"update_firmware"}]')$$,
    '22023', 'invalid command_payload for update_firmware: update_firmware needs firmware_url in command_payload', 'then: firmware without url');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour',
                   '[{"command_type":"update_firmware","command_payload":{"firmware_url":"ftp://x/fw.bin"}}]')$$,
    '22023', 'invalid command_payload for update_firmware: firmware_url must start with http:// or https://', 'then: firmware over ftp');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '[{"command_type":"update_config"}]')$$,
    '22023', 'invalid command_payload for update_config: update_config needs at least one setting in command_payload', 'then: empty config');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '[{"command_type":"ping","priority":11}]')$$,
    '22023', 'then[1] priority must be an integer from 1 to 10', 'then: priority 11');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d1', interval '1 hour', '[{"command_type":"ping","priority":1.5}]')$$,
    '22023', 'then[1] priority must be an integer from 1 to 10', 'then: priority 1.5');
SELECT throws_ok($$SELECT devicewake.request_manual_wake('0e000000-0000-4000-8000-0000000000d2', now() + interval '1 hour', '[{"command_type":"ping"}]')$$,
    '55000', 'device 0e000000-0000-4000-8000-0000000000d2 is inactive', 'then: an inactive device');
SELECT throws_ok($$SELECT devicewake.create_campaign(NULL, 'ping', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1"]}')$$,
    '22004', 'campaign name, target, abort minimum and acknowledgement timeout must not be null', 'campaign: NULL name');
SELECT throws_ok($$SELECT devicewake.create_campaign('', 'ping', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1"]}')$$,
    '22023', 'campaign name must be 1 to 200 characters', 'campaign: empty name');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', NULL, '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1"]}')$$,
    '22004', 'campaign command_type must not be null', 'campaign: NULL command type');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'self_destruct', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1"]}')$$,
    '22023', 'campaign command_type "self_destruct" cannot be sent by an application', 'campaign: unknown command type');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'update_firmware', '{"firmware_url":"https://x/a b.bin"}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1"]}')$$,
    '22023', 'invalid command_payload for update_firmware: firmware_url must not contain spaces or control characters', 'campaign: a bad firmware url');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', NULL)$$,
    '22004', 'campaign name, target, abort minimum and acknowledgement timeout must not be null', 'campaign: NULL target');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '["0e000000-0000-4000-8000-0000000000d1"]')$$,
    '22023', 'campaign target must be one of {"device_ids": [...]}, {"site_id": ...}, {"company_id": ...}', 'campaign: target not an object');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"site_id":"0e000000-0000-4000-8000-0000000005e1","company_id":"0e000000-0000-4000-8000-0000000005e1"}')$$,
    '22023', 'campaign target must be one of {"device_ids": [...]}, {"site_id": ...}, {"company_id": ...}', 'campaign: two targets');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"device_ids":[]}')$$,
    '22023', 'campaign target device_ids must be a non-empty array of device ids', 'campaign: no device');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1", 7]}')$$,
    '22023', 'campaign target device_ids[2] is not a uuid', 'campaign: a device id that is not a uuid');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"device_ids":["00000000-0000-4000-8000-000000000000"]}')$$,
    'P0002', 'device 00000000-0000-4000-8000-000000000000 does not exist', 'campaign: an unknown device');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1","0e000000-0000-4000-8000-0000000000d1"]}')$$,
    '22023', 'device 0e000000-0000-4000-8000-0000000000d1 is listed more than once', 'campaign: a device twice');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d2"]}')$$,
    '55000', 'device 0e000000-0000-4000-8000-0000000000d2 is inactive', 'campaign: an inactive device');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"site_id":"00000000-0000-4000-8000-000000000000"}')$$,
    'P0002', 'site 00000000-0000-4000-8000-000000000000 does not exist', 'campaign: an unknown site');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"site_id":"0e000000-0000-4000-8000-0000000005e1"}')$$,
    '55000', 'site 0e000000-0000-4000-8000-0000000005e1 has no active device', 'campaign: a site without active device');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"company_id":"00000000-0000-4000-8000-000000000000"}')$$,
    'P0002', 'company 00000000-0000-4000-8000-000000000000 does not exist', 'campaign: an unknown company');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"site_id":"not-a-uuid"}')$$,
    '22023', 'campaign target site_id is not a uuid', 'campaign: a site id that is not a uuid');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1"]}', 0)$$,
    '22023', 'max_per_minute must be between 1 and 100000', 'campaign: a pace of 0');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1"]}', 10, 0)$$,
    '22023', 'abort_failure_ratio must be greater than 0 and at most 1', 'campaign: a ratio of 0');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1"]}', 10, 1.5)$$,
    '22023', 'abort_failure_ratio must be greater than 0 and at most 1', 'campaign: a ratio above 1');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1"]}', 10, 0.2, 0)$$,
    '22023', 'abort_min_devices must be at least 1', 'campaign: a minimum of 0');
SELECT throws_ok($$SELECT devicewake.create_campaign('c', 'ping', '{}', '{"device_ids":["0e000000-0000-4000-8000-0000000000d1"]}', 10, 0.2, 10, interval '0')$$,
    '22023', 'acknowledgement timeout must be between 1 second and 30 days', 'campaign: a zero timeout');
SELECT throws_ok($$SELECT devicewake.pause_campaign(NULL)$$, '22004', 'campaign id must not be null', 'pause: NULL');
SELECT throws_ok($$SELECT devicewake.resume_campaign('00000000-0000-4000-8000-000000000000')$$, 'P0002',
    'campaign 00000000-0000-4000-8000-000000000000 does not exist', 'resume: unknown campaign');
SELECT throws_ok($$SELECT devicewake.cancel_campaign('00000000-0000-4000-8000-000000000000')$$, 'P0002',
    'campaign 00000000-0000-4000-8000-000000000000 does not exist', 'cancel campaign: unknown campaign');
SELECT throws_ok($$SELECT * FROM devicewake.events_since(NULL)$$, '22004', 'events_since arguments must not be null', 'feed: NULL cursor');
SELECT throws_ok($$SELECT * FROM devicewake.events_since(0, 0)$$, '22023', 'limit must be between 1 and 1000', 'feed: limit 0');
SELECT throws_ok($$SELECT * FROM devicewake.events_since(0, 1001)$$, '22023', 'limit must be between 1 and 1000', 'feed: limit 1001');
SELECT throws_ok($$SELECT devicewake.prune_events(NULL)$$, '22004', 'retention must not be null', 'prune: NULL');
SELECT throws_ok($$SELECT devicewake.prune_events(interval '5 minutes')$$, '22023', 'retention must be at least 1 hour', 'prune: 5 minutes');

-- ---------------------------------------------------------------- nothing changed
SELECT is((SELECT string_agg(b.name, ', ' ORDER BY b.name) FROM fingerprint_before b
           LEFT JOIN fingerprint_now a USING (name) WHERE a.digest IS DISTINCT FROM b.digest OR a.n IS DISTINCT FROM b.n),
          NULL, 'no table changed: every refused call left every row as it was');
SELECT is((SELECT n FROM fingerprint_now WHERE name = 'device_commands'), 2::bigint, 'device_commands still holds its two rows');
SELECT is((SELECT n FROM fingerprint_now WHERE name = 'devices'), 2::bigint, 'devices still holds its two rows');

SELECT * FROM finish();
ROLLBACK;
