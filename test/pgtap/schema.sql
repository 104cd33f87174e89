-- The data model's contract (docs/design.md §2): tables, keys, status vocabularies, roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(51);

SELECT has_schema('devicewake');
SELECT tables_are('devicewake', ARRAY[
  'companies', 'users', 'company_members', 'sites', 'devices', 'device_wake_sessions',
  'device_images', 'image_chunks', 'device_commands', 'device_alerts', 'device_history',
  'rejected_messages', 'events', 'manual_wakes', 'campaigns', 'campaign_targets', 'device_directory']);
SELECT has_role('devicewake_admin');
SELECT has_role('devicewake_operator');
SELECT has_role('devicewake_viewer');
SELECT col_is_pk('devicewake', 'device_directory', 'device_mac', 'device_mac is unique: the directory''s key');
-- distributable on Citus (docs/design.md §10): every key and unique constraint of a table with a
-- device_id includes it, and so does every foreign key between two such tables
SELECT is_empty($$
  SELECT c.relname || ' ' || k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
  WHERE c.relnamespace = 'devicewake'::regnamespace AND k.contype IN ('p', 'u', 'f')
    AND c.relname NOT IN ('device_directory', 'events')
    AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'device_id')
    AND (k.contype <> 'f' OR EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = k.confrelid AND a.attname = 'device_id'))
    AND NOT (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'device_id') = ANY (k.conkey)
  UNION ALL
  SELECT c.relname || ' ' || i.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid
  JOIN pg_class i ON i.oid = x.indexrelid
  WHERE c.relnamespace = 'devicewake'::regnamespace AND x.indisunique AND c.relname NOT IN ('device_directory', 'events')
    AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'device_id')
    AND NOT (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'device_id') = ANY (x.indkey::int2[])$$,
  'every key, unique index and device-to-device foreign key of a device table includes device_id');
SELECT col_not_null('devicewake', 'image_chunks', 'device_id', 'a chunk carries its image''s device_id');
SELECT is_empty($$SELECT tablename || ' ' || policyname FROM pg_policies
                  WHERE schemaname = 'devicewake' AND (qual ~* 'select' OR with_check ~* 'select')$$,
  'no policy holds a subquery');
SELECT col_default_is('devicewake', 'device_commands', 'priority', '5', 'priority defaults to 5');
SELECT col_default_is('devicewake', 'device_images', 'max_retries', '3', 'max_retries defaults to 3');
SELECT col_default_is('devicewake', 'devices', 'manual_wake_override', 'false', 'override defaults to false');
SELECT has_index('devicewake', 'device_images', 'device_images_receiving_idx', 'partial index for the sweep');
SELECT has_index('devicewake', 'device_commands', 'device_commands_dispatch_idx', 'index for the dispatcher');

INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-SCHEMA-1');
SELECT throws_ok(
  $$INSERT INTO devicewake.device_commands (device_id, command_type)
    SELECT device_id, 'self_destruct' FROM devicewake.devices WHERE device_mac = 'TEST-SCHEMA-1'$$,
  '23514', NULL, 'unknown command types are rejected');
SELECT throws_ok(
  $$INSERT INTO devicewake.device_commands (device_id, command_type, priority)
    SELECT device_id, 'ping', 11 FROM devicewake.devices WHERE device_mac = 'TEST-SCHEMA-1'$$,
  '23514', NULL, 'priority is 1..10');
SELECT throws_ok(
  $$INSERT INTO devicewake.device_images (device_id, image_name, status)
    SELECT device_id, 'a.jpg', 'lost' FROM devicewake.devices WHERE device_mac = 'TEST-SCHEMA-1'$$,
  '23514', NULL, 'unknown image statuses are rejected');
SELECT throws_ok(
  $$INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-SCHEMA-1')$$,
  '23505', 'duplicate key value violates unique constraint "device_directory_pkey"',
  'a MAC another device holds is refused');
UPDATE devicewake.devices SET device_mac = 'TEST-SCHEMA-2' WHERE device_mac = 'TEST-SCHEMA-1';
SELECT is((SELECT array_agg(r.device_mac) FROM devicewake.device_directory r
           JOIN devicewake.devices d USING (device_id) WHERE d.device_mac LIKE 'TEST-SCHEMA-%'),
  ARRAY['TEST-SCHEMA-2'], 'a device that changes MAC frees the old one in the directory');
INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-SCHEMA-1');
DELETE FROM devicewake.devices WHERE device_mac = 'TEST-SCHEMA-1';
SELECT is((SELECT count(*)::int FROM devicewake.device_directory WHERE device_mac = 'TEST-SCHEMA-1'), 0,
  'a deleted device frees its MAC');
UPDATE devicewake.devices SET device_mac = 'TEST-SCHEMA-1' WHERE device_mac = 'TEST-SCHEMA-2';
SELECT throws_ok(
  $$INSERT INTO devicewake.devices (device_mac) VALUES ('not a mac')$$,
  '22023', 'invalid device identifier "not a mac"', 'device identifiers are validated');
SELECT throws_ok(
  $$INSERT INTO devicewake.sites (name, timezone) VALUES ('x', 'Nowhere/Else')$$,
  '22023', 'time zone "Nowhere/Else" not recognized', 'site time zones are validated');

-- ---------------------------------------------------------------- fleet operations (issue 16)
SELECT is(pg_get_function_result('devicewake.request_manual_wakes(uuid[], timestamptz)'::regprocedure),
    'TABLE(device_id uuid, command_id uuid)', 'request_manual_wakes(uuid[], timestamptz) returns (device_id, command_id)');
