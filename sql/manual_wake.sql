-- Manual wakes (issue 5's seed scenario, literally), superseding, acknowledge/cancel, and every
-- error a user can reach. now() is fixed per transaction, so times are checked relative to it.
\set VERBOSITY terse
SET timezone = 'UTC';

SET client_min_messages = warning;
DROP ROLE IF EXISTS dw_regress_alice;
RESET client_min_messages;
CREATE ROLE dw_regress_alice NOLOGIN IN ROLE devicewake_operator;
INSERT INTO devicewake.companies (company_id, name)
VALUES ('00000000-0000-4000-8000-0000000020c1', 'Acme Farms');
INSERT INTO devicewake.users (user_id, role_name, display_name)
VALUES ('00000000-0000-4000-8000-0000000020a1', 'dw_regress_alice', 'Alice');
INSERT INTO devicewake.company_members VALUES
    ('00000000-0000-4000-8000-0000000020c1', '00000000-0000-4000-8000-0000000020a1');
INSERT INTO devicewake.sites (site_id, name, timezone, wake_schedule_cron, company_id) VALUES
    ('00000000-0000-4000-8000-0000000020b1', 'Barn', 'UTC', '0 6 * * *',
     '00000000-0000-4000-8000-0000000020c1'),
    ('00000000-0000-4000-8000-0000000020b2', 'Orchard', 'America/New_York', '0 6 * * *',
     '00000000-0000-4000-8000-0000000020c1');
INSERT INTO devicewake.devices (device_id, device_mac, device_name, site_id) VALUES
    ('00000000-0000-4000-8000-0000000020d1', 'B8:F8:62:00:02:01', 'barn-cam',
     '00000000-0000-4000-8000-0000000020b1'),
    ('00000000-0000-4000-8000-0000000020d2', 'B8:F8:62:00:02:02', 'orchard-cam',
     '00000000-0000-4000-8000-0000000020b2');

-- The scenario: daily 06:00 UTC; at "14:30" Alice asks "wake in 1 minute".
BEGIN;
SET LOCAL ROLE dw_regress_alice;
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', interval '1 minute')
    IS NOT NULL AS queued;
SELECT device_mac, requested_by_name, wake_at - requested_at AS wakes_after, command_status,
       command_payload -> 'manual_wake' AS manual_wake
FROM devicewake.manual_wake_overrides;
RESET ROLE;
SELECT next_wake_at - now() AS wakes_in, manual_wake_override,
       manual_wake_requested_by, manual_wake_requested_at = now() AS requested_now
FROM devicewake.devices WHERE device_id = '00000000-0000-4000-8000-0000000020d1';
SELECT command_type, status, priority, created_by_user_id,
       command_payload ->> 'next_wake_time'
           = to_char((now() + interval '1 minute') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
           AS payload_time_is_iso_utc,
       command_payload -> 'manual_wake' AS manual_wake,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(command_payload) k) AS payload_keys,
       expires_at = now() + interval '1 minute' AS expires_at_wake_time
FROM devicewake.device_commands WHERE device_id = '00000000-0000-4000-8000-0000000020d1';
COMMIT;

-- "14:31": the device says HELLO: override gone, next wake back on the schedule (06:00 UTC).
SELECT devicewake.record_device_hello('b8:f8:62:00:02:01',
    '{"device_id":"B8:F8:62:00:02:01","status":"Alive","pendingImg":0,"pending_list":[]}')
    IS NOT NULL AS session_opened;
SELECT manual_wake_override, manual_wake_requested_by, manual_wake_requested_at,
       last_wake_at = last_seen_at AS woke_at_hello,
       to_char(next_wake_at AT TIME ZONE 'UTC', 'HH24:MI:SS') AS next_wake_utc,
       next_wake_at > last_wake_at AND next_wake_at <= last_wake_at + interval '1 day' AS within_a_day
FROM devicewake.devices WHERE device_id = '00000000-0000-4000-8000-0000000020d1';
SELECT count(*) AS overrides_left FROM devicewake.manual_wake_overrides;
-- the scenario's own arithmetic: woken manually at 14:31, the device next wakes tomorrow 06:00
SELECT devicewake.fn_calculate_next_wake_time('2025-06-10 14:31:00+00', '0 6 * * *', 'UTC');

-- The same in a DST zone: 06:00 local in New York, whatever the offset is today...
BEGIN;
SET LOCAL ROLE dw_regress_alice;
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d2', interval '1 minute')
    IS NOT NULL AS queued;
RESET ROLE;
SELECT next_wake_at - now() AS wakes_in, manual_wake_override FROM devicewake.devices
WHERE device_id = '00000000-0000-4000-8000-0000000020d2';
COMMIT;
SELECT devicewake.record_device_hello('B8F862000202') IS NOT NULL AS session_opened;
SELECT manual_wake_override,
       to_char(next_wake_at AT TIME ZONE 'America/New_York', 'HH24:MI') AS next_wake_local,
       next_wake_at > last_wake_at AND next_wake_at <= last_wake_at + interval '25 hours' AS within_a_day
FROM devicewake.devices WHERE device_id = '00000000-0000-4000-8000-0000000020d2';
-- ...and across transitions (the HELLO's now() cannot be moved; the function it calls can be):
-- 14:31 EST on the eve of spring-forward -> 06:00 EDT; 14:31 EDT on the eve of fall-back -> 06:00 EST
SELECT devicewake.fn_calculate_next_wake_time('2025-03-08 19:31:00+00', '0 6 * * *', 'America/New_York');
SELECT devicewake.fn_calculate_next_wake_time('2025-11-01 18:31:00+00', '0 6 * * *', 'America/New_York');

-- A newer manual wake supersedes the older pending one.
SET ROLE dw_regress_alice;
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', now() + interval '2 hours')
    IS NOT NULL AS first;
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', now() + interval '3 hours')
    IS NOT NULL AS second;
RESET ROLE;
SELECT status, error_message LIKE 'superseded by manual wake request %' AS superseded_message,
       (command_payload ->> 'next_wake_time')::timestamptz - issued_at > interval '150 minutes' AS is_newer
FROM devicewake.device_commands
WHERE device_id = '00000000-0000-4000-8000-0000000020d1' AND issued_at > now() - interval '1 hour'
  AND status IN ('pending', 'cancelled')
ORDER BY status DESC;

-- Only what was not published yet is superseded: a claimed set_wake_schedule may already be at
-- the broker, so it is left to its PUBACK; the newest request, sent after it, is what the camera
-- keeps.
UPDATE devicewake.device_commands SET claimed_at = now()
WHERE device_id = '00000000-0000-4000-8000-0000000020d1' AND command_type = 'set_wake_schedule'
  AND status = 'pending';
SET ROLE dw_regress_alice;
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', now() + interval '4 hours')
    IS NOT NULL AS third;
RESET ROLE;
SELECT status, claimed_at IS NOT NULL AS claimed,
       (command_payload ->> 'next_wake_time')::timestamptz - issued_at > interval '210 minutes' AS is_newest
FROM devicewake.device_commands
WHERE device_id = '00000000-0000-4000-8000-0000000020d1' AND issued_at > now() - interval '1 hour'
  AND status = 'pending'
ORDER BY claimed DESC;

-- Errors: each one changes nothing.
CREATE TEMP TABLE before AS
    SELECT (SELECT count(*) FROM devicewake.device_commands) AS commands,
           (SELECT array_agg(next_wake_at ORDER BY device_id) FROM devicewake.devices) AS wakes;
SET ROLE dw_regress_alice;
SELECT devicewake.request_manual_wake(NULL, now() + interval '1 hour');
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', NULL::timestamptz);
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', NULL::interval);
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', '2020-01-01 00:00+00'::timestamptz);
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', now());
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', interval '0');
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', interval '-5 minutes');
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d1', interval '31 days');
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-00000000ffff', interval '1 minute');
RESET ROLE;
UPDATE devicewake.devices SET is_active = false WHERE device_id = '00000000-0000-4000-8000-0000000020d2';
SET ROLE dw_regress_alice;
SELECT devicewake.request_manual_wake('00000000-0000-4000-8000-0000000020d2', interval '1 minute');
RESET ROLE;
UPDATE devicewake.devices SET is_active = true WHERE device_id = '00000000-0000-4000-8000-0000000020d2';
SELECT b.commands = (SELECT count(*) FROM devicewake.device_commands) AS no_new_commands,
       b.wakes = (SELECT array_agg(next_wake_at ORDER BY device_id) FROM devicewake.devices) AS no_wake_changed
FROM before b;

-- cancel_command: pending -> cancelled, then idempotent; final states refused with their name.
INSERT INTO devicewake.device_commands (command_id, device_id, command_type, status, delivered_at)
VALUES ('00000000-0000-4000-8000-0000000020e1', '00000000-0000-4000-8000-0000000020d1', 'ping', 'sent', now()),
       ('00000000-0000-4000-8000-0000000020e2', '00000000-0000-4000-8000-0000000020d1', 'reboot', 'failed', NULL),
       ('00000000-0000-4000-8000-0000000020e3', '00000000-0000-4000-8000-0000000020d1', 'capture_image', 'pending', NULL),
       ('00000000-0000-4000-8000-0000000020e4', '00000000-0000-4000-8000-0000000020d1', 'ping', 'pending', NULL);
SET ROLE dw_regress_alice;
SELECT devicewake.cancel_command('00000000-0000-4000-8000-0000000020e3') AS cancelled;
SELECT devicewake.cancel_command('00000000-0000-4000-8000-0000000020e3') AS cancelled_again;
SELECT devicewake.cancel_command('00000000-0000-4000-8000-0000000020e1');
SELECT devicewake.cancel_command('00000000-0000-4000-8000-0000000020e2');
SELECT devicewake.cancel_command(NULL);
SELECT devicewake.cancel_command('00000000-0000-4000-8000-00000000ffff');
-- acknowledge_command is for devices (through the worker) and admins, not operators
SELECT devicewake.acknowledge_command('00000000-0000-4000-8000-0000000020e1');
RESET ROLE;
SELECT status, error_message FROM devicewake.device_commands
WHERE command_id = '00000000-0000-4000-8000-0000000020e3';
SELECT devicewake.acknowledge_command('00000000-0000-4000-8000-0000000020e1') AS acknowledged;
SELECT devicewake.acknowledge_command('00000000-0000-4000-8000-0000000020e1') AS acknowledged_again;
SELECT status, acknowledged_at IS NOT NULL AS has_ack_time
FROM devicewake.device_commands WHERE command_id = '00000000-0000-4000-8000-0000000020e1';
SELECT devicewake.acknowledge_command('00000000-0000-4000-8000-0000000020e2');
SELECT devicewake.acknowledge_command('00000000-0000-4000-8000-0000000020e3');
SELECT devicewake.acknowledge_command('00000000-0000-4000-8000-0000000020e4');
SELECT devicewake.acknowledge_command('00000000-0000-4000-8000-00000000ffff');
SELECT devicewake.acknowledge_command(NULL);

-- audit trail
SELECT event_type, count(*) FROM devicewake.device_history
WHERE device_id = '00000000-0000-4000-8000-0000000020d1' GROUP BY event_type ORDER BY event_type;

DROP TABLE before;
DELETE FROM devicewake.devices WHERE site_id IN (SELECT site_id FROM devicewake.sites
                                                 WHERE company_id = '00000000-0000-4000-8000-0000000020c1');
DELETE FROM devicewake.sites WHERE company_id = '00000000-0000-4000-8000-0000000020c1';
DELETE FROM devicewake.companies WHERE company_id = '00000000-0000-4000-8000-0000000020c1';
DELETE FROM devicewake.users WHERE role_name = 'dw_regress_alice';
DROP ROLE dw_regress_alice;
