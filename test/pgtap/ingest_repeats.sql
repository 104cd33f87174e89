-- The worker's batch of repeated METADATA (#18: a camera repeats its METADATA every few chunks,
-- and each repeat used to cost a full _ingest_metadata): devicewake._ingest_repeats marks the
-- devices heard from, changes nothing else while the image is receiving, and hands back the
-- repeats whose image is not receiving any more, which the worker then applies in full.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(7);

SELECT kind FROM devicewake._ingest_metadata('TEST-REP-1', 'a.jpg', 4, 4096, NULL, 0, '{}', '{}');
SELECT kind FROM devicewake._ingest_metadata('TEST-REP-2', 'b.jpg', 4, 4096, NULL, 0, '{}', '{}');
UPDATE devicewake.devices SET last_seen_at = now() - interval '1 hour'
WHERE device_mac IN ('TEST-REP-1', 'TEST-REP-2');
CREATE TEMP TABLE before AS
SELECT i.image_id, i.status, i.received_chunks, i.metadata, i.updated_at
FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
WHERE d.device_mac IN ('TEST-REP-1', 'TEST-REP-2');

SELECT is_empty($$SELECT * FROM devicewake._ingest_repeats(ARRAY['TEST-REP-1', 'TEST-REP-2'],
                                                          ARRAY['a.jpg', 'b.jpg'])$$,
                'repeats of images still receiving need nothing more');
SELECT is((SELECT count(*)::int FROM devicewake.devices
           WHERE device_mac IN ('TEST-REP-1', 'TEST-REP-2') AND last_seen_at = now()), 2,
          'the devices were heard from now');
SELECT is_empty($$SELECT i.image_id, i.status, i.received_chunks, i.metadata, i.updated_at
                  FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
                  WHERE d.device_mac IN ('TEST-REP-1', 'TEST-REP-2')
                  EXCEPT SELECT * FROM before$$,
                'and the images are unchanged');

-- one image finished meanwhile (here: failed by the sweep), one name the server never saw
UPDATE devicewake.device_images SET status = 'failed'
WHERE image_name = 'b.jpg' AND device_id = (SELECT device_id FROM devicewake.devices WHERE device_mac = 'TEST-REP-2');
SELECT results_eq($$SELECT * FROM devicewake._ingest_repeats(
                        ARRAY['TEST-REP-1', 'TEST-REP-2', 'TEST-REP-1', 'TEST-REP-9'],
                        ARRAY['a.jpg', 'b.jpg', 'c.jpg', 'a.jpg'])$$,
                  ARRAY[2, 3, 4]::bigint[],
                  'the positions of repeats whose image is not receiving (or unknown) come back, in order');
SELECT is((SELECT count(*)::int FROM devicewake.devices WHERE device_mac = 'TEST-REP-9'), 0,
          'an unknown device is not registered by a repeat');
SELECT is((SELECT kind FROM devicewake._ingest_metadata('TEST-REP-2', 'b.jpg', 4, 4096, NULL, 0, '{}', '{}')),
          'new', 'applied in full, the repeat of the failed image resumes it');

SELECT is_empty($$SELECT * FROM devicewake._ingest_repeats('{}', '{}')$$, 'an empty batch is a no-op');
SELECT * FROM finish();
ROLLBACK;
