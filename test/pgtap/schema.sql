-- The data model's contract (docs/design.md §2): tables, keys, status vocabularies, roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(16);

SELECT has_schema('devicewake');
SELECT tables_are('devicewake', ARRAY[
  'companies', 'users', 'company_members', 'sites', 'devices', 'device_wake_sessions',
  'device_images', 'image_chunks', 'device_commands', 'device_alerts', 'device_history',
  'rejected_messages']);
SELECT has_role('devicewake_admin');
SELECT has_role('devicewake_operator');
SELECT has_role('devicewake_viewer');
SELECT col_is_unique('devicewake', 'devices', 'device_mac', 'device_mac is unique');
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
  $$INSERT INTO devicewake.devices (device_mac) VALUES ('not a mac')$$,
  '22023', 'invalid device identifier "not a mac"', 'device identifiers are validated');
SELECT throws_ok(
  $$INSERT INTO devicewake.sites (name, timezone) VALUES ('x', 'Nowhere/Else')$$,
  '22023', 'time zone "Nowhere/Else" not recognized', 'site time zones are validated');

SELECT * FROM finish();
ROLLBACK;
