-- #17: the retries asked for by hand run by device, every statement naming it, so that on Citus
-- each runs on that device's shard (one statement over the images' devices could not be pushed
-- down), and a missing chunk is looked up by the image's whole key. _queue_image_retries takes the
-- device now: the 1.0 functions are dropped here, and 20_2_manual_retries.sql (the install's
-- 38_manual_retries.sql) creates them and _missing_chunks with their final texts, comments and
-- grants.
DROP FUNCTION devicewake.retry_failed_images(uuid);
DROP FUNCTION devicewake.queue_image_retry(uuid);
DROP FUNCTION devicewake._queue_image_retries(uuid[]);
