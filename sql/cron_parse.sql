-- Cron dialect (docs/design.md §3): every form the parser accepts, shown through the preview function,
-- and every parse error with its message (SQLSTATE 22023, naming the field and the text).
SET timezone = 'UTC';
-- fields, ranges, steps, lists
SELECT * FROM devicewake.next_wake_times('2025-06-10 00:00+00', '5,10-11,*/20 0-23/12 * * *', 'UTC', 8);
SELECT * FROM devicewake.next_wake_times('2025-06-10 00:00+00', '50/5 23 * * *', 'UTC', 3);
SELECT * FROM devicewake.next_wake_times('2025-01-01 00:00+00', '0 0 1 */4 *', 'UTC', 3);
SELECT * FROM devicewake.next_wake_times('2025-01-01 00:00+00', '0 0 1 10/1 *', 'UTC', 4);
-- names, case-insensitive; 0 and 7 are Sunday
SELECT * FROM devicewake.next_wake_times('2025-01-01 00:00+00', '0 0 1 jan-MAR,Dec *', 'UTC', 4);
SELECT d, to_char(d, 'Dy') FROM devicewake.next_wake_times('2025-06-01 00:00+00', '0 12 * * mon-WED,sat', 'UTC', 5) d;
SELECT d, to_char(d, 'Dy') FROM devicewake.next_wake_times('2025-06-01 00:00+00', '0 12 * * 7', 'UTC', 2) d;
SELECT d, to_char(d, 'Dy') FROM devicewake.next_wake_times('2025-06-01 00:00+00', '0 12 * * 0', 'UTC', 2) d;
SELECT d, to_char(d, 'Dy') FROM devicewake.next_wake_times('2025-06-01 00:00+00', '0 12 * * 5-7', 'UTC', 3) d;
-- L (last day of month), nL (last weekday of month), n#k (k-th weekday of month)
SELECT * FROM devicewake.next_wake_times('2024-01-15 00:00+00', '0 0 L * *', 'UTC', 3);
SELECT d, to_char(d, 'Dy') FROM devicewake.next_wake_times('2025-01-01 00:00+00', '0 0 * * 5L', 'UTC', 3) d;
SELECT d, to_char(d, 'Dy') FROM devicewake.next_wake_times('2025-01-01 00:00+00', '0 0 * * MON#2', 'UTC', 3) d;
SELECT d, to_char(d, 'Dy') FROM devicewake.next_wake_times('2025-01-01 00:00+00', '0 0 * * 4#5', 'UTC', 3) d;
-- both day fields restricted: either matches (Vixie); one starting with '*': both must match
SELECT d, to_char(d, 'Dy') FROM devicewake.next_wake_times('2025-06-01 00:00+00', '0 9 13 * 5', 'UTC', 4) d;
SELECT d, to_char(d, 'Dy') FROM devicewake.next_wake_times('2025-06-01 00:00+00', '0 9 */13 * 5', 'UTC', 3) d;
-- macros
SELECT m, devicewake.fn_calculate_next_wake_time('2025-06-10 14:31+00', m)
FROM unnest(ARRAY['@yearly', '@ANNUALLY', '@monthly', '@weekly', '@daily', '@Midnight', '@hourly']) m;
-- leap day: the cost does not depend on the distance (see bench/cron.sh); 2100 is not a leap year
SELECT devicewake.fn_calculate_next_wake_time('2025-03-01 00:00+00', '0 0 29 2 *');
SELECT devicewake.fn_calculate_next_wake_time('2096-03-01 00:00+00', '0 0 29 2 *');
SELECT devicewake.fn_calculate_next_wake_time('2025-01-01 00:00+00', '0 0 * 2 5#5');
-- blanks around and between fields
SELECT devicewake.check_cron_expression(E'  0\t6   * *  *  ');

-- parse errors
\set VERBOSITY terse
SELECT devicewake.check_cron_expression('');
SELECT devicewake.check_cron_expression('* * * *');
SELECT devicewake.check_cron_expression('0 0 * * * *');
SELECT devicewake.check_cron_expression('@reboot');
SELECT devicewake.check_cron_expression('60 * * * *');
SELECT devicewake.check_cron_expression('0 24 * * *');
SELECT devicewake.check_cron_expression('0 0 0 * *');
SELECT devicewake.check_cron_expression('0 0 32 * *');
SELECT devicewake.check_cron_expression('0 0 * 13 *');
SELECT devicewake.check_cron_expression('0 0 * * 8');
SELECT devicewake.check_cron_expression('x * * * *');
SELECT devicewake.check_cron_expression('0 0 * FOO *');
SELECT devicewake.check_cron_expression('0 0 * * FUN');
SELECT devicewake.check_cron_expression('5-1 * * * *');
SELECT devicewake.check_cron_expression('*/0 * * * *');
SELECT devicewake.check_cron_expression('*/ * * * *');
SELECT devicewake.check_cron_expression('*/x * * * *');
SELECT devicewake.check_cron_expression('0 */25 * * *');
SELECT devicewake.check_cron_expression('1,,2 * * * *');
SELECT devicewake.check_cron_expression('-1 * * * *');
SELECT devicewake.check_cron_expression('0 0 * * 1#6');
SELECT devicewake.check_cron_expression('0 0 * * 1#');
SELECT devicewake.check_cron_expression('0 0 * * 8L');
SELECT devicewake.check_cron_expression('0 0 * * L');
SELECT devicewake.check_cron_expression('0 0 LW * *');
SELECT devicewake.check_cron_expression('0 0 15W * *');
SELECT devicewake.check_cron_expression('0 0 ? * *');
SELECT devicewake.check_cron_expression('0 L * * *');
-- expressions that can never fire
SELECT devicewake.check_cron_expression('0 0 30 2 *');
SELECT devicewake.check_cron_expression('0 0 31 4,6,9,11 *');
SELECT devicewake.check_cron_expression('0 0 31 FEB *');
-- ...are NULL when they reach the function, and preview nothing
SELECT devicewake.fn_calculate_next_wake_time(now(), '0 0 30 2 *') IS NULL AS never_fires;
SELECT count(*) FROM devicewake.next_wake_times(now(), '0 0 31 4 *', 'UTC', 10);
-- the functions refuse what does not parse
SELECT devicewake.fn_calculate_next_wake_time(now(), '*/15 * * *');
SELECT devicewake.next_wake_times(now(), '0 25 * * *', 'UTC', 3);
-- detail and hint
\set VERBOSITY default
SELECT devicewake.check_cron_expression('0 6 * * MON-FRY');
SELECT devicewake.check_cron_expression('0 0 30 2 *');
SELECT devicewake.fn_calculate_next_wake_time(now(), '0 6 * *');
