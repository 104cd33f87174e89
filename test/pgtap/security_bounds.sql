-- Security suite (#14 items 3 and 4), replayed on every make test: what one device can make the
-- server store is bounded. Drives the worker's ingest functions directly (as the worker does,
-- superuser) with small limits set for this transaction: the running byte total per image with and
-- without image_size, duplicates not counted, the poison chunk refused cheaply and for good, the
-- per-device quota, the purge when retries are exhausted, the rejected_messages retention, and
-- the auto-registration switch and limits.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(29);

CREATE FUNCTION pg_temp.kb(p_n integer, p_fill integer DEFAULT 0) RETURNS bytea LANGUAGE sql AS
$$ SELECT pg_catalog.decode(pg_catalog.repeat(pg_catalog.lpad(pg_catalog.to_hex(p_fill), 2, '0'), 1024 * p_n), 'hex') $$;
-- one chunk of image p_name of device p_mac: the rows _ingest_chunks returns
CREATE FUNCTION pg_temp.chunk(p_mac text, p_name text, p_index integer, p_data bytea)
    RETURNS SETOF text LANGUAGE sql AS
$$ SELECT kind || coalesce(': ' || detail, '')
   FROM devicewake._ingest_chunks(ARRAY[p_mac], ARRAY[p_name], ARRAY[p_index], ARRAY[p_data]) $$;
CREATE FUNCTION pg_temp.image(p_mac text, p_name text) RETURNS devicewake.device_images
    LANGUAGE sql AS
$$ SELECT i.* FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
   WHERE d.device_mac = p_mac AND i.image_name = p_name $$;
CREATE FUNCTION pg_temp.stored(p_mac text, p_name text) RETURNS bigint LANGUAGE sql AS
$$ SELECT count(*) FROM devicewake.image_chunks c WHERE c.image_id = (pg_temp.image(p_mac, p_name)).image_id $$;

-- ---------------------------------------------------------------- item 3: bytes per image
SET LOCAL devicewake.max_image_bytes = '4kB';
-- no image_size: still bounded by the maximum
SELECT kind FROM devicewake._ingest_metadata('TEST-BND-1', 'nosize.jpg', 10, NULL, NULL, 0, '{}', '{}');
SELECT is_empty($$SELECT pg_temp.chunk('TEST-BND-1', 'nosize.jpg', g, pg_temp.kb(1))
                  FROM generate_series(0, 3) g$$,
                'chunks up to devicewake.max_image_bytes are kept without image_size');
SELECT is((SELECT received_bytes FROM pg_temp.image('TEST-BND-1', 'nosize.jpg')), 4096::bigint,
          'received_bytes is the running byte total');
SELECT results_eq($$SELECT * FROM pg_temp.chunk('TEST-BND-1', 'nosize.jpg', 4, pg_temp.kb(1)) ORDER BY 1$$,
    ARRAY['failed: image exceeds its size bound',
          'rejected: image would exceed 4096 bytes (5120 with this chunk): min(image_size, devicewake.max_image_bytes)'],
    'a chunk past the maximum is refused when the image has no image_size, and the image fails');
SELECT is((SELECT row(status, received_chunks, received_bytes)::text FROM pg_temp.image('TEST-BND-1', 'nosize.jpg')),
          '(failed,0,0)', 'the image past its bound is failed with nothing counted');
SELECT is(pg_temp.stored('TEST-BND-1', 'nosize.jpg'), 0::bigint, 'its chunks are purged');
SELECT results_eq($$SELECT * FROM pg_temp.chunk('TEST-BND-1', 'nosize.jpg', 5, pg_temp.kb(1))$$,
    ARRAY['rejected: image was refused for exceeding its size bound; only a new METADATA starts it again'],
    'later chunks of the refused image are refused without being stored');
