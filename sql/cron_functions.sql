-- fn_calculate_next_wake_time, next_wake_times and the cron_schedule domain: the seed example,
-- NULLs, time zone names, preview limits, per-row caching, and what sites/devices may store.
SET timezone = 'UTC';
-- the seed example: daily 06:00 UTC; a manual wake at 14:31 -> next wake tomorrow 06:00
SELECT devicewake.fn_calculate_next_wake_time('2025-06-10 14:31+00', '0 6 * * *');
SELECT devicewake.fn_calculate_next_wake_time('2025-06-10 14:31+00', '0 6 * * *', 'UTC');
-- the next slot strictly after the instant; seconds and microseconds count
SELECT devicewake.fn_calculate_next_wake_time('2025-06-10 06:00+00', '0 6 * * *');
SELECT devicewake.fn_calculate_next_wake_time('2025-06-10 05:59:59.999999+00', '0 6 * * *');
SELECT devicewake.fn_calculate_next_wake_time('2025-06-10 06:00:00.000001+00', '* * * * *');
-- */N is a schedule, not NULL; the old bug collapsed daily schedules into hourly ones
SELECT devicewake.fn_calculate_next_wake_time('2025-06-10 14:31+00', '*/15 * * * *');
SELECT devicewake.fn_calculate_next_wake_time('2025-06-10 14:31+00', '0 8 * * *', 'Europe/Paris');
-- NULL in, NULL out; infinite instants have no next wake
SELECT devicewake.fn_calculate_next_wake_time(NULL, '0 6 * * *') IS NULL AS null_instant,
       devicewake.fn_calculate_next_wake_time(now(), NULL) IS NULL AS null_expression,
       devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *', NULL) IS NULL AS null_zone,
       devicewake.fn_calculate_next_wake_time('infinity', '0 6 * * *') IS NULL AS infinite;
SELECT count(*) FROM devicewake.next_wake_times(NULL, '0 6 * * *', 'UTC', 3);
-- the ends of timestamptz's range: local mean time in 4713 BC; beyond 294276 AD there is no next wake
SELECT devicewake.fn_calculate_next_wake_time('4713-11-24 00:00+00 BC', '0 6 * * *', 'America/New_York');
SELECT devicewake.fn_calculate_next_wake_time('294276-12-31 12:00+00', '0 6 * * *') IS NULL AS out_of_range;
SELECT devicewake.fn_calculate_next_wake_time('294270-12-30 12:00+00', '0 0 29 2 *', 'Europe/London');
-- time zones: any name AT TIME ZONE accepts (full names, abbreviations, POSIX specifications),
-- with AT TIME ZONE's meaning (POSIX offsets count west of Greenwich)
SELECT z, devicewake.fn_calculate_next_wake_time('2025-06-10 12:00+00', '0 6 * * *', z) AS next_wake,
       devicewake.fn_calculate_next_wake_time('2025-06-10 12:00+00', '0 6 * * *', z)
         = ('2025-06-11 06:00'::timestamp AT TIME ZONE z) AS same_as_at_time_zone
FROM unnest(ARRAY['utc', 'Europe/Berlin', 'EST', 'est', 'CEST', 'MSK', 'UTC+3', '+05:30', '-03',
                  'Asia/Kathmandu', 'America/Argentina/Buenos_Aires', '<+0330>-3:30',
                  'EST5EDT,M3.2.0,M11.1.0']) z;
\set VERBOSITY terse
SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *', 'Mars/Olympus_Mons');
SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *', '');
SELECT * FROM devicewake.next_wake_times(now(), '0 6 * * *', 'Europe/Londres', 3);
-- preview limits
SELECT count(*) FROM devicewake.next_wake_times('2025-01-01 00:00+00', '* * * * *', 'UTC', 1000);
SELECT count(*) FROM devicewake.next_wake_times('2025-01-01 00:00+00', '* * * * *', 'UTC', 0);
SELECT * FROM devicewake.next_wake_times(now(), '0 6 * * *', 'UTC', -1);
SELECT * FROM devicewake.next_wake_times(now(), '0 6 * * *', 'UTC', 1001);
-- one statement, many rows: expressions and zones change from row to row
SELECT c, z, devicewake.fn_calculate_next_wake_time('2025-06-10 12:00+00', c, z)
FROM (VALUES ('0 6 * * *', 'UTC'), ('0 6 * * *', 'UTC'), ('0 6 * * *', 'Asia/Tokyo'),
             ('30 7 * * 1-5', 'Asia/Tokyo'), ('30 7 * * 1-5', 'America/Chicago'),
             ('0 6 * * *', 'America/Chicago')) v(c, z);
-- more distinct expressions and zones than the per-call cache holds, interleaved
SELECT count(*) AS rows,
       count(*) FILTER (WHERE devicewake.fn_calculate_next_wake_time('2025-06-10 12:00'::timestamp AT TIME ZONE z, m || ' 6 * * *', z)
                              = ('2025-06-11 06:00'::timestamp AT TIME ZONE z) + m * interval '1 minute') AS right
