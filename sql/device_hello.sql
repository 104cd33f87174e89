-- record_device_hello: identifier normalisation, auto-registration, telemetry, tolerance of bad
-- optional fields, wake sessions closed and opened, pending_list images, released claims.
\set VERBOSITY terse
SET timezone = 'UTC';

-- Unknown devices are registered unassigned, under their normalised identifier, whatever the spelling.
SELECT devicewake.record_device_hello('b8:f8:62:aa:bb:01') IS NOT NULL AS hello;
SELECT devicewake.record_device_hello('B8F862AABB01', NULL) IS NOT NULL AS hello_again;
SELECT devicewake.record_device_hello('TEST-esp32-Cam_1', '{}') IS NOT NULL AS test_id;
SELECT devicewake.record_device_hello('VIRTUAL:sim.7', '{}') IS NOT NULL AS virtual_id;
SELECT devicewake.record_device_hello('SYSTEM:probe', '{}') IS NOT NULL AS system_id;
SELECT device_mac, site_id, is_active, last_wake_at = last_seen_at AS seen_at_wake,
       -- no schedule of their own or a site's: the default schedule's next slot (0 */3 * * * UTC)
       next_wake_at = devicewake.fn_calculate_next_wake_time(now(), '0 */3 * * *', 'UTC') AS default_slot,
       next_wake_at > now() AND next_wake_at <= now() + interval '3 hours' AS within_3_hours
FROM devicewake.devices ORDER BY device_mac;
SELECT d.device_mac, h.event_data ->> 'given_as' AS given_as
FROM devicewake.device_history h JOIN devicewake.devices d USING (device_id)
WHERE h.event_type = 'device_registered' ORDER BY d.device_mac;

-- Identifiers that could never be a topic segment are refused (the worker records them).
SELECT devicewake.record_device_hello('B8F862AABB', '{}');
SELECT devicewake.record_device_hello('TEST-x/#', '{}');
SELECT devicewake.record_device_hello(NULL, '{}');

-- Telemetry: stored on the device, the whole body kept as the session's telemetry.
INSERT INTO devicewake.sites (site_id, name, timezone, wake_schedule_cron)
VALUES ('00000000-0000-4000-8000-0000000010b1', 'Barn', 'Europe/Paris', '30 7 * * *');
INSERT INTO devicewake.devices (device_id, device_mac, site_id)
VALUES ('00000000-0000-4000-8000-0000000010d1', 'B8F862000101', '00000000-0000-4000-8000-0000000010b1');
SELECT devicewake.record_device_hello('B8:F8:62:00:01:01',
    '{"device_id":"B8:F8:62:00:01:01","status":"Alive","pendingImg":2,
      "pending_list":["image_1.jpg","image_2.jpg","image_1.jpg"],
      "firmware_version":"1.4.2","hardware_version":"ESP32-CAM rev B",
      "wifi_rssi":-67,"battery_voltage":3.912}') IS NOT NULL AS hello;
SELECT firmware_version, hardware_version, wifi_rssi, battery_voltage,
       to_char(next_wake_at AT TIME ZONE 'Europe/Paris', 'HH24:MI') AS next_wake_paris,
       next_wake_at > now() AND next_wake_at <= now() + interval '25 hours' AS within_a_day
FROM devicewake.devices WHERE device_id = '00000000-0000-4000-8000-0000000010d1';
SELECT status, telemetry_data ->> 'status' AS telemetry_status, telemetry_data -> 'pendingImg' AS pending_img
FROM devicewake.device_wake_sessions WHERE device_id = '00000000-0000-4000-8000-0000000010d1';
SELECT i.image_name, i.status, i.session_id = s.session_id AS in_this_session
FROM devicewake.device_images i JOIN devicewake.device_wake_sessions s USING (device_id)
WHERE i.device_id = '00000000-0000-4000-8000-0000000010d1' AND s.status = 'in_progress'
ORDER BY i.image_name;

