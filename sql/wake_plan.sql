-- The next wake a device is told (32_wake_plan.sql): schedule slots, manual wakes, relays for
-- wakes more than 24 h away (a camera is told a time of day without a date), the default
-- schedule of unassigned devices, set_wake_schedule payloads, and HELLOs of relay and manual wakes.
\set VERBOSITY terse
SET timezone = 'UTC';

INSERT INTO devicewake.sites (site_id, name, timezone, wake_schedule_cron) VALUES
    ('00000000-0000-4000-8000-0000000020b1', 'Every 3 h', 'UTC', '0 */3 * * *'),
    ('00000000-0000-4000-8000-0000000020b2', 'Weekly', 'Europe/Paris', '0 6 * * MON');
INSERT INTO devicewake.devices (device_id, device_mac, site_id) VALUES
    ('00000000-0000-4000-8000-0000000020d1', 'B8F862002001', '00000000-0000-4000-8000-0000000020b1'),
    ('00000000-0000-4000-8000-0000000020d2', 'B8F862002002', '00000000-0000-4000-8000-0000000020b2'),
    ('00000000-0000-4000-8000-0000000020d3', 'B8F862002003', NULL);

-- A regular schedule: the next slot, never a relay.
SELECT wake_at, relay FROM devicewake._wake_plan('00000000-0000-4000-8000-0000000020d1', '2026-12-02 10:31+00');
-- A weekly schedule (Monday 06:00 Paris) seen on a Wednesday: a relay 23 h ahead, a whole minute.
SELECT wake_at, relay FROM devicewake._wake_plan('00000000-0000-4000-8000-0000000020d2', '2026-12-02 10:31:45+00');
-- ... and the Sunday before: the slot itself is within 24 h.
SELECT wake_at, relay FROM devicewake._wake_plan('00000000-0000-4000-8000-0000000020d2', '2026-12-06 07:00+00');
-- Unassigned, no schedule: devicewake.default_wake_schedule (0 */3 * * *, UTC), never now + 24 h.
SELECT wake_at, relay FROM devicewake._wake_plan('00000000-0000-4000-8000-0000000020d3', '2026-12-02 10:31+00');
-- the settings refuse what the worker could not use (the core's own validators)
\set VERBOSITY default
ALTER SYSTEM SET devicewake.default_wake_schedule = 'every day';
ALTER SYSTEM SET devicewake.default_wake_schedule = '0 0 30 2 *';
ALTER SYSTEM SET devicewake.topic_prefix = 'fleet 1';
ALTER SYSTEM SET devicewake.topic_prefix = 'ESP32CAM,+';
ALTER SYSTEM SET devicewake.topic_prefix = 'ESP32CAM, ESP32CAM';
ALTER SYSTEM SET devicewake.topic_prefix = 'ESP32CAM, device';
ALTER SYSTEM RESET devicewake.topic_prefix;
\set VERBOSITY terse
-- Unknown device: no row.
SELECT wake_at IS NULL AND relay IS NULL AS nothing FROM devicewake._wake_plan('00000000-0000-4000-8000-00000000ffff', now());

-- A manual wake: the earlier of it and the schedule's slot; 3 days ahead it waits behind the
-- regular wakes (3-hourly) or relays (weekly); once it is within 24 h it is told as it is.
UPDATE devicewake.devices SET manual_wake_override = true, manual_wake_at = '2026-12-05 14:31+00'
WHERE device_id IN ('00000000-0000-4000-8000-0000000020d1', '00000000-0000-4000-8000-0000000020d2');
SELECT device_mac, p.wake_at, p.relay
FROM devicewake.devices d, devicewake._wake_plan(d.device_id, '2026-12-02 10:31+00') p
WHERE d.manual_wake_override ORDER BY device_mac;
SELECT device_mac, p.wake_at, p.relay
FROM devicewake.devices d, devicewake._wake_plan(d.device_id, '2026-12-05 12:10+00') p
WHERE d.manual_wake_override ORDER BY device_mac;
SELECT device_mac, p.wake_at, p.relay
FROM devicewake.devices d, devicewake._wake_plan(d.device_id, '2026-12-04 15:00+00') p
WHERE d.manual_wake_override ORDER BY device_mac;
-- a manual wake already past counts no more
SELECT wake_at, relay FROM devicewake._wake_plan('00000000-0000-4000-8000-0000000020d1', '2026-12-05 14:40+00');
UPDATE devicewake.devices SET manual_wake_override = false, manual_wake_at = NULL;

-- set_wake_schedule payloads as published: a time within 24 h as it is; one further away as the
-- device's next wake (a relay when that is also too far); the old UI's cron computed in the
-- device's time zone; anything unreadable left as it is (the publish then fails it with the reason).
SELECT devicewake._command_payload('00000000-0000-4000-8000-0000000020d1', 'set_wake_schedule',
    jsonb_build_object('next_wake_time', to_char((now() + interval '2 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
    ->> 'next_wake_time' = to_char((now() + interval '2 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS near_kept;
SELECT (devicewake._command_payload('00000000-0000-4000-8000-0000000020d1', 'set_wake_schedule',
    jsonb_build_object('next_wake_time', now() + interval '3 days')) ->> 'next_wake_time')::timestamptz
    = devicewake._wake_target('00000000-0000-4000-8000-0000000020d1') AS far_told_as_next_wake;
SELECT (devicewake._command_payload('00000000-0000-4000-8000-0000000020d2', 'set_wake_schedule',
    jsonb_build_object('next_wake_time', now() + interval '3 days')) ->> 'next_wake_time')::timestamptz
    <= now() + interval '24 hours' AS weekly_far_relayed;
SELECT (devicewake._command_payload('00000000-0000-4000-8000-0000000020d2', 'set_wake_schedule',
    '{"wake_schedule_cron": "30 7 * * *"}') ->> 'next_wake_time')::timestamptz
    = devicewake.fn_calculate_next_wake_time(now(), '30 7 * * *', 'Europe/Paris') AS cron_in_site_zone;
SELECT devicewake._command_payload('00000000-0000-4000-8000-0000000020d2', 'set_wake_schedule',
    '{"wake_schedule_cron": "not a cron"}') AS bad_cron_unchanged;
SELECT devicewake._command_payload('00000000-0000-4000-8000-0000000020d2', 'set_wake_schedule',
    '{"next_wake_time": "tomorrow-ish"}') AS bad_time_unchanged;
SELECT devicewake._command_payload('00000000-0000-4000-8000-0000000020d2', 'ping', '{"x":1}') AS other_types_unchanged;

-- HELLO: a relay wake keeps the manual wake still ahead; the wake it asked for clears it.
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d2', now() + interval '3 days') IS NOT NULL AS requested;
SELECT manual_wake_override, manual_wake_at BETWEEN now() + interval '71 hours' AND now() + interval '3 days' AS at_requested_time,
       next_wake_at <= now() + interval '24 hours' AS next_wake_within_a_day
FROM devicewake.devices WHERE device_id = '00000000-0000-4000-8000-0000000020d2';
UPDATE devicewake.devices SET relay_wake = true WHERE device_id = '00000000-0000-4000-8000-0000000020d2';
SELECT devicewake.record_device_hello('B8F862002002', '{}') IS NOT NULL AS relay_hello;
SELECT d.manual_wake_override AS override_survives, s.relay AS session_is_relay, d.relay_wake
FROM devicewake.devices d JOIN devicewake.device_wake_sessions s USING (device_id)
WHERE d.device_id = '00000000-0000-4000-8000-0000000020d2' AND s.status = 'in_progress';
SELECT event_data -> 'relay' AS relay, event_data -> 'override_cleared' AS cleared
FROM devicewake.device_history
WHERE device_id = '00000000-0000-4000-8000-0000000020d2' AND event_type = 'hello';
-- the requested wake comes (its time moved near: the clock is not ours to move)
UPDATE devicewake.devices SET manual_wake_at = now() + interval '1 minute'
WHERE device_id = '00000000-0000-4000-8000-0000000020d2';
UPDATE devicewake.device_wake_sessions SET status = 'completed', ended_at = now()
WHERE device_id = '00000000-0000-4000-8000-0000000020d2' AND status = 'in_progress';
SELECT devicewake.record_device_hello('B8F862002002', '{}') IS NOT NULL AS manual_hello;
SELECT manual_wake_override, manual_wake_at, manual_wake_requested_at, relay_wake
FROM devicewake.devices WHERE device_id = '00000000-0000-4000-8000-0000000020d2';

-- A HELLO inside a wake that goes on is the same wake: same session, counted, nothing ended.
SELECT devicewake.record_device_hello('B8F862002001', '{}') = devicewake.record_device_hello('B8F862002001', '{}') AS same_session;
SELECT hello_count, status FROM devicewake.device_wake_sessions
WHERE device_id = '00000000-0000-4000-8000-0000000020d1';
-- ... and a HELLO after silence longer than session_idle_timeout opens a new one.
UPDATE devicewake.devices SET last_seen_at = now() - interval '10 minutes'
WHERE device_id = '00000000-0000-4000-8000-0000000020d1';
UPDATE devicewake.device_wake_sessions SET started_at = now() - interval '11 minutes'
WHERE device_id = '00000000-0000-4000-8000-0000000020d1';
SELECT devicewake.record_device_hello('B8F862002001', '{}') IS NOT NULL AS hello_after_silence;
SELECT hello_count, status FROM devicewake.device_wake_sessions
WHERE device_id = '00000000-0000-4000-8000-0000000020d1' ORDER BY started_at;

-- Unassigned devices now always have a next wake (so the sweep can time out their images).
SELECT devicewake.record_device_hello('B8F862002003', '{}') IS NOT NULL AS unassigned_hello;
SELECT next_wake_at = devicewake.fn_calculate_next_wake_time(now(), '0 */3 * * *', 'UTC') AS on_default_schedule
FROM devicewake.devices WHERE device_id = '00000000-0000-4000-8000-0000000020d3';
-- a decimal RSSI from a real camera is kept, rounded
SELECT devicewake.record_device_hello('B8F862002003', '{"wifi_rssi": -61.4}') IS NOT NULL AS hello;
SELECT wifi_rssi FROM devicewake.devices WHERE device_id = '00000000-0000-4000-8000-0000000020d3';

DELETE FROM devicewake.devices WHERE device_mac LIKE 'B8F86200200_';
DELETE FROM devicewake.sites WHERE site_id IN ('00000000-0000-4000-8000-0000000020b1', '00000000-0000-4000-8000-0000000020b2');
