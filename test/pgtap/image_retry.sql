-- The contract of the timeout/retry API (docs/design.md §4, §5): signatures, return types, SECURITY
-- DEFINER with a pinned search_path, privileges with real roles, device access, SQLSTATEs, and
-- the pg_cron registration (pg_cron is installed in this database).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(58);

SELECT has_function('devicewake', 'timeout_stale_images', ARRAY[]::text[]);
SELECT function_returns('devicewake', 'timeout_stale_images', ARRAY[]::text[], 'setof record');
SELECT is(pg_get_function_result('devicewake.timeout_stale_images()'::regprocedure),
          'TABLE(device_id uuid, image_id uuid, image_name text, retry_count integer, command_id uuid, alert_id uuid)',
          'timeout_stale_images returns the documented columns');
SELECT function_returns('devicewake', 'queue_image_retry', ARRAY['uuid'], 'uuid');
SELECT function_returns('devicewake', 'retry_failed_images', ARRAY['uuid'], 'integer');
SELECT function_returns('devicewake', 'schedule_timeout_monitor', ARRAY['text'], 'bigint');
SELECT function_returns('devicewake', 'unschedule_timeout_monitor', ARRAY[]::text[], 'boolean');
SELECT is(pg_get_function_arguments('devicewake.schedule_timeout_monitor(text)'::regprocedure),
          'p_schedule text DEFAULT ''*/5 * * * *''::text', 'the monitor runs every 5 minutes by default');
SELECT function_lang_is('devicewake', 'timeout_stale_images', ARRAY[]::text[], 'plpgsql', 'the sweep is SQL (PL/pgSQL)');
SELECT function_lang_is('devicewake', 'queue_image_retry', ARRAY['uuid'], 'plpgsql', 'queue_image_retry is PL/pgSQL');
SELECT function_lang_is('devicewake', 'retry_failed_images', ARRAY['uuid'], 'plpgsql', 'retry_failed_images is PL/pgSQL');
SELECT is_definer('devicewake', f, a) FROM (VALUES
    ('timeout_stale_images', ARRAY[]::name[]), ('queue_image_retry', ARRAY['uuid']::name[]),
    ('retry_failed_images', ARRAY['uuid']::name[]), ('schedule_timeout_monitor', ARRAY['text']::name[]),
    ('unschedule_timeout_monitor', ARRAY[]::name[])) t(f, a);
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'devicewake'::regnamespace
           AND proname IN ('timeout_stale_images', 'queue_image_retry', 'retry_failed_images',
                           'schedule_timeout_monitor', 'unschedule_timeout_monitor')
           AND proconfig @> ARRAY['search_path=pg_catalog, pg_temp']), 5,
          'every one pins search_path to pg_catalog, pg_temp');

