-- Fleet operations (issue 16) with real roles: batch and site-wide wakes (all or nothing), the
-- outcome of each manual wake, commands that ride on a wake, the change feed under RLS, and
-- campaigns paced and aborted by _campaign_tick driven with a controlled clock. (Errors with
-- their SQLSTATEs are in bad_inputs.sql; signatures and privileges in schema.sql.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(51);

-- Company A: operator op, viewer view; company B: operator op_b. Site A has 5 devices (the last
-- inactive), site B one; the campaign fleet is 1,000 devices at site F of company A.
CREATE ROLE dw_t_fo_op NOLOGIN IN ROLE devicewake_operator;
CREATE ROLE dw_t_fo_view NOLOGIN IN ROLE devicewake_viewer;
CREATE ROLE dw_t_fo_op_b NOLOGIN IN ROLE devicewake_operator;
INSERT INTO devicewake.companies (company_id, name) VALUES
    ('16000000-0000-4000-8000-00000000000a', 'Fleet A'), ('16000000-0000-4000-8000-00000000000b', 'Fleet B');
INSERT INTO devicewake.users (user_id, role_name, display_name) VALUES
    ('16000000-0000-4000-8000-0000000000a1', 'dw_t_fo_op', 'Olga'),
    ('16000000-0000-4000-8000-0000000000a2', 'dw_t_fo_view', 'Vera'),
    ('16000000-0000-4000-8000-0000000000b1', 'dw_t_fo_op_b', 'Boris');
INSERT INTO devicewake.company_members VALUES
    ('16000000-0000-4000-8000-00000000000a', '16000000-0000-4000-8000-0000000000a1'),
    ('16000000-0000-4000-8000-00000000000a', '16000000-0000-4000-8000-0000000000a2'),
    ('16000000-0000-4000-8000-00000000000b', '16000000-0000-4000-8000-0000000000b1');
INSERT INTO devicewake.sites (site_id, name, company_id, wake_schedule_cron) VALUES
    ('16000000-0000-4000-8000-0000000005a0', 'Site A', '16000000-0000-4000-8000-00000000000a', '0 6 * * *'),
    ('16000000-0000-4000-8000-0000000005b0', 'Site B', '16000000-0000-4000-8000-00000000000b', '0 6 * * *'),
    ('16000000-0000-4000-8000-0000000005f0', 'Site F', '16000000-0000-4000-8000-00000000000a', '0 6 * * *');
INSERT INTO devicewake.devices (device_id, device_mac, site_id, is_active)
SELECT ('16000000-0000-4000-8000-0000000000d' || i)::uuid, 'TEST-FO-A' || i,
       '16000000-0000-4000-8000-0000000005a0', i <> 5
FROM generate_series(1, 5) i;
INSERT INTO devicewake.devices (device_id, device_mac, site_id) VALUES
    ('16000000-0000-4000-8000-0000000000db', 'TEST-FO-B1', '16000000-0000-4000-8000-0000000005b0');
INSERT INTO devicewake.devices (device_mac, site_id)
SELECT 'FF' || lpad(upper(to_hex(i)), 10, '0'), '16000000-0000-4000-8000-0000000005f0'
FROM generate_series(1, 1000) i;

CREATE TEMP VIEW fo_state AS
SELECT (SELECT string_agg(row_to_json(d)::text, ',' ORDER BY d.device_id) FROM devicewake.devices d) AS devices,
       (SELECT count(*) FROM devicewake.device_commands) AS commands,
       (SELECT count(*) FROM devicewake.manual_wakes) AS wakes,
       (SELECT count(*) FROM devicewake.device_history) AS history;
CREATE TEMP TABLE fo_before AS SELECT * FROM fo_state;

-- ---------------------------------------------------------------- batch wakes: all or nothing
SET LOCAL ROLE dw_t_fo_op;
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['16000000-0000-4000-8000-0000000000d1',
                   '16000000-0000-4000-8000-0000000000db']::uuid[], now() + interval '1 hour')$$,
    'P0002', 'device 16000000-0000-4000-8000-0000000000db does not exist',
    'one device of another company refuses the whole batch (reported as missing)');
SELECT throws_ok($$SELECT * FROM devicewake.request_manual_wakes(ARRAY['16000000-0000-4000-8000-0000000000d1',
                   '16000000-0000-4000-8000-0000000000d5']::uuid[], now() + interval '1 hour')$$,
    '55000', 'device 16000000-0000-4000-8000-0000000000d5 is inactive', 'one inactive device refuses the whole batch');
RESET ROLE;
SELECT ok((SELECT row(s.*)::text FROM fo_state s) = (SELECT row(b.*)::text FROM fo_before b),
    'a refused batch changed nothing');