SELECT is(pg_temp.stored('TEST-BND-1', 'nosize.jpg'), 0::bigint, 'nothing of it is stored again');
SELECT is_empty($$SELECT * FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
                  WHERE d.device_mac = 'TEST-BND-1' AND c.command_type IN ('resend_chunks', 'retry_image')$$,
                'the refused image is never asked for again');

-- announced image_size: the bound is min(image_size, maximum)
RESET devicewake.max_image_bytes;
SELECT kind FROM devicewake._ingest_metadata('TEST-BND-1', 'sized.jpg', 4, 2000, NULL, 0, '{}', '{}');
SELECT is_empty($$SELECT * FROM pg_temp.chunk('TEST-BND-1', 'sized.jpg', 0, pg_temp.kb(1))$$, 'a chunk within image_size is kept');
SELECT is_empty($$SELECT * FROM pg_temp.chunk('TEST-BND-1', 'sized.jpg', 0, pg_temp.kb(1))$$, 'a duplicate is idempotent');
SELECT is((SELECT received_bytes FROM pg_temp.image('TEST-BND-1', 'sized.jpg')), 1024::bigint,
          'a duplicate adds no bytes');
SELECT results_eq($$SELECT * FROM pg_temp.chunk('TEST-BND-1', 'sized.jpg', 1, pg_temp.kb(1)) ORDER BY 1$$,
    ARRAY['failed: image exceeds its size bound',
          'rejected: image would exceed 2000 bytes (2048 with this chunk): min(image_size, devicewake.max_image_bytes)'],
    'a chunk past the announced image_size is refused');
-- a new METADATA starts it again
SELECT is((SELECT kind FROM devicewake._ingest_metadata('TEST-BND-1', 'sized.jpg', 4, 2000, NULL, 0, '{}', '{}')),
          'new', 'a new METADATA resumes the refused image');
SELECT is_empty($$SELECT * FROM pg_temp.chunk('TEST-BND-1', 'sized.jpg', 0, pg_temp.kb(1))$$,
                'and its chunks are kept again');

-- the poison chunk of #14: 4097 chunks of 16 KiB announced, refused at the maximum, cheaply
SET LOCAL devicewake.max_image_bytes = '64kB';
SELECT kind FROM devicewake._ingest_metadata('TEST-BND-2', 'poison.jpg', 4097, NULL, NULL, 0, '{}', '{}');
SELECT results_eq($$SELECT count(*) FILTER (WHERE r LIKE 'rejected%'), count(*) FILTER (WHERE r LIKE 'failed%')
                    FROM devicewake._ingest_chunks(array_fill('TEST-BND-2'::text, ARRAY[6]),
                                                   array_fill('poison.jpg'::text, ARRAY[6]),
                                                   ARRAY[0, 1, 2, 3, 4, 5],
                                                   array_fill(pg_temp.kb(16), ARRAY[6])) AS x(r, a, b, c, d, e)$$,
    $$VALUES (2::bigint, 1::bigint)$$,
    'a batch past the maximum: the chunks beyond it are refused and the image fails once');
SELECT is(pg_temp.stored('TEST-BND-2', 'poison.jpg'), 0::bigint, 'nothing of the poison image is kept');
RESET devicewake.max_image_bytes;

-- ---------------------------------------------------------------- item 3: bytes in flight per device
SET LOCAL devicewake.max_device_bytes_in_flight = '3kB';
SELECT kind FROM devicewake._ingest_metadata('TEST-BND-3', 'a.jpg', 10, NULL, NULL, 0, '{}', '{}');
SELECT kind FROM devicewake._ingest_metadata('TEST-BND-3', 'b.jpg', 10, NULL, NULL, 0, '{}', '{}');
SELECT is_empty($$SELECT * FROM devicewake._ingest_chunks(ARRAY['TEST-BND-3', 'TEST-BND-3', 'TEST-BND-3'],
                  ARRAY['a.jpg', 'a.jpg', 'b.jpg'], ARRAY[0, 1, 0], ARRAY[pg_temp.kb(1), pg_temp.kb(1), pg_temp.kb(1)])$$,
                'chunks within the device''s quota are kept');
