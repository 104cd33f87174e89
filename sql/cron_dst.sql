-- Daylight saving time (docs/design.md §3), with named dates in each zone:
--  gap (spring forward): a wall time that does not exist is read with the offset in force just
--    before the transition, exactly as AT TIME ZONE reads it;
--  overlap (fall back): a repeated wall time fires once, at its first occurrence, unless the
--    schedule is a wildcard one (minute or hour field begins with '*'), which fires in both.
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.wakes(p_zone text, p_cron text, p_from timestamptz, p_count int)
RETURNS TABLE (wake_utc timestamptz, wall_clock timestamp) LANGUAGE sql AS
$$ SELECT w, w AT TIME ZONE p_zone FROM devicewake.next_wake_times(p_from, p_cron, p_zone, p_count) w $$;

-- America/New_York: 2025-03-09 02:00 EST -> 03:00 EDT; 2025-11-02 02:00 EDT -> 01:00 EST
SELECT * FROM pg_temp.wakes('America/New_York', '30 2 * * *', '2025-03-08 12:00+00', 3);
SELECT devicewake.fn_calculate_next_wake_time('2025-03-08 12:00+00', '30 2 * * *', 'America/New_York')
     = ('2025-03-09 02:30'::timestamp AT TIME ZONE 'America/New_York') AS same_as_at_time_zone;
SELECT * FROM pg_temp.wakes('America/New_York', '*/30 * * * *', '2025-03-09 06:00+00', 5);
SELECT * FROM pg_temp.wakes('America/New_York', '30 1 * * *', '2025-11-01 12:00+00', 2);
SELECT * FROM pg_temp.wakes('America/New_York', '30 * * * *', '2025-11-02 04:00+00', 4);
SELECT * FROM pg_temp.wakes('America/New_York', '*/30 1 * * *', '2025-11-02 04:00+00', 5);
-- the rules hold in the far future (the zone's POSIX rule beyond its transition table)
SELECT * FROM pg_temp.wakes('America/New_York', '30 2 * * *', '2100-03-13 12:00+00', 2);
SELECT * FROM pg_temp.wakes('America/New_York', '30 1 * * *', '2100-11-06 12:00+00', 2);

-- Europe/London: 2025-03-30 01:00 GMT -> 02:00 BST; 2025-10-26 02:00 BST -> 01:00 GMT
SELECT * FROM pg_temp.wakes('Europe/London', '30 1 * * *', '2025-03-29 12:00+00', 2);
SELECT * FROM pg_temp.wakes('Europe/London', '30 1 * * *', '2025-10-25 12:00+00', 2);
SELECT * FROM pg_temp.wakes('Europe/London', '15 * * * *', '2025-10-25 23:30+00', 3);

-- Australia/Sydney: 2025-04-06 03:00 AEDT -> 02:00 AEST; 2025-10-05 02:00 AEST -> 03:00 AEDT
SELECT * FROM pg_temp.wakes('Australia/Sydney', '30 2 * * *', '2025-04-05 00:00+00', 2);
SELECT * FROM pg_temp.wakes('Australia/Sydney', '30 2 * * *', '2025-10-04 00:00+00', 2);
SELECT * FROM pg_temp.wakes('Australia/Sydney', '0 * * * *', '2025-04-05 14:30+00', 3);

-- Australia/Lord_Howe: 30-minute DST. 2025-04-06 02:00 (+11) -> 01:30 (+10:30);
-- 2025-10-05 02:00 (+10:30) -> 02:30 (+11)
SELECT * FROM pg_temp.wakes('Australia/Lord_Howe', '45 1 * * *', '2025-04-05 00:00+00', 2);
SELECT * FROM pg_temp.wakes('Australia/Lord_Howe', '*/15 * * * *', '2025-04-05 14:30+00', 4);
SELECT * FROM pg_temp.wakes('Australia/Lord_Howe', '15 2 * * *', '2025-10-04 00:00+00', 2);
SELECT * FROM pg_temp.wakes('Australia/Lord_Howe', '*/15 * * * *', '2025-10-04 15:00+00', 4);

-- Asia/Kathmandu: +05:45 since 1986-01-01 00:00 (+05:30), when 00:00-00:15 was skipped
SELECT * FROM pg_temp.wakes('Asia/Kathmandu', '0 6 * * *', '2025-06-10 12:00+00', 2);
SELECT * FROM pg_temp.wakes('Asia/Kathmandu', '5 0 1 1 *', '1985-06-01 00:00+00', 2);

-- Pacific/Apia skipped 2011-12-30 (29th 23:59:59 at -10, then 31st 00:00 at +14): the 30th's
-- wall times are read with -10; its 06:00 and the 31st's 06:00 are the same instant
SELECT * FROM pg_temp.wakes('Pacific/Apia', '0 6 * * *', '2011-12-28 12:00+00', 4);
SELECT devicewake.fn_calculate_next_wake_time('2011-12-01 00:00+00', '0 6 30 12 *', 'Pacific/Apia') AS dec_30,
       '2011-12-30 06:00'::timestamp AT TIME ZONE 'Pacific/Apia' AS at_time_zone;

-- America/Sao_Paulo: DST until 2019 (2018-02-18 00:00 -02 -> 2018-02-17 23:00 -03;
-- 2018-11-04 00:00 -03 -> 01:00 -02, a gap at midnight); none since
SELECT * FROM pg_temp.wakes('America/Sao_Paulo', '30 23 * * *', '2018-02-16 12:00+00', 3);
SELECT * FROM pg_temp.wakes('America/Sao_Paulo', '30 0 * * *', '2018-11-03 00:00+00', 2);
SELECT * FROM pg_temp.wakes('America/Sao_Paulo', '30 0 * * *', '2019-11-02 00:00+00', 2);
SELECT * FROM pg_temp.wakes('America/Sao_Paulo', '30 0 * * *', '2025-11-01 00:00+00', 2);

-- Wherever a wall time is unambiguous the result is what AT TIME ZONE says, in every zone
-- PostgreSQL knows: noon on the 10th of each month of 2025 and 2100
SELECT count(*) > 5000 AS thousands_checked,
       count(*) FILTER (WHERE devicewake.fn_calculate_next_wake_time(d::timestamp AT TIME ZONE z.name - interval '1 day', '0 12 10 * *', z.name)
                              IS DISTINCT FROM (d::timestamp AT TIME ZONE z.name)) AS disagreeing
FROM pg_timezone_names z,
     LATERAL (SELECT generate_series(timestamp '2025-01-10 12:00', '2025-12-10 12:00', '1 month') d
              UNION ALL SELECT generate_series(timestamp '2100-01-10 12:00', '2100-12-10 12:00', '1 month')) s
WHERE z.name NOT LIKE 'posix/%';
