-- The cron engine's contract (docs/design.md §3): signatures, volatility, privileges with real roles,
-- the domain on sites/devices, and the SQLSTATE of every user error.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(20);

SELECT has_function('devicewake', 'fn_calculate_next_wake_time', ARRAY['timestamp with time zone', 'text', 'text']);
SELECT function_returns('devicewake', 'fn_calculate_next_wake_time', ARRAY['timestamp with time zone', 'text', 'text'],
                        'timestamp with time zone');
SELECT volatility_is('devicewake', 'fn_calculate_next_wake_time', ARRAY['timestamp with time zone', 'text', 'text'], 'stable');
SELECT is_strict('devicewake', 'fn_calculate_next_wake_time', ARRAY['timestamp with time zone', 'text', 'text']);
SELECT has_function('devicewake', 'next_wake_times', ARRAY['timestamp with time zone', 'text', 'text', 'integer']);
SELECT function_returns('devicewake', 'next_wake_times', ARRAY['timestamp with time zone', 'text', 'text', 'integer'],
                        'setof timestamp with time zone');
SELECT volatility_is('devicewake', 'check_cron_expression', ARRAY['text'], 'immutable');
SELECT has_domain('devicewake', 'cron_schedule', 'the cron_schedule domain exists');
SELECT col_type_is('devicewake', 'sites', 'wake_schedule_cron', 'devicewake', 'cron_schedule',
                   'sites.wake_schedule_cron is a cron_schedule');
SELECT col_type_is('devicewake', 'devices', 'wake_schedule_cron', 'devicewake', 'cron_schedule',
                   'devices.wake_schedule_cron is a cron_schedule');

-- the default time zone is UTC; parallel safe for PostgREST and parallel plans
SELECT is(devicewake.fn_calculate_next_wake_time('2025-06-10 14:31+00', '0 6 * * *'),
          '2025-06-11 06:00+00'::timestamptz, 'the seed example: manual wake at 14:31 -> tomorrow 06:00');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'devicewake.fn_calculate_next_wake_time(timestamptz, text, text)'::regprocedure),
          's', 'fn_calculate_next_wake_time is parallel safe');

SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '61 * * * *')$$, '22023',
                 'invalid cron expression: minute field "61": 61 is out of range 0-59', 'a bad field is 22023');
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *', 'Atlantis/Capital')$$, '22023',
                 'time zone "Atlantis/Capital" not recognized', 'an unknown zone is 22023');
SELECT throws_ok($$SELECT devicewake.next_wake_times(now(), '0 6 * * *', 'UTC', 1001)$$, '22023',
                 'p_count must be between 0 and 1000, not 1001', 'too many previews is 22023');
SELECT throws_ok($$INSERT INTO devicewake.sites (name, wake_schedule_cron) VALUES ('x', '0 0 30 2 *')$$, '22023',
                 'invalid cron expression: day-of-month "30" never occurs in month "2"',
                 'a schedule that can never fire cannot be stored');

-- privileges with real roles: viewers may call the functions, a role outside the three may not
SET LOCAL ROLE devicewake_viewer;
SELECT is(devicewake.fn_calculate_next_wake_time('2025-06-10 14:31+00', '0 6 * * *', 'Europe/Paris'),
          '2025-06-11 04:00+00'::timestamptz, 'a viewer may compute wake times');
SELECT is((SELECT count(*) FROM devicewake.next_wake_times(now(), '@hourly', 'UTC', 3)), 3::bigint,
          'a viewer may preview wake times');
RESET ROLE;
CREATE ROLE cron_outsider NOLOGIN;
GRANT USAGE ON SCHEMA devicewake TO cron_outsider;
SET LOCAL ROLE cron_outsider;
SELECT throws_ok($$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *')$$, '42501', NULL,
                 'PUBLIC may not call fn_calculate_next_wake_time');
SELECT throws_ok($$SELECT devicewake.check_cron_expression('0 6 * * *')$$, '42501', NULL,
                 'PUBLIC may not call check_cron_expression');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