FROM generate_series(0, 59) m, generate_series(1, 3) k,
     unnest(ARRAY['UTC', 'Asia/Tokyo', 'Europe/Paris', 'America/Chicago', 'Asia/Kolkata', 'Etc/GMT+1',
                  'Etc/GMT+2', 'Etc/GMT+3', 'Etc/GMT+4', 'Etc/GMT+5', 'Etc/GMT+6', 'Etc/GMT+7', 'Etc/GMT+8',
                  'Etc/GMT+9', 'Etc/GMT+10', 'Etc/GMT+11', 'Etc/GMT+12', 'Etc/GMT-1', 'Etc/GMT-2']) z;
SELECT c, devicewake.fn_calculate_next_wake_time('2025-06-10 12:00+00', c)
FROM (VALUES ('0 6 * * *'), ('0 25 * * *'), ('0 7 * * *')) v(c);

-- what sites and devices may store: the cron_schedule domain
INSERT INTO devicewake.sites (name, wake_schedule_cron) VALUES ('Farm', '0 6 * * *') RETURNING name, wake_schedule_cron;
INSERT INTO devicewake.sites (name, wake_schedule_cron) VALUES ('Barn', '@daily') RETURNING name, wake_schedule_cron;
INSERT INTO devicewake.sites (name) VALUES ('No schedule') RETURNING name, wake_schedule_cron;
INSERT INTO devicewake.sites (name, wake_schedule_cron) VALUES ('Bad', '0 6 * *');
INSERT INTO devicewake.sites (name, wake_schedule_cron) VALUES ('Never', '0 0 30 2 *');
UPDATE devicewake.sites SET wake_schedule_cron = '99 * * * *' WHERE name = 'Farm';
INSERT INTO devicewake.devices (device_mac, wake_schedule_cron) VALUES ('TEST-cron-1', '*/30 6-18 * * MON-FRI')
    RETURNING device_mac, wake_schedule_cron;
INSERT INTO devicewake.devices (device_mac, wake_schedule_cron) VALUES ('TEST-cron-2', '0 0 31 4,6,9,11 *');
INSERT INTO devicewake.devices (device_mac, wake_schedule_cron) VALUES ('TEST-cron-3', 'every day at six');
-- a stored schedule in its device's zone
SELECT d.device_mac, devicewake.fn_calculate_next_wake_time('2025-06-10 14:31+00', d.wake_schedule_cron, 'Europe/London')
FROM devicewake.devices d WHERE d.device_mac = 'TEST-cron-1';
-- the domain's error, with its detail
\set VERBOSITY default
INSERT INTO devicewake.devices (device_mac, wake_schedule_cron) VALUES ('TEST-cron-4', '0 6 31 2 *');
-- every user error is SQLSTATE 22023 (invalid_parameter_value)
DO $$
DECLARE
    v_call text;
BEGIN
    FOREACH v_call IN ARRAY ARRAY[
        $c$SELECT devicewake.check_cron_expression('61 * * * *')$c$,
        $c$SELECT devicewake.check_cron_expression('0 0 30 2 *')$c$,
        $c$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * *')$c$,
        $c$SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * * *', 'Nowhere/Land')$c$,
        $c$SELECT devicewake.next_wake_times(now(), '0 6 * * *', 'UTC', 5000)$c$,
        $c$SELECT '0 6 * * * *'::devicewake.cron_schedule$c$] LOOP
        BEGIN
            EXECUTE v_call;
            RAISE NOTICE 'no error: %', v_call;
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE NOTICE '% -> %', SQLSTATE, SQLERRM;
        END;
    END LOOP;
END
$$;
-- privileges: viewers (and so operators and admins) may call the functions
SELECT has_function_privilege('devicewake_viewer', 'devicewake.fn_calculate_next_wake_time(timestamptz, text, text)', 'EXECUTE') AS viewer,
       has_function_privilege('devicewake_viewer', 'devicewake.next_wake_times(timestamptz, text, text, integer)', 'EXECUTE') AS viewer_preview,
       has_function_privilege('devicewake_viewer', 'devicewake.check_cron_expression(text)', 'EXECUTE') AS viewer_check;
SELECT p.proname, p.provolatile, p.proparallel, p.proisstrict
FROM pg_proc p WHERE p.pronamespace = 'devicewake'::regnamespace
  AND p.proname IN ('fn_calculate_next_wake_time', 'next_wake_times', 'check_cron_expression') ORDER BY 1;
-- leave nothing behind for the feature files that follow
DELETE FROM devicewake.devices WHERE device_mac LIKE 'TEST-cron-%';
DELETE FROM devicewake.sites WHERE name IN ('Farm', 'Barn', 'No schedule');
