-- The device directory (21_device_directory.sql) on one server: what keeps a MAC unique since 1.1
-- keys devices by device_id alone (docs/design.md §10). A MAC held by another device is refused
-- with the unique-violation a UNIQUE(device_mac) gave, by insert and by update; a deleted or
-- re-addressed device frees its MAC; the directory follows every change.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(8);

INSERT INTO devicewake.devices (device_id, device_mac)
VALUES ('0d000000-0000-4000-8000-0000000000a1', 'TEST-DIR-1'),
       ('0d000000-0000-4000-8000-0000000000a2', 'TEST-DIR-2');
SELECT is((SELECT device_id FROM devicewake.device_directory WHERE device_mac = 'TEST-DIR-1'),
    '0d000000-0000-4000-8000-0000000000a1'::uuid, 'an inserted device enters the directory');
SELECT throws_ok($$INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-DIR-1')$$,
    '23505', 'duplicate key value violates unique constraint "device_directory_pkey"',
    'a second device with a MAC another holds is refused');
SELECT throws_ok($$UPDATE devicewake.devices SET device_mac = 'TEST-DIR-1'
                   WHERE device_id = '0d000000-0000-4000-8000-0000000000a2'$$,
    '23505', 'duplicate key value violates unique constraint "device_directory_pkey"',
    'moving a device to a MAC another holds is refused');
SELECT is((SELECT count(*) FROM devicewake.devices WHERE device_mac = 'TEST-DIR-1'), 1::bigint,
    'and nothing was written');

UPDATE devicewake.devices SET device_mac = 'TEST-DIR-3' WHERE device_id = '0d000000-0000-4000-8000-0000000000a2';
SELECT is((SELECT string_agg(device_mac, ',' ORDER BY device_mac) FROM devicewake.device_directory
           WHERE device_id = '0d000000-0000-4000-8000-0000000000a2'), 'TEST-DIR-3',
    'a new MAC replaces the old one in the directory');
SELECT lives_ok($$INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-DIR-2')$$,
    'the old MAC is free for another device');
DELETE FROM devicewake.devices WHERE device_id = '0d000000-0000-4000-8000-0000000000a1';
SELECT is((SELECT count(*) FROM devicewake.device_directory WHERE device_mac = 'TEST-DIR-1'), 0::bigint,
    'a deleted device leaves the directory');
SELECT lives_ok($$INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-DIR-1')$$,
    'and its MAC can be registered again');

SELECT * FROM finish();
ROLLBACK;