-- The device's own schedule and zone win over the site's.
UPDATE devicewake.devices SET wake_schedule_cron = '15 22 * * *', timezone = 'Asia/Kathmandu'
WHERE device_id = '00000000-0000-4000-8000-0000000010d1';
-- (the camera went to sleep: silent for longer than session_idle_timeout, so its next HELLO is
-- a new wake; a HELLO inside a wake that goes on is the same wake, see sql/wake_plan.sql)
UPDATE devicewake.device_wake_sessions SET started_at = now() - interval '11 minutes'
WHERE device_id = '00000000-0000-4000-8000-0000000010d1' AND status = 'in_progress';
UPDATE devicewake.devices SET last_seen_at = now() - interval '10 minutes'
WHERE device_id = '00000000-0000-4000-8000-0000000010d1';

-- Bad optional fields never fail a HELLO: ignored, telemetry kept as it was, each one noted.
-- One image of this session is still arriving, so the session it closes timed out.
UPDATE devicewake.device_images SET status = 'receiving', total_chunks = 4
WHERE device_id = '00000000-0000-4000-8000-0000000010d1' AND image_name = 'image_1.jpg';
INSERT INTO devicewake.device_commands (command_id, device_id, command_type, claimed_at)
VALUES ('00000000-0000-4000-8000-0000000010e1', '00000000-0000-4000-8000-0000000010d1', 'ping', now());
SELECT devicewake.record_device_hello('b8f862000101',
    '{"device_id":"B8F862000102","pending_count":"two","pending_list":["image_3.jpg",7,""],
      "firmware_version":42,"hardware_version":"","wifi_rssi":"-70","battery_voltage":"3.7"}')
    IS NOT NULL AS hello_with_bad_fields;
SELECT firmware_version, hardware_version, wifi_rssi, battery_voltage,
       to_char(next_wake_at AT TIME ZONE 'Asia/Kathmandu', 'HH24:MI') AS next_wake_kathmandu
FROM devicewake.devices WHERE device_id = '00000000-0000-4000-8000-0000000010d1';
SELECT f ->> 'field' AS ignored_field, f ->> 'reason' AS reason
FROM devicewake.device_history h, jsonb_array_elements(h.event_data -> 'ignored_fields') f
WHERE h.device_id = '00000000-0000-4000-8000-0000000010d1' AND h.event_type = 'hello'
ORDER BY h.history_id, f ->> 'field', f ->> 'value';
SELECT status, ended_at IS NOT NULL AS ended, telemetry_data ->> 'pending_count' AS pending_count
FROM devicewake.device_wake_sessions WHERE device_id = '00000000-0000-4000-8000-0000000010d1'
ORDER BY started_at, status;
SELECT image_name, status FROM devicewake.device_images
WHERE device_id = '00000000-0000-4000-8000-0000000010d1' ORDER BY image_name;
-- a claimed (in-flight) command is the worker's: the HELLO leaves the claim alone, so it is not
-- published twice
SELECT status, claimed_at IS NOT NULL AS still_claimed FROM devicewake.device_commands
WHERE command_id = '00000000-0000-4000-8000-0000000010e1';

-- A body that is not an object is kept (as "raw") and noted; the HELLO still counts (here, a
-- second HELLO of the same wake: the session keeps going and holds the latest body).
SELECT devicewake.record_device_hello('TEST-esp32-Cam_1', '[1,2]') IS NOT NULL AS hello_with_array;
SELECT s.telemetry_data, h.event_data -> 'ignored_fields' -> 0 ->> 'field' AS ignored
FROM devicewake.device_wake_sessions s
JOIN devicewake.devices d USING (device_id)
JOIN devicewake.device_history h ON h.session_id = s.session_id AND h.event_type = 'hello'
WHERE d.device_mac = 'TEST-esp32-Cam_1' AND s.status = 'in_progress';

-- Sessions: exactly one open per device; earlier ones completed; one 'hello' event per HELLO.
SELECT d.device_mac, count(*) FILTER (WHERE s.status = 'in_progress') AS open,
       count(*) FILTER (WHERE s.status = 'completed') AS completed,
       count(*) FILTER (WHERE s.status = 'timeout') AS timed_out,
       (SELECT count(*) FROM devicewake.device_history h
        WHERE h.device_id = d.device_id AND h.event_type = 'hello') AS hellos