SET LOCAL ROLE dw_t_fo_op;
SELECT results_eq($$SELECT device_id FROM devicewake.request_manual_wakes(ARRAY['16000000-0000-4000-8000-0000000000d3',
                      '16000000-0000-4000-8000-0000000000d1', '16000000-0000-4000-8000-0000000000d2']::uuid[],
                      now() + interval '1 hour')$$,
    $$VALUES ('16000000-0000-4000-8000-0000000000d3'::uuid), ('16000000-0000-4000-8000-0000000000d1'), ('16000000-0000-4000-8000-0000000000d2')$$,
    'a batch returns its devices in the order given');
SELECT results_eq($$SELECT count(*)::int, count(DISTINCT c.command_id)::int,
                           bool_and(c.command_payload = jsonb_build_object('next_wake_time',
                               to_char((now() + interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'manual_wake', true)),
                           bool_and(d.manual_wake_override AND d.manual_wake_requested_by = '16000000-0000-4000-8000-0000000000a1'
                                    AND d.next_wake_at = now() + interval '1 hour')
                    FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
                    WHERE c.command_type = 'set_wake_schedule' AND c.status = 'pending'$$,
    $$VALUES (3, 3, true, true)$$,
    'each device has its set_wake_schedule, override, requester and next wake, as a single wake would');
SELECT results_eq($$SELECT device_id FROM devicewake.request_site_wake('16000000-0000-4000-8000-0000000005a0',
                      now() + interval '2 hours') ORDER BY device_id$$,
    $$SELECT device_id FROM devicewake.devices WHERE device_mac LIKE 'TEST-FO-A%' AND is_active ORDER BY device_id$$,
    'a site-wide wake wakes the site''s active devices');
SELECT results_eq($$SELECT outcome, count(*)::int FROM devicewake.manual_wake_history
                    WHERE device_mac LIKE 'TEST-FO-A%' GROUP BY outcome ORDER BY outcome$$,
    $$VALUES ('requested', 4), ('superseded', 3)$$,
    'the site wake supersedes the three earlier manual wakes');
SELECT results_eq($$SELECT count(*)::int FROM devicewake.device_commands
                    WHERE command_type = 'set_wake_schedule' AND status = 'cancelled'
                      AND error_message LIKE 'superseded by manual wake request %'$$,
    ARRAY[3], 'and cancels their unpublished set_wake_schedule commands');
RESET ROLE;
SET LOCAL ROLE dw_t_fo_op_b;
SELECT is_empty($$SELECT * FROM devicewake.manual_wake_history$$, 'another company sees none of this history');
RESET ROLE;

-- ---------------------------------------------------------------- outcomes: told, cancelled, confirmed, missed
-- the worker's PUBACK makes a command sent (as the dispatcher records it)
UPDATE devicewake.device_commands SET status = 'sent', delivered_at = now()
WHERE command_type = 'set_wake_schedule' AND status = 'pending'
  AND device_id = '16000000-0000-4000-8000-0000000000d1';
SELECT results_eq($$SELECT outcome, told_at IS NOT NULL FROM devicewake.manual_wake_history
                    WHERE device_id = '16000000-0000-4000-8000-0000000000d1' AND outcome NOT IN ('superseded')$$,
    $$VALUES ('told', true)$$, 'the PUBACK of its set_wake_schedule: told');
SET LOCAL ROLE dw_t_fo_op;
SELECT ok(devicewake.cancel_command((SELECT command_id FROM devicewake.manual_wakes
          WHERE device_id = '16000000-0000-4000-8000-0000000000d2' AND state = 'requested')), 'cancel a wake''s command');
SELECT results_eq($$SELECT outcome FROM devicewake.manual_wake_history
                    WHERE device_id = '16000000-0000-4000-8000-0000000000d2' AND outcome <> 'superseded'$$,
    ARRAY['cancelled'], 'its manual wake is cancelled');
RESET ROLE;
-- device 3 wakes for a regular slot first: not the wake asked for, the manual wake stays open
UPDATE devicewake.devices SET manual_wake_at = now() + interval '2 hours' WHERE device_id = '16000000-0000-4000-8000-0000000000d3';
SELECT isnt(devicewake.record_device_hello('TEST-FO-A3', '{}'), NULL, 'A3 says HELLO two hours early');
SELECT results_eq($$SELECT outcome FROM devicewake.manual_wake_history
                    WHERE device_id = '16000000-0000-4000-8000-0000000000d3' AND outcome <> 'superseded'$$,
    ARRAY['requested'], 'a HELLO long before the wake confirms nothing');
-- the wake asked for: the HELLO that ends the override confirms it
UPDATE devicewake.devices SET manual_wake_at = now() + interval '1 minute', last_seen_at = now() - interval '1 hour',
                              last_wake_at = now() - interval '1 hour'
WHERE device_id = '16000000-0000-4000-8000-0000000000d3';
UPDATE devicewake.manual_wakes SET wake_at = now() + interval '1 minute'
WHERE device_id = '16000000-0000-4000-8000-0000000000d3' AND state = 'requested';
UPDATE devicewake.device_wake_sessions SET status = 'completed', ended_at = now()
WHERE device_id = '16000000-0000-4000-8000-0000000000d3' AND status = 'in_progress';
SELECT isnt(devicewake.record_device_hello('TEST-FO-A3', '{}'), NULL, 'A3 says HELLO at its manual wake');
SELECT results_eq($$SELECT outcome FROM devicewake.manual_wake_history
                    WHERE device_id = '16000000-0000-4000-8000-0000000000d3' AND outcome <> 'superseded'$$,
    ARRAY['confirmed'], 'that HELLO confirms the manual wake');
-- device 4 never comes: the tick, 2 h 11 min later, finds its wake missed
SELECT is(devicewake._campaign_tick(now() + interval '2 hours 9 minutes'), 0, 'a tick within the tolerance');
SELECT results_eq($$SELECT outcome FROM devicewake.manual_wake_history
                    WHERE device_id = '16000000-0000-4000-8000-0000000000d4' AND outcome <> 'superseded'$$,
    ARRAY['requested'], 'within 10 minutes of the wake it is not missed yet');
SELECT is(devicewake._campaign_tick(now() + interval '2 hours 11 minutes'), 0, 'a tick past the tolerance');
SELECT results_eq($$SELECT outcome FROM devicewake.manual_wake_history
                    WHERE device_id = '16000000-0000-4000-8000-0000000000d4' AND outcome <> 'superseded'$$,
    ARRAY['missed'], 'then the wake is missed');

-- ---------------------------------------------------------------- commands that ride on a wake
SET LOCAL ROLE dw_t_fo_op;
SELECT isnt(devicewake.request_manual_wake('16000000-0000-4000-8000-0000000000d1', interval '2 minutes',
              '[{"command_type":"capture_image"},
                {"command_type":"update_config","command_payload":{"captures_per_wake":2},"priority":7}]'),
    NULL, 'a manual wake with two commands riding on it');
SELECT is_empty($$SELECT FROM devicewake.device_commands
                  WHERE device_id = '16000000-0000-4000-8000-0000000000d1' AND command_type IN ('capture_image', 'update_config')$$,
    'before that wake, nothing of them is queued (no earlier wake can take them)');
RESET ROLE;
UPDATE devicewake.devices SET last_seen_at = now() - interval '1 hour' WHERE device_id = '16000000-0000-4000-8000-0000000000d1';
SELECT isnt(devicewake.record_device_hello('TEST-FO-A1', '{}'), NULL, 'A1 says HELLO at that wake');
SELECT results_eq($$SELECT c.command_type, c.priority, c.command_payload, c.status,
                           c.created_by_user_id = '16000000-0000-4000-8000-0000000000a1'
                    FROM devicewake.manual_wakes w, unnest(w.then_command_ids) WITH ORDINALITY t(id, n)
                    JOIN devicewake.device_commands c ON c.command_id = t.id
                    WHERE w.device_id = '16000000-0000-4000-8000-0000000000d1' AND w.state = 'confirmed'
                    ORDER BY t.n$$,
    $$VALUES ('capture_image', 5, '{}'::jsonb, 'pending', true),
             ('update_config', 7, '{"captures_per_wake": 2}'::jsonb, 'pending', true)$$,
    'the confirming HELLO queues them, in order, as the requester''s');

-- ---------------------------------------------------------------- the change feed under RLS
UPDATE devicewake.device_commands SET status = 'sent' WHERE command_type = 'capture_image'
  AND device_id = '16000000-0000-4000-8000-0000000000d1';
SELECT ok(devicewake.acknowledge_command((SELECT command_id FROM devicewake.device_commands
          WHERE command_type = 'capture_image' AND device_id = '16000000-0000-4000-8000-0000000000d1')), 'an acknowledgement');
INSERT INTO devicewake.device_images (image_id, device_id, image_name, status, total_chunks)
VALUES ('16000000-0000-4000-8000-0000000000e1', '16000000-0000-4000-8000-0000000000d1', 'fo.jpg', 'receiving', 1),
       ('16000000-0000-4000-8000-0000000000e2', '16000000-0000-4000-8000-0000000000db', 'fo.jpg', 'receiving', 1);
UPDATE devicewake.device_images SET status = 'failed', timeout_reason = 'test' WHERE image_name = 'fo.jpg';
UPDATE devicewake.device_images SET status = 'failed' WHERE image_name = 'fo.jpg';
INSERT INTO devicewake.device_alerts (alert_id, device_id, alert_type, severity, message) VALUES
    ('16000000-0000-4000-8000-0000000000f1', '16000000-0000-4000-8000-0000000000d1', 'test_alert', 'warning', 'a'),
    ('16000000-0000-4000-8000-0000000000f2', '16000000-0000-4000-8000-0000000000db', 'test_alert', 'warning', 'b');
UPDATE devicewake.device_alerts SET resolved_at = now() WHERE alert_type = 'test_alert';
SELECT isnt(devicewake.record_device_hello('TEST-FO-B1', '{}'), NULL, 'B1 says HELLO');
SET LOCAL ROLE dw_t_fo_view;
SELECT results_eq($$SELECT event_type, count(*)::int FROM devicewake.events GROUP BY event_type ORDER BY event_type$$,
    $$VALUES ('alert_raised', 1), ('alert_resolved', 1), ('command_acknowledged', 1), ('device_awake', 3),
             ('image_failed', 1), ('manual_wake_confirmed', 2), ('manual_wake_missed', 2)$$,
    'company A''s viewer reads company A''s events (A1''s told wake was missed too): each state change once, a repeated update adds none');
SELECT is((SELECT count(*)::int FROM devicewake.events WHERE company_id IS DISTINCT FROM '16000000-0000-4000-8000-00000000000a'),
    0, 'and nothing of company B');
SELECT results_eq($$SELECT data FROM devicewake.events WHERE event_type = 'image_failed'$$,
    $$VALUES ('{"image_name": "fo.jpg", "reason": "test", "retry_count": 0}'::jsonb)$$,
    'an event names what changed');
RESET ROLE;
SET LOCAL ROLE dw_t_fo_op_b;
SELECT results_eq($$SELECT event_type FROM devicewake.events ORDER BY event_id$$,
    $$VALUES ('image_failed'), ('alert_raised'), ('alert_resolved'), ('device_awake')$$,
    'company B''s operator reads only company B''s events');
RESET ROLE;

-- ---------------------------------------------------------------- a campaign, paced by the tick
SET LOCAL ROLE dw_t_fo_view;
SELECT throws_ok($$SELECT devicewake.create_campaign('x', 'ping', '{}', '{"site_id":"16000000-0000-4000-8000-0000000005f0"}')$$,
    '42501', NULL, 'a viewer may not create a campaign');
RESET ROLE;
SET LOCAL ROLE dw_t_fo_op;
SELECT throws_ok($$SELECT devicewake.create_campaign('x', 'ping', '{}', '{"site_id":"16000000-0000-4000-8000-0000000005b0"}')$$,
    'P0002', 'site 16000000-0000-4000-8000-0000000005b0 does not exist', 'a campaign on another company''s site is refused');
CREATE TEMP TABLE fo_campaign AS
SELECT devicewake.create_campaign('firmware 2.1', 'update_firmware', '{"firmware_url":"https://fw.example/2.1.bin"}',
                                  '{"site_id":"16000000-0000-4000-8000-0000000005f0"}', 100, 0.1, 50) AS id;
RESET ROLE;
SELECT results_eq($$SELECT state, targeted, released, pending, rate FROM devicewake.campaign_progress$$,
    $$VALUES ('running', 1000, 0, 0::bigint, 100)$$, 'created: 1,000 targets, nothing released before the first tick');
-- the pace, minute by minute of the campaign's own clock (100 per minute, the first at once)
CREATE TEMP TABLE fo_ticks AS
SELECT m, devicewake._campaign_tick(k.run_started_at + m * interval '1 minute') AS released
FROM devicewake.campaigns k, generate_series(0, 3) m ORDER BY m;
SELECT results_eq($$SELECT released FROM fo_ticks ORDER BY m$$, ARRAY[1, 99, 100, 100],
    'releases 1 at once, then 100 per minute');
SELECT is(devicewake._campaign_tick((SELECT run_started_at FROM devicewake.campaigns) + interval '3 minutes 30 seconds'),
    50, 'half a minute later, 50 more');
SELECT results_eq($$SELECT count(*)::int, count(DISTINCT t.device_id)::int, bool_and(c.command_type = 'update_firmware'
                             AND c.created_by_user_id = '16000000-0000-4000-8000-0000000000a1'
                             AND c.command_payload = '{"firmware_url": "https://fw.example/2.1.bin"}')
                    FROM devicewake.campaign_targets t JOIN devicewake.device_commands c USING (command_id)$$,
    $$VALUES (350, 350, true)$$, 'each released device has its own command, as the creator''s');
-- pause: nothing more; resume: the pace starts again from the resume (no burst for the pause)
SET LOCAL ROLE dw_t_fo_op;
SELECT ok(devicewake.pause_campaign((SELECT id FROM fo_campaign)), 'pause');
RESET ROLE;
SELECT is(devicewake._campaign_tick(now() + interval '10 minutes'), 0, 'a paused campaign releases nothing');
SET LOCAL ROLE dw_t_fo_op;
SELECT ok(devicewake.resume_campaign((SELECT id FROM fo_campaign)), 'resume');
RESET ROLE;
SELECT is(devicewake._campaign_tick((SELECT run_started_at FROM devicewake.campaigns) + interval '30 seconds'),
    50, 'after a resume: 50 in its first half minute, not the paused time''s worth');
-- 20 % failure injection: every fifth released device fails its update, the rest acknowledge
UPDATE devicewake.device_commands c
SET status = CASE WHEN t.position % 5 = 0 THEN 'failed' ELSE 'acknowledged' END,
    error_message = CASE WHEN t.position % 5 = 0 THEN 'flash failed' END
FROM devicewake.campaign_targets t WHERE t.command_id = c.command_id AND t.position <= 300;
SELECT is(devicewake._campaign_tick((SELECT run_started_at FROM devicewake.campaigns) + interval '31 seconds'),
    0, 'the next tick releases nothing: it aborts');
SELECT results_eq($$SELECT state, released, unreleased, acknowledged, failed, pending, cancelled, abort_reason
                    FROM devicewake.campaign_progress$$,
    $$VALUES ('aborted', 400, 600, 240::bigint, 60::bigint, 0::bigint, 100::bigint,
              '60 of 400 released devices failed or expired (0.150), above the abort ratio 0.1 (evaluated from 50 devices)')$$,
    'aborted above 10 % failed: the 100 undelivered commands cancelled, the 600 others never released, the reason recorded');
SELECT is(devicewake._campaign_tick(now() + interval '1 hour'), 0, 'an aborted campaign releases nothing more');
SELECT results_eq($$SELECT event_type, company_id FROM devicewake.events WHERE event_type LIKE 'campaign%'$$,
    $$VALUES ('campaign_aborted', '16000000-0000-4000-8000-00000000000a'::uuid)$$, 'the abort is in the feed');
SET LOCAL ROLE dw_t_fo_view;
SELECT results_eq($$SELECT name, state FROM devicewake.campaign_progress$$, $$VALUES ('firmware 2.1', 'aborted')$$,
    'a viewer reads its company''s campaign progress');
RESET ROLE;
SET LOCAL ROLE dw_t_fo_op;
SELECT throws_ok($$SELECT devicewake.resume_campaign((SELECT id FROM fo_campaign))$$, '55000',
    NULL, 'an aborted campaign cannot be resumed');
-- a small campaign without abort rule: unacknowledged commands expire after ack_timeout, then it completes
CREATE TEMP TABLE fo_small AS
SELECT devicewake.create_campaign('ping A', 'ping', '{}', '{"device_ids":["16000000-0000-4000-8000-0000000000d2",
                                  "16000000-0000-4000-8000-0000000000d1"]}', NULL, NULL, 10, interval '5 minutes') AS id;
RESET ROLE;
SELECT is(devicewake._campaign_tick(now()), 2, 'no pace: every target at once');
UPDATE devicewake.device_commands c SET status = 'acknowledged' FROM devicewake.campaign_targets t
WHERE t.command_id = c.command_id AND t.campaign_id = (SELECT id FROM fo_small) AND t.position = 1;
SELECT is(devicewake._campaign_tick(now() + interval '4 minutes'), 0, 'a tick before the timeout');
SELECT results_eq($$SELECT state, acknowledged, pending FROM devicewake.campaign_progress WHERE name = 'ping A'$$,
    $$VALUES ('running', 1::bigint, 1::bigint)$$, 'still running while a command may be acknowledged');
SELECT is(devicewake._campaign_tick(now() + interval '6 minutes'), 0, 'a tick after the timeout');
SELECT results_eq($$SELECT state, acknowledged, expired FROM devicewake.campaign_progress WHERE name = 'ping A'$$,
    $$VALUES ('completed', 1::bigint, 1::bigint)$$, 'the unacknowledged command expired, the campaign completed');

SELECT * FROM finish();
ROLLBACK;