-- privileges: nothing for PUBLIC; retries for operators; the sweep and its schedule for admins
SELECT function_privs_are('devicewake', 'queue_image_retry', ARRAY['uuid'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('devicewake', 'retry_failed_images', ARRAY['uuid'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('devicewake', 'timeout_stale_images', ARRAY[]::text[], 'public', ARRAY[]::text[]);
SELECT function_privs_are('devicewake', 'schedule_timeout_monitor', ARRAY['text'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('devicewake', 'queue_image_retry', ARRAY['uuid'], 'devicewake_operator', ARRAY['EXECUTE']);
SELECT function_privs_are('devicewake', 'retry_failed_images', ARRAY['uuid'], 'devicewake_operator', ARRAY['EXECUTE']);
SELECT function_privs_are('devicewake', 'timeout_stale_images', ARRAY[]::text[], 'devicewake_operator', ARRAY[]::text[]);
SELECT function_privs_are('devicewake', 'timeout_stale_images', ARRAY[]::text[], 'devicewake_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('devicewake', 'schedule_timeout_monitor', ARRAY['text'], 'devicewake_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('devicewake', 'queue_image_retry', ARRAY['uuid'], 'devicewake_viewer', ARRAY[]::text[]);

-- the views
SELECT has_view('devicewake', v, 'view ' || v) FROM unnest(ARRAY['device_image_summary', 'stale_images', 'command_queue']) v;
SELECT is((SELECT count(*)::int FROM pg_class WHERE relnamespace = 'devicewake'::regnamespace
           AND relname IN ('device_image_summary', 'stale_images', 'command_queue')
           AND reloptions @> ARRAY['security_invoker=true']), 3, 'the views run with the reader''s rights');
SELECT table_privs_are('devicewake', 'stale_images', 'devicewake_viewer', ARRAY['SELECT']);
SELECT table_privs_are('devicewake', 'command_queue', 'public', ARRAY[]::text[]);

-- errors
SELECT throws_ok('SELECT devicewake.queue_image_retry(NULL)', '22004', 'image id must not be null');
SELECT throws_ok($$SELECT devicewake.queue_image_retry('00000000-0000-0000-0000-0000000000aa')$$, 'P0002',
                 'image 00000000-0000-0000-0000-0000000000aa does not exist');
SELECT throws_ok('SELECT devicewake.retry_failed_images(NULL)', '22004', 'device id must not be null');
SELECT throws_ok('SELECT devicewake.schedule_timeout_monitor(NULL)', '22004', 'schedule must not be null');

-- real roles: a stranger, an operator outside the device's company, then inside it
CREATE ROLE regress_dw_stranger;
CREATE ROLE regress_dw_operator IN ROLE devicewake_operator;
INSERT INTO devicewake.companies (company_id, name) VALUES ('00000000-0000-0000-0000-00000000c001', 'Regress Co');
INSERT INTO devicewake.sites (site_id, name, company_id)
VALUES ('00000000-0000-0000-0000-00000000517e', 'Regress Site', '00000000-0000-0000-0000-00000000c001');
INSERT INTO devicewake.devices (device_id, device_mac, site_id, next_wake_at)
VALUES ('00000000-0000-0000-0000-00000000de01', 'TEST-PGTAP-1', '00000000-0000-0000-0000-00000000517e', now() + interval '1 hour');
INSERT INTO devicewake.device_images (image_id, device_id, image_name, status, retry_count, failed_at)
VALUES ('00000000-0000-0000-0000-0000000001a1', '00000000-0000-0000-0000-00000000de01', 'a.jpg', 'failed', 2, now());

SET ROLE regress_dw_stranger;
SELECT throws_ok($$SELECT devicewake.queue_image_retry('00000000-0000-0000-0000-0000000001a1')$$, '42501', NULL,
                 'a role without grants cannot queue retries');
SELECT throws_ok('SELECT * FROM devicewake.timeout_stale_images()', '42501', NULL,
                 'a role without grants cannot sweep');
RESET ROLE;
SET ROLE regress_dw_operator;
SELECT throws_ok($$SELECT devicewake.queue_image_retry('00000000-0000-0000-0000-0000000001a1')$$, 'P0002',
                 'image 00000000-0000-0000-0000-0000000001a1 does not exist',
                 'an image of another company''s device reads as missing');
SELECT throws_ok($$SELECT devicewake.retry_failed_images('00000000-0000-0000-0000-00000000de01')$$, 'P0002',
                 'device 00000000-0000-0000-0000-00000000de01 does not exist',
                 'another company''s device reads as missing');
SELECT throws_ok('SELECT * FROM devicewake.timeout_stale_images()', '42501', NULL,
                 'operators cannot run the fleet-wide sweep');
RESET ROLE;
INSERT INTO devicewake.users (user_id, role_name) VALUES ('00000000-0000-0000-0000-0000000000e1', 'regress_dw_operator');
INSERT INTO devicewake.company_members VALUES ('00000000-0000-0000-0000-00000000c001', '00000000-0000-0000-0000-0000000000e1');
SET ROLE regress_dw_operator;
SELECT isnt(devicewake.queue_image_retry('00000000-0000-0000-0000-0000000001a1'), NULL,
            'an operator of the company queues a retry');
SELECT is(devicewake.retry_failed_images('00000000-0000-0000-0000-00000000de01'), 1,
          'and presses "Retry all failed images"');
RESET ROLE;
SELECT results_eq(
    $$SELECT status, created_by_user_id FROM devicewake.device_commands
      WHERE device_id = '00000000-0000-0000-0000-00000000de01' ORDER BY status$$,
    $$VALUES ('cancelled', '00000000-0000-0000-0000-0000000000e1'::uuid),
             ('pending', '00000000-0000-0000-0000-0000000000e1'::uuid)$$,
    'one pending retry, the replaced one cancelled, both attributed to the caller');
SELECT is((SELECT retry_count FROM devicewake.device_images WHERE image_id = '00000000-0000-0000-0000-0000000001a1'),
          0, 'the manual retry reset the counter');

-- the sweep of some devices only: the statement the sweep runs once per shard on Citus
INSERT INTO devicewake.devices (device_id, device_mac, site_id, next_wake_at) VALUES
    ('00000000-0000-0000-0000-00000000de11', 'TEST-PGTAP-11', '00000000-0000-0000-0000-00000000517e', now() - interval '1 minute'),
    ('00000000-0000-0000-0000-00000000de12', 'TEST-PGTAP-12', '00000000-0000-0000-0000-00000000517e', now() - interval '1 minute');
INSERT INTO devicewake.device_images (device_id, image_name, status, total_chunks)
SELECT d, 'stuck.jpg', 'receiving', 2
FROM unnest(ARRAY['00000000-0000-0000-0000-00000000de11', '00000000-0000-0000-0000-00000000de12']::uuid[]) d;
INSERT INTO devicewake.device_commands (device_id, command_type, expires_at)
SELECT d, 'ping', now() - interval '1 second'
FROM unnest(ARRAY['00000000-0000-0000-0000-00000000de11', '00000000-0000-0000-0000-00000000de12']::uuid[]) d;
SELECT results_eq(
    $$SELECT device_id, image_name, command_id IS NOT NULL
      FROM devicewake._timeout_stale_images(ARRAY['00000000-0000-0000-0000-00000000de11']::uuid[])$$,
    $$VALUES ('00000000-0000-0000-0000-00000000de11'::uuid, 'stuck.jpg', true)$$,
    'the sweep of one device fails its stuck upload and queues its retry');
SELECT results_eq(
    $$SELECT d.device_mac, i.status, c.status FROM devicewake.devices d
      JOIN devicewake.device_images i USING (device_id)
      JOIN devicewake.device_commands c ON c.device_id = d.device_id AND c.command_type = 'ping'
      WHERE d.device_mac LIKE 'TEST-PGTAP-1_' ORDER BY 1$$,
    $$VALUES ('TEST-PGTAP-11', 'failed', 'expired'), ('TEST-PGTAP-12', 'receiving', 'pending')$$,
    'and expires its commands past expiry, leaving the other device''s alone');
SELECT results_eq(
    $$SELECT device_id FROM devicewake._timeout_stale_images(NULL)$$,
    $$VALUES ('00000000-0000-0000-0000-00000000de12'::uuid)$$,
    'NULL sweeps every device: the other one''s upload now');
SELECT is((SELECT status FROM devicewake.device_commands
           WHERE device_id = '00000000-0000-0000-0000-00000000de12' AND command_type = 'ping'),
          'expired', 'and its command');
SELECT ok(NOT has_function_privilege('devicewake_admin', 'devicewake._timeout_stale_images(uuid[])', 'EXECUTE')
          AND NOT has_function_privilege('devicewake_admin', 'devicewake._timeout_stale_images_by_shard()', 'EXECUTE'),
          'the statement and its Citus driver are internal: only the sweep runs them');

-- pg_cron registration
SELECT ok(devicewake.schedule_timeout_monitor() > 0, 'the monitor is scheduled');
SELECT is((SELECT schedule || ' | ' || command || ' | ' || database FROM cron.job
           WHERE jobname = 'devicewake_timeout_monitor'),
          '*/5 * * * * | SELECT pg_catalog.count(*) FROM devicewake.timeout_stale_images() | ' || current_database(),
          'as one pg_cron job running the sweep in this database');
SELECT is(devicewake.schedule_timeout_monitor('*/10 * * * *'),
          (SELECT jobid FROM cron.job WHERE jobname = 'devicewake_timeout_monitor'),
          're-scheduling keeps the one job');
SELECT is((SELECT schedule FROM cron.job WHERE jobname = 'devicewake_timeout_monitor'), '*/10 * * * *',
          'with the new schedule');
SELECT throws_ok($$SELECT devicewake.schedule_timeout_monitor('every now and then')$$, NULL, NULL,
                 'pg_cron rejects an invalid schedule');
SELECT is(devicewake.unschedule_timeout_monitor(), true, 'unscheduling removes the job');
SELECT is(devicewake.unschedule_timeout_monitor(), false, 'and says when there was none');

SELECT * FROM finish();
ROLLBACK;