FROM devicewake.devices d JOIN devicewake.device_wake_sessions s USING (device_id)
GROUP BY d.device_id, d.device_mac ORDER BY d.device_mac;


-- Silence ends a wake (the worker calls this every second with session_idle_timeout): a session
-- ends at its device's last message, completed, or timed out when an image of it was still
-- arriving or already failed; devices heard from recently keep theirs. One transaction, so the
-- worker's own calls see none of this setup.
BEGIN;
UPDATE devicewake.device_wake_sessions s
SET started_at = CASE WHEN s.status = 'in_progress' THEN now() - interval '20 minutes'
                      ELSE s.started_at - interval '30 minutes' END
FROM devicewake.devices d
WHERE d.device_id = s.device_id
  AND d.device_mac IN ('B8F862AABB01', 'VIRTUAL:sim.7', 'SYSTEM:probe', 'TEST-esp32-Cam_1');
UPDATE devicewake.devices
SET last_seen_at = now() - CASE device_mac WHEN 'SYSTEM:probe' THEN interval '3 minutes'
                                           ELSE interval '10 minutes' END
WHERE device_mac IN ('B8F862AABB01', 'VIRTUAL:sim.7', 'SYSTEM:probe', 'TEST-esp32-Cam_1');
INSERT INTO devicewake.device_images (device_id, session_id, image_name, status, total_chunks)
SELECT s.device_id, s.session_id, CASE WHEN d.device_mac = 'VIRTUAL:sim.7' THEN 'half.jpg' ELSE 'gone.jpg' END,
       CASE WHEN d.device_mac = 'VIRTUAL:sim.7' THEN 'receiving' ELSE 'failed' END, 4
FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id)
WHERE d.device_mac IN ('VIRTUAL:sim.7', 'TEST-esp32-Cam_1') AND s.status = 'in_progress';
SELECT devicewake._end_idle_wake_sessions(interval '5 minutes') AS ended;
SELECT devicewake._end_idle_wake_sessions(interval '5 minutes') AS ended_again;
SELECT d.device_mac, s.status, s.ended_at - now() AS ended_relative_to_now
FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id)
WHERE s.started_at = now() - interval '20 minutes' ORDER BY d.device_mac;
-- a HELLO after silence longer than session_idle_timeout (2 min) ends the session still open at
-- the device's last message before it, and its history names the previous session whether the
-- HELLO or the silence ended it
SELECT devicewake.record_device_hello('SYSTEM:probe') IS NOT NULL AS hello_after_silence;
SELECT devicewake.record_device_hello('B8F862AABB01') IS NOT NULL AS hello_after_sleep;
SELECT d.device_mac, s.status, s.ended_at - now() AS ended_relative_to_now
FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id)
WHERE s.started_at = now() - interval '20 minutes' ORDER BY d.device_mac;
SELECT d.device_mac, h.event_data ->> 'previous_session_status' AS previous_status,
       (h.event_data ->> 'previous_session')::uuid = s.session_id AS names_it
FROM devicewake.device_history h JOIN devicewake.devices d USING (device_id)
JOIN devicewake.device_wake_sessions s ON s.device_id = d.device_id
                                       AND s.started_at = now() - interval '20 minutes'
WHERE h.event_type = 'hello' AND h.session_id IN (SELECT session_id FROM devicewake.device_wake_sessions
                                                  WHERE started_at = now() AND status = 'in_progress')
ORDER BY d.device_mac;
COMMIT;


-- leave the database as found for the tests that follow
DELETE FROM devicewake.devices
WHERE device_mac IN ('B8F862AABB01', 'TEST-esp32-Cam_1', 'VIRTUAL:sim.7', 'SYSTEM:probe', 'B8F862000101');
DELETE FROM devicewake.sites WHERE site_id = '00000000-0000-4000-8000-0000000010b1';
