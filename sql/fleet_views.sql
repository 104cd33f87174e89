-- manual_wake_overrides and fleet_health: which devices they list, and why.
\set VERBOSITY terse
SET timezone = 'UTC';
INSERT INTO devicewake.devices (device_mac, next_wake_at, last_seen_at, battery_voltage, is_active, created_at) VALUES
    ('TEST-FH-healthy',     now() + interval '1 hour',  now() - interval '1 hour',  3.9,  true,  now() - interval '7 days'),
    ('TEST-FH-missed',      now() - interval '1 hour',  now() - interval '5 hours', 3.9,  true,  now() - interval '7 days'),
    ('TEST-FH-in-grace',    now() - interval '10 minutes', now() - interval '5 hours', 3.9, true, now() - interval '7 days'),
    ('TEST-FH-seen-after',  now() - interval '1 hour',  now() - interval '30 minutes', 3.9, true, now() - interval '7 days'),
    ('TEST-FH-low-battery', now() + interval '1 hour',  now() - interval '1 hour',  3.35, true,  now() - interval '7 days'),
    ('TEST-FH-offline',     NULL,                       now() - interval '25 hours', NULL, true,  now() - interval '7 days'),
    ('TEST-FH-never-seen',  NULL,                       NULL,                        NULL, true,  now() - interval '2 days'),
    ('TEST-FH-new',         NULL,                       NULL,                        NULL, true,  now() - interval '1 hour'),
    ('TEST-FH-everything',  now() - interval '2 days',  now() - interval '3 days',   3.1, true,  now() - interval '7 days'),
    ('TEST-FH-inactive',    now() - interval '2 days',  now() - interval '3 days',   3.1, false, now() - interval '7 days');
SELECT device_mac, reason,
       split_part(details, ' ', 1) || ' ' || split_part(details, ' ', 2) AS details_start
FROM devicewake.fleet_health WHERE device_mac LIKE 'TEST-FH-%' ORDER BY device_mac, reason;

-- manual_wake_overrides: only devices with an active override; the newest pending command.
UPDATE devicewake.devices SET manual_wake_override = true, manual_wake_requested_at = now(),
                              next_wake_at = now() + interval '1 hour'
WHERE device_mac = 'TEST-FH-healthy';
INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, status, issued_at)
SELECT device_id, 'set_wake_schedule', jsonb_build_object('n', n), s, now() - n * interval '1 minute'
FROM devicewake.devices, (VALUES (1, 'pending'), (2, 'pending'), (0, 'cancelled')) v(n, s)
WHERE device_mac = 'TEST-FH-healthy';
SELECT device_mac, requested_by, requested_by_name, wake_at - requested_at AS wakes_after,
       command_status, command_payload
FROM devicewake.manual_wake_overrides;
DELETE FROM devicewake.devices WHERE device_mac LIKE 'TEST-FH-%';
