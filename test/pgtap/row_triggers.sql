-- The per-row triggers (C, src/pg/trigger_functions.cpp): device identifiers normalised and
-- updated_at kept on every write path, and the change feed's row events, queued per row and
-- appended per statement, exactly once and in the order the rows changed, through multi-row
-- statements, savepoints, failed statements and triggers that open their own subtransactions.
-- (The bad identifiers' SQLSTATEs are in bad_inputs.sql.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(23);

INSERT INTO devicewake.companies (company_id, name) VALUES ('18000000-0000-4000-8000-00000000000a', 'Triggers');
INSERT INTO devicewake.sites (site_id, name, company_id, updated_at)
VALUES ('18000000-0000-4000-8000-0000000005a0', 'Trigger site', '18000000-0000-4000-8000-00000000000a',
        '2001-01-01');
INSERT INTO devicewake.devices (device_id, device_mac, site_id, updated_at) VALUES
    ('18000000-0000-4000-8000-0000000000d1', 'b8:f8:62:f9:c1:c4', '18000000-0000-4000-8000-0000000005a0', '2001-01-01'),
    ('18000000-0000-4000-8000-0000000000d2', 'TEST-trig-2', '18000000-0000-4000-8000-0000000005a0', '2001-01-01');

-- ---------------------------------------------------------------- canonical values
SELECT results_eq($$SELECT device_mac, updated_at FROM devicewake.devices
                    WHERE site_id = '18000000-0000-4000-8000-0000000005a0' ORDER BY device_id$$,
    $$VALUES ('B8F862F9C1C4', '2001-01-01'::timestamptz), ('TEST-trig-2', '2001-01-01'::timestamptz)$$,
    'an insert normalises a MAC, keeps a TEST- identifier as given, and leaves updated_at as written');
UPDATE devicewake.devices SET device_mac = 'aa-bb-cc-dd-ee-0f' WHERE device_id = '18000000-0000-4000-8000-0000000000d1';
SELECT is((SELECT device_mac FROM devicewake.devices WHERE device_id = '18000000-0000-4000-8000-0000000000d1'),
    'AABBCCDDEE0F', 'an update normalises the new MAC');
UPDATE devicewake.devices SET device_name = 'two', updated_at = '2001-01-01'
WHERE device_id = '18000000-0000-4000-8000-0000000000d2';
SELECT results_eq($$SELECT device_mac, device_name, updated_at FROM devicewake.devices
                    WHERE device_id = '18000000-0000-4000-8000-0000000000d2'$$,
    $$VALUES ('TEST-trig-2', 'two', now())$$,
    'an update of another column keeps the identifier and sets updated_at to now(), whatever it was given');
SELECT throws_ok($$UPDATE devicewake.devices SET device_mac = 'not a mac'
                   WHERE device_id = '18000000-0000-4000-8000-0000000000d2'$$,
    '22023', 'invalid device identifier "not a mac"', 'the trigger refuses what normalize_mac refuses');
UPDATE devicewake.sites SET name = 'Trigger site 2' WHERE site_id = '18000000-0000-4000-8000-0000000005a0';
SELECT is((SELECT updated_at FROM devicewake.sites WHERE site_id = '18000000-0000-4000-8000-0000000005a0'),
    now(), 'a site''s update sets its updated_at');

INSERT INTO devicewake.device_images (image_id, device_id, image_name, status, total_chunks, updated_at)
SELECT ('18000000-0000-4000-8000-0000000000e' || i)::uuid, '18000000-0000-4000-8000-0000000000d1',
       'trig_' || i || '.jpg', 'receiving', 4, '2001-01-01'
FROM generate_series(1, 9) i;
SELECT is((SELECT count(*)::int FROM devicewake.device_images WHERE image_name LIKE 'trig_%'
           AND updated_at = '2001-01-01'), 9, 'an image''s insert leaves updated_at as written');
UPDATE devicewake.device_images SET received_chunks = 1 WHERE image_id = '18000000-0000-4000-8000-0000000000e9';
SELECT is((SELECT updated_at FROM devicewake.device_images WHERE image_id = '18000000-0000-4000-8000-0000000000e9'),
    now(), 'an image''s update sets its updated_at');

-- ---------------------------------------------------------------- row events, per statement
-- what the feed got since the last check: kind and subject, in feed order
CREATE TEMP TABLE seen (last bigint);
INSERT INTO seen SELECT coalesce(max(event_id), 0) FROM devicewake.events;
CREATE FUNCTION pg_temp.new_events() RETURNS TABLE (event_type text, subject_id uuid)
    LANGUAGE sql AS
$$ WITH got AS (SELECT e.event_id, e.event_type, e.subject_id FROM devicewake.events e
                WHERE e.event_id > (SELECT last FROM seen)),
        moved AS (UPDATE seen SET last = coalesce((SELECT max(event_id) FROM got), last))
   SELECT event_type, subject_id FROM got ORDER BY event_id $$;

UPDATE devicewake.device_images SET status = 'failed', timeout_reason = 'test ' || image_name
WHERE image_id IN ('18000000-0000-4000-8000-0000000000e1', '18000000-0000-4000-8000-0000000000e2',
                   '18000000-0000-4000-8000-0000000000e3');
SELECT results_eq($$SELECT event_type, subject_id FROM pg_temp.new_events() ORDER BY subject_id$$,
    $$VALUES ('image_failed', '18000000-0000-4000-8000-0000000000e1'::uuid),
             ('image_failed', '18000000-0000-4000-8000-0000000000e2'::uuid),
             ('image_failed', '18000000-0000-4000-8000-0000000000e3'::uuid)$$,
    'one statement failing three images: three events');
SELECT results_eq($$SELECT company_id, device_id, data FROM devicewake.events
                    WHERE subject_id = '18000000-0000-4000-8000-0000000000e2'$$,
    $$VALUES ('18000000-0000-4000-8000-00000000000a'::uuid, '18000000-0000-4000-8000-0000000000d1'::uuid,
              '{"image_name": "trig_2.jpg", "reason": "test trig_2.jpg", "retry_count": 0}'::jsonb)$$,
    'the event carries the company, the device and the row''s values of that statement');
UPDATE devicewake.device_images SET status = 'failed', timeout_reason = 'again'
WHERE image_id = '18000000-0000-4000-8000-0000000000e1';
SELECT is((SELECT count(*)::int FROM pg_temp.new_events()), 0, 'an update that changes no status adds none');

-- several kinds in one statement come in the order their rows changed
INSERT INTO devicewake.device_alerts (alert_id, device_id, alert_type, severity, message)
VALUES ('18000000-0000-4000-8000-0000000000f1', '18000000-0000-4000-8000-0000000000d1', 'trig', 'info', 'a');
DO $$ BEGIN PERFORM count(*) FROM pg_temp.new_events(); END $$;  -- (the alert_raised event)
WITH resolved AS (UPDATE devicewake.device_alerts SET resolved_at = now()
                  WHERE alert_id = '18000000-0000-4000-8000-0000000000f1' RETURNING alert_id)
UPDATE devicewake.device_images SET status = 'complete', image_data = '\xff'
WHERE image_id = '18000000-0000-4000-8000-0000000000e4' AND EXISTS (SELECT FROM resolved);
SELECT results_eq($$SELECT event_type, subject_id FROM pg_temp.new_events()$$,
    $$VALUES ('alert_resolved', '18000000-0000-4000-8000-0000000000f1'::uuid),
             ('image_complete', '18000000-0000-4000-8000-0000000000e4'::uuid)$$,
    'two tables changed by one statement: one event each, in the order the rows changed');

-- ---------------------------------------------------------------- subtransactions
SAVEPOINT undone;
UPDATE devicewake.device_images SET status = 'failed' WHERE image_id = '18000000-0000-4000-8000-0000000000e5';
ROLLBACK TO SAVEPOINT undone;
UPDATE devicewake.device_images SET status = 'failed' WHERE image_id = '18000000-0000-4000-8000-0000000000e6';
SELECT results_eq($$SELECT event_type, subject_id FROM pg_temp.new_events()$$,
    $$VALUES ('image_failed', '18000000-0000-4000-8000-0000000000e6'::uuid)$$,
    'a rolled-back savepoint takes its events with it; the next statement''s are there');

-- a statement that fails after its first row's event was queued: nothing of it is appended, later
CREATE FUNCTION pg_temp.refuse_e8() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    IF NEW.image_id = '18000000-0000-4000-8000-0000000000e8' THEN RAISE EXCEPTION 'refused'; END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_refuse AFTER UPDATE ON devicewake.device_images
    FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_e8();
SELECT throws_ok($$UPDATE devicewake.device_images SET status = 'failed'
                   WHERE image_id IN ('18000000-0000-4000-8000-0000000000e7', '18000000-0000-4000-8000-0000000000e8')$$,
    'P0001', 'refused', 'a statement failing in a later row trigger');
DROP TRIGGER zz_refuse ON devicewake.device_images;
SELECT is((SELECT count(*)::int FROM pg_temp.new_events()), 0, 'appends none of its events');
UPDATE devicewake.device_images SET status = 'failed' WHERE image_id = '18000000-0000-4000-8000-0000000000e7';
SELECT results_eq($$SELECT event_type, subject_id FROM pg_temp.new_events()$$,
    $$VALUES ('image_failed', '18000000-0000-4000-8000-0000000000e7'::uuid)$$,
    'and none waits to be appended by the next statement');

-- a trigger whose EXCEPTION block (a subtransaction) changes rows while the outer statement's
-- events wait: committed, both events in the order the rows changed; rolled back, the outer
-- statement's event stays and the undone change has none
INSERT INTO devicewake.device_alerts (alert_id, device_id, alert_type, severity, message) VALUES
    ('18000000-0000-4000-8000-0000000000f2', '18000000-0000-4000-8000-0000000000d1', 'trig', 'info', 'b'),
    ('18000000-0000-4000-8000-0000000000f3', '18000000-0000-4000-8000-0000000000d1', 'trig', 'info', 'c');
DO $$ BEGIN PERFORM count(*) FROM pg_temp.new_events(); END $$;
CREATE FUNCTION pg_temp.resolve_in_block() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    BEGIN
        UPDATE devicewake.device_alerts SET resolved_at = now() WHERE alert_id = TG_ARGV[0]::uuid;
        IF TG_ARGV[1] = 'undo' THEN RAISE EXCEPTION 'undo'; END IF;
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_resolve AFTER UPDATE ON devicewake.device_images
    FOR EACH ROW EXECUTE FUNCTION pg_temp.resolve_in_block('18000000-0000-4000-8000-0000000000f2', 'keep');
UPDATE devicewake.device_images SET status = 'failed' WHERE image_id = '18000000-0000-4000-8000-0000000000e9';
DROP TRIGGER zz_resolve ON devicewake.device_images;
SELECT results_eq($$SELECT event_type, subject_id FROM pg_temp.new_events()$$,
    $$VALUES ('image_failed', '18000000-0000-4000-8000-0000000000e9'::uuid),
             ('alert_resolved', '18000000-0000-4000-8000-0000000000f2'::uuid)$$,
    'a change made in a trigger''s subtransaction comes after the change that fired it');
CREATE TRIGGER zz_resolve AFTER UPDATE ON devicewake.device_images
    FOR EACH ROW EXECUTE FUNCTION pg_temp.resolve_in_block('18000000-0000-4000-8000-0000000000f3', 'undo');
UPDATE devicewake.device_images SET status = 'complete', image_data = '\xff'
WHERE image_id = '18000000-0000-4000-8000-0000000000e5';
DROP TRIGGER zz_resolve ON devicewake.device_images;
SELECT results_eq($$SELECT event_type, subject_id FROM pg_temp.new_events()$$,
    $$VALUES ('image_complete', '18000000-0000-4000-8000-0000000000e5'::uuid)$$,
    'a trigger''s rolled-back subtransaction loses none of the outer statement''s events');
SELECT is((SELECT resolved_at FROM devicewake.device_alerts WHERE alert_id = '18000000-0000-4000-8000-0000000000f3'),
    NULL, 'and its own change is undone, without an event');

-- ---------------------------------------------------------------- the sweep and manual wakes
UPDATE devicewake.devices SET next_wake_at = now() - interval '1 minute'
WHERE device_id = '18000000-0000-4000-8000-0000000000d2';
INSERT INTO devicewake.device_images (image_id, device_id, image_name, status, total_chunks) VALUES
    ('18000000-0000-4000-8000-0000000000c1', '18000000-0000-4000-8000-0000000000d2', 'sweep_1.jpg', 'receiving', 2),
    ('18000000-0000-4000-8000-0000000000c2', '18000000-0000-4000-8000-0000000000d2', 'sweep_2.jpg', 'receiving', 2);
SELECT is((SELECT count(*)::int FROM devicewake.timeout_stale_images() t
           WHERE t.device_id = '18000000-0000-4000-8000-0000000000d2'), 2, 'the sweep fails two images');
SELECT results_eq($$SELECT event_type, subject_id FROM pg_temp.new_events()
                    WHERE subject_id::text LIKE '18000000-%' ORDER BY subject_id$$,
    $$VALUES ('image_failed', '18000000-0000-4000-8000-0000000000c1'::uuid),
             ('image_failed', '18000000-0000-4000-8000-0000000000c2'::uuid)$$,
    'one event each');

INSERT INTO devicewake.device_commands (command_id, device_id, command_type, status)
VALUES ('18000000-0000-4000-8000-0000000000a1', '18000000-0000-4000-8000-0000000000d1', 'set_wake_schedule', 'sent'),
       ('18000000-0000-4000-8000-0000000000a2', '18000000-0000-4000-8000-0000000000d2', 'set_wake_schedule', 'sent');
INSERT INTO devicewake.manual_wakes (command_id, device_id, requested_role, wake_at) VALUES
    ('18000000-0000-4000-8000-0000000000a1', '18000000-0000-4000-8000-0000000000d1', 'postgres', now() - interval '1 hour'),
    ('18000000-0000-4000-8000-0000000000a2', '18000000-0000-4000-8000-0000000000d2', 'postgres', now() - interval '2 hours');
SELECT is(devicewake._mark_missed_manual_wakes(now()) >= 2, true, 'the tick finds two wakes missed');
SELECT results_eq($$SELECT event_type, subject_id FROM pg_temp.new_events()
                    WHERE subject_id::text LIKE '18000000-%' ORDER BY subject_id$$,
    $$VALUES ('manual_wake_missed', '18000000-0000-4000-8000-0000000000a1'::uuid),
             ('manual_wake_missed', '18000000-0000-4000-8000-0000000000a2'::uuid)$$,
    'one manual_wake_missed event each');

-- manual wakes told or cancelled by their set_wake_schedule, a batch per statement
INSERT INTO devicewake.device_commands (command_id, device_id, command_type) VALUES
    ('18000000-0000-4000-8000-0000000000a3', '18000000-0000-4000-8000-0000000000d1', 'set_wake_schedule'),
    ('18000000-0000-4000-8000-0000000000a4', '18000000-0000-4000-8000-0000000000d2', 'set_wake_schedule'),
    ('18000000-0000-4000-8000-0000000000a5', '18000000-0000-4000-8000-0000000000d1', 'set_wake_schedule'),
    ('18000000-0000-4000-8000-0000000000a6', '18000000-0000-4000-8000-0000000000d2', 'set_wake_schedule');
INSERT INTO devicewake.manual_wakes (command_id, device_id, requested_role, wake_at, state) VALUES
    ('18000000-0000-4000-8000-0000000000a3', '18000000-0000-4000-8000-0000000000d1', 'postgres', now() + interval '1 hour', 'requested'),
    ('18000000-0000-4000-8000-0000000000a4', '18000000-0000-4000-8000-0000000000d2', 'postgres', now() + interval '1 hour', 'requested'),
    ('18000000-0000-4000-8000-0000000000a5', '18000000-0000-4000-8000-0000000000d1', 'postgres', now() + interval '1 hour', 'requested'),
    ('18000000-0000-4000-8000-0000000000a6', '18000000-0000-4000-8000-0000000000d2', 'postgres', now() + interval '1 hour', 'superseded');
UPDATE devicewake.device_commands SET status = 'sent'
WHERE command_id IN ('18000000-0000-4000-8000-0000000000a3', '18000000-0000-4000-8000-0000000000a4');
UPDATE devicewake.device_commands SET status = 'cancelled'
WHERE command_id IN ('18000000-0000-4000-8000-0000000000a5', '18000000-0000-4000-8000-0000000000a6');
SELECT results_eq($$SELECT command_id, state, told_at FROM devicewake.manual_wakes
                    WHERE command_id::text LIKE '18000000-%' AND wake_at > now() ORDER BY command_id$$,
    $$VALUES ('18000000-0000-4000-8000-0000000000a3'::uuid, 'told', now()),
             ('18000000-0000-4000-8000-0000000000a4'::uuid, 'told', now()),
             ('18000000-0000-4000-8000-0000000000a5'::uuid, 'cancelled', NULL),
             ('18000000-0000-4000-8000-0000000000a6'::uuid, 'superseded', NULL)$$,
    'commands sent together tell their wakes; a cancelled command cancels its wake unless superseded');

SELECT * FROM finish();
ROLLBACK;