SELECT results_eq($$SELECT * FROM pg_temp.chunk('TEST-BND-3', 'b.jpg', 1, pg_temp.kb(1))$$,
    ARRAY['rejected: device would have 4096 bytes of incomplete images stored, more than devicewake.max_device_bytes_in_flight (3072)'],
    'a chunk past the device''s bytes in flight is refused');
SELECT is((SELECT status FROM pg_temp.image('TEST-BND-3', 'b.jpg')), 'receiving',
          'the quota refuses the chunk, not the image');
RESET devicewake.max_device_bytes_in_flight;

-- ---------------------------------------------------------------- item 3: purge when retries are exhausted
UPDATE devicewake.devices SET next_wake_at = now() - interval '1 minute' WHERE device_mac = 'TEST-BND-3';
UPDATE devicewake.device_images i SET max_retries = CASE i.image_name WHEN 'a.jpg' THEN 0 ELSE 3 END
FROM devicewake.devices d WHERE d.device_id = i.device_id AND d.device_mac = 'TEST-BND-3';
SELECT is((SELECT count(*) FROM devicewake.timeout_stale_images() t
           WHERE t.image_name IN ('a.jpg', 'b.jpg')), 2::bigint, 'the sweep fails both uploads');
SELECT is(pg_temp.stored('TEST-BND-3', 'a.jpg'), 0::bigint,
          'an image without retries left has its chunks purged');
SELECT is(pg_temp.stored('TEST-BND-3', 'b.jpg'), 1::bigint, 'an image with a retry queued keeps its chunks');

-- ---------------------------------------------------------------- item 4: rejected_messages retention
INSERT INTO devicewake.rejected_messages (topic, payload, reason, received_at) VALUES
    ('ESP32CAM/TEST-BND/data', '\x01', 'old', now() - interval '8 days'),
    ('ESP32CAM/TEST-BND/data', '\x02', 'recent', now() - interval '6 days');
SET LOCAL devicewake.rejected_retention = 0;
SELECT count(*) FROM devicewake.timeout_stale_images();
SELECT is((SELECT count(*) FROM devicewake.rejected_messages WHERE topic = 'ESP32CAM/TEST-BND/data'), 2::bigint,
          'rejected_retention = 0 keeps every rejected message');
RESET devicewake.rejected_retention;
SELECT count(*) FROM devicewake.timeout_stale_images();
SELECT results_eq($$SELECT reason FROM devicewake.rejected_messages WHERE topic = 'ESP32CAM/TEST-BND/data'$$,
    ARRAY['recent'], 'the sweep deletes rejected messages older than rejected_retention (7 days)');

-- ---------------------------------------------------------------- item 4: auto-registration
SELECT is(devicewake._admit_device('TEST-BND-NEW'), NULL, 'an unknown device is admitted by default');
SET LOCAL devicewake.auto_register = off;
SELECT is(devicewake._admit_device('TEST-BND-NEW'),
          'unknown device, and auto-registration is off (devicewake.auto_register)',
          'auto_register = off refuses unknown devices');
SELECT is(devicewake._admit_device('TEST-BND-1'), NULL, 'a known device is always admitted');
RESET devicewake.auto_register;
SET LOCAL devicewake.max_registrations_per_minute = 3;
SELECT is(devicewake._admit_device('TEST-BND-NEW'),
          'unknown device not registered: 3 unassigned devices were registered in the last minute (devicewake.max_registrations_per_minute)',
          'registrations past the rate are refused (TEST-BND-1, 2 and 3 were registered just now)');
RESET devicewake.max_registrations_per_minute;
SET LOCAL devicewake.max_unassigned_devices = 2;
SELECT is(devicewake._admit_device('TEST-BND-NEW'),
          'unknown device not registered: 2 devices are unassigned (devicewake.max_unassigned_devices)',
          'registrations past the cap of unassigned devices are refused');

SELECT * FROM finish();
ROLLBACK;