SELECT is(pg_get_function_result('devicewake.request_manual_wakes(uuid[], interval)'::regprocedure),
    'TABLE(device_id uuid, command_id uuid)', 'request_manual_wakes(uuid[], interval) returns (device_id, command_id)');
SELECT is(pg_get_function_result('devicewake.request_site_wake(uuid, timestamptz)'::regprocedure),
    'TABLE(device_id uuid, command_id uuid)', 'request_site_wake returns (device_id, command_id)');
SELECT function_returns('devicewake', 'request_manual_wake', ARRAY['uuid', 'timestamp with time zone', 'jsonb'], 'uuid');
SELECT function_returns('devicewake', 'request_manual_wake', ARRAY['uuid', 'interval', 'jsonb'], 'uuid');
SELECT is(pg_get_function_arguments('devicewake.create_campaign(text, text, jsonb, jsonb, integer, numeric, integer, interval)'::regprocedure),
    'p_name text, p_command_type text, p_command_payload jsonb, p_target jsonb, p_max_per_minute integer DEFAULT NULL::integer, '
    'p_abort_failure_ratio numeric DEFAULT NULL::numeric, p_abort_min_devices integer DEFAULT 10, '
    'p_ack_timeout interval DEFAULT ''24:00:00''::interval', 'create_campaign''s parameters and defaults');
SELECT function_returns('devicewake', 'create_campaign', ARRAY['text', 'text', 'jsonb', 'jsonb', 'integer', 'numeric', 'integer', 'interval'], 'uuid');
SELECT function_returns('devicewake', 'pause_campaign', ARRAY['uuid'], 'boolean');
SELECT function_returns('devicewake', 'resume_campaign', ARRAY['uuid'], 'boolean');
SELECT function_returns('devicewake', 'cancel_campaign', ARRAY['uuid'], 'boolean');
SELECT is(pg_get_function_arguments('devicewake.events_since(bigint, integer)'::regprocedure),
    'p_after bigint, p_limit integer DEFAULT 100', 'events_since(p_after, p_limit DEFAULT 100)');
SELECT function_returns('devicewake', 'events_since', ARRAY['bigint', 'integer'], 'setof devicewake.events');
-- PostgREST's rpc runs events_since as the caller: RLS on the feed decides what it returns
SELECT isnt_definer('devicewake', 'events_since', ARRAY['bigint', 'integer']);
SELECT is_definer('devicewake', 'create_campaign', ARRAY['text', 'text', 'jsonb', 'jsonb', 'integer', 'numeric', 'integer', 'interval']);
SELECT is_definer('devicewake', 'request_manual_wakes', ARRAY['uuid[]', 'timestamp with time zone']);
SELECT is_definer('devicewake', 'request_site_wake', ARRAY['uuid', 'timestamp with time zone']);
SELECT has_view('devicewake', 'campaign_progress', 'view campaign_progress');
SELECT has_view('devicewake', 'manual_wake_history', 'view manual_wake_history');
SELECT function_privs_are('devicewake', 'create_campaign', ARRAY['text', 'text', 'jsonb', 'jsonb', 'integer', 'numeric', 'integer', 'interval'],
    'devicewake_viewer', ARRAY[]::text[], 'viewers may not create campaigns');
SELECT function_privs_are('devicewake', 'create_campaign', ARRAY['text', 'text', 'jsonb', 'jsonb', 'integer', 'numeric', 'integer', 'interval'],
    'devicewake_operator', ARRAY['EXECUTE'], 'operators may create campaigns');
SELECT function_privs_are('devicewake', 'cancel_campaign', ARRAY['uuid'],
    'devicewake_viewer', ARRAY[]::text[], 'viewers may not cancel campaigns');
SELECT function_privs_are('devicewake', 'request_site_wake', ARRAY['uuid', 'timestamp with time zone'],
    'devicewake_viewer', ARRAY[]::text[], 'viewers may not wake a site');
SELECT function_privs_are('devicewake', 'request_manual_wakes', ARRAY['uuid[]', 'timestamp with time zone'],
    'devicewake_operator', ARRAY['EXECUTE'], 'operators may wake many devices');
SELECT function_privs_are('devicewake', 'events_since', ARRAY['bigint', 'integer'],
    'devicewake_viewer', ARRAY['EXECUTE'], 'viewers may read the feed');
SELECT function_privs_are('devicewake', '_campaign_tick', ARRAY['timestamp with time zone'],
    'devicewake_admin', ARRAY[]::text[], 'only the worker (the owner) runs the campaign tick');
SELECT table_privs_are('devicewake', 'campaign_progress', 'devicewake_viewer', ARRAY['SELECT'],
    'viewers read campaign progress');
SELECT table_privs_are('devicewake', 'events', 'devicewake_viewer', ARRAY['SELECT'], 'viewers read the feed table');
SELECT table_privs_are('devicewake', 'campaigns', 'devicewake_operator', ARRAY['SELECT'],
    'operators write campaigns only through the functions');
SELECT is((SELECT bool_and(relrowsecurity) FROM pg_class
           WHERE oid IN ('devicewake.events'::regclass, 'devicewake.manual_wakes'::regclass,
                         'devicewake.campaigns'::regclass, 'devicewake.campaign_targets'::regclass)),
    true, 'row-level security on the feed, manual wakes, campaigns and their targets');

SELECT * FROM finish();
ROLLBACK;
