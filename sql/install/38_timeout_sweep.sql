-- The timeout sweep (docs/design.md §4, docs/retries.md): uploads still arriving when their
-- device's next wake has come fail, get a retry or an alert, and old commands expire. SQL here,
-- where EXPLAIN can read it; the rules it applies are 38_image_retry.sql's, the missing chunks
-- 38_manual_retries.sql's.

-- The sweep of devices p_devices (NULL: every device), one statement. On one server it runs once
-- over every device: the uploads in flight (partial index device_images_receiving_idx) drive the
-- search, with a primary-key probe of devices each (a nested loop, measured with 1,000,000
-- devices), so the cost follows the number of uploads in flight, not the fleet's size. Images are
-- locked with SKIP LOCKED and re-checked in the UPDATE, so overlapping sweeps fail each image
-- exactly once (docs/retries.md); the expiry step skips locked commands too, so two sweeps never
-- wait on each other. On Citus it runs once per shard, for the devices of that shard, every step
-- naming them, so that each step runs there (Citus refuses FOR UPDATE across shards). Citus facts
-- shape the text: a volatile function may not be called in a RETURNING clause sent to a shard
-- (the command ids are made in the outcome step, which Citus runs on the coordinator); a simple
-- CASE over a column reaches the shards wrongly (a searched CASE is used); and every table a step
-- reads names the devices (1.0's lateral OFFSET 0 probe of devices could not be routed; a scalar
-- subquery could, but cost the sweep 8 % on one server). Rows ordered by device and image name.
CREATE FUNCTION devicewake._timeout_stale_images(p_devices uuid[])
    RETURNS TABLE (device_id uuid, image_id uuid, image_name text, retry_count integer,
                   command_id uuid, alert_id uuid)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH stale AS (
        SELECT i.image_id, d.next_wake_at
        FROM devicewake.device_images i JOIN devicewake.devices d ON d.device_id = i.device_id
        WHERE i.status = 'receiving' AND d.next_wake_at <= pg_catalog.now()
          AND (p_devices IS NULL OR (i.device_id = ANY (p_devices) AND d.device_id = ANY (p_devices)))
        FOR UPDATE OF i SKIP LOCKED),
    failed AS (
        UPDATE devicewake.device_images i
        SET status = 'failed', failed_at = pg_catalog.now(),
            timeout_reason = 'Transmission not completed before next wake window',
            retry_count = i.retry_count + 1,
            -- no retry left: its chunks are purged below (#14 item 3)
            received_chunks = CASE WHEN devicewake._retry_should_queue(i.retry_count, i.max_retries)
                                   THEN i.received_chunks ELSE 0 END,
            received_bytes = CASE WHEN devicewake._retry_should_queue(i.retry_count, i.max_retries)
                                  THEN i.received_bytes ELSE 0 END
        FROM stale s
        WHERE i.image_id = s.image_id AND i.status = 'receiving'
          AND (p_devices IS NULL OR i.device_id = ANY (p_devices))
        RETURNING i.image_id, i.device_id, i.session_id, i.image_name, i.total_chunks,
                  i.retry_count - 1 AS retry_count_before, i.retry_count, i.max_retries,
                  s.next_wake_at AS wake,
                  devicewake._retry_should_queue(i.retry_count - 1, i.max_retries) AS retried),
    -- every failure, with its retry's command id and missing chunks (NULL: no retry left)
    outcome AS (
        SELECT f.*,
               CASE WHEN f.retried THEN pg_catalog.gen_random_uuid() END AS command_id,
               CASE WHEN f.retried
                    THEN pg_catalog.to_jsonb(devicewake._missing_chunks(f.image_id, f.device_id, f.total_chunks))
               END AS missing_chunks
        FROM failed f),
    -- a retry replaces, never duplicates: the image's pending retries not yet claimed and not
    -- past expiry are cancelled (the same steps as devicewake._queue_image_retries)
    superseded AS (
        SELECT x.command_id
        FROM outcome r CROSS JOIN LATERAL
             (SELECT c.command_id FROM devicewake.device_commands c
              WHERE c.device_id = r.device_id AND c.status = 'pending'
                AND c.command_type = 'retry_image' AND c.claimed_at IS NULL
                AND c.expires_at > pg_catalog.now()
                AND c.command_payload ->> 'image_id' = r.image_id::text
                AND (p_devices IS NULL OR c.device_id = ANY (p_devices)) OFFSET 0) x
        WHERE r.retried),
    cancelled AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled', error_message = 'superseded by a newer retry of the same image'
        FROM superseded k
        WHERE c.command_id = k.command_id AND (p_devices IS NULL OR c.device_id = ANY (p_devices))
          AND c.status = 'pending' AND c.claimed_at IS NULL AND c.expires_at > pg_catalog.now()
        RETURNING c.command_id),
    -- queued once the cancellations are done (the count waits for them): their scans of pending
    -- commands then never walk the index entries of the retries inserted here, which they cannot
    -- see (3,000 retries: 0.5 s against 1.5 s)
    queued AS (
        INSERT INTO devicewake.device_commands
            (command_id, device_id, command_type, command_payload, priority, scheduled_for,
             expires_at, created_by_user_id)
        SELECT r.command_id, r.device_id, 'retry_image',
               pg_catalog.jsonb_build_object('image_id', r.image_id, 'image_name', r.image_name,
                   'total_chunks', r.total_chunks, 'missing_chunks', r.missing_chunks),
               8, devicewake._retry_scheduled_for(r.wake), devicewake._retry_expires_at(r.wake),
               NULL::uuid
        FROM outcome r CROSS JOIN (SELECT pg_catalog.count(*) FROM cancelled) AS done
        WHERE r.retried),
    alerted AS (
        INSERT INTO devicewake.device_alerts
            (device_id, image_id, alert_type, severity, message, metadata, attempt)
        SELECT f.device_id, f.image_id, 'image_transmission_failed', 'critical',
               pg_catalog.format('Image %s failed to transmit (attempt %s of %s): %s', f.image_name,
                   f.retry_count, f.max_retries,
                   CASE WHEN f.retried THEN 'last retry queued' ELSE 'no retries left' END),
               pg_catalog.jsonb_build_object('image_name', f.image_name, 'retry_count', f.retry_count,
                   'max_retries', f.max_retries,
                   'reason', 'Transmission not completed before next wake window',
                   'retry_queued', f.retried),
               f.retry_count
        FROM outcome f WHERE devicewake._retry_should_alert(f.retry_count_before, f.max_retries)
        ON CONFLICT (image_id, alert_type, attempt, device_id) WHERE resolved_at IS NULL DO NOTHING
        RETURNING alert_id, image_id),
    -- retries exhausted: the chunks of a failed image are not kept forever (#14 item 3)
    purged AS (
        DELETE FROM devicewake.image_chunks ch USING outcome f
        WHERE ch.image_id = f.image_id AND ch.device_id = f.device_id AND NOT f.retried
          AND (p_devices IS NULL OR ch.device_id = ANY (p_devices))),
    history AS (
        INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
        SELECT f.device_id, f.session_id, 'image_timeout',
               pg_catalog.jsonb_build_object('image_id', f.image_id, 'image_name', f.image_name,
                   'retry_count', f.retry_count, 'max_retries', f.max_retries,
                   'reason', 'Transmission not completed before next wake window',
                   'retry_command_id', f.command_id, 'chunks_purged', NOT f.retried)
        FROM outcome f),
    -- (a wake conversation's message, once sent, is done: cameras do not acknowledge them)
    expiring AS (
        SELECT c.command_id FROM devicewake.device_commands c
        WHERE (c.status = 'pending' OR (c.status = 'sent' AND c.session_id IS NULL))
          AND c.expires_at <= pg_catalog.now() AND (p_devices IS NULL OR c.device_id = ANY (p_devices))
        FOR UPDATE OF c SKIP LOCKED),
    expired AS (
        UPDATE devicewake.device_commands c
        SET status = 'expired', claimed_at = NULL,
            error_message = CASE WHEN c.status = 'sent' THEN 'expired before the device acknowledged it'
                                 ELSE 'expired before delivery' END || ' (expires_at passed)'
        FROM expiring e
        WHERE c.command_id = e.command_id AND (p_devices IS NULL OR c.device_id = ANY (p_devices))
          AND c.status IN ('pending', 'sent') AND c.expires_at <= pg_catalog.now())
    SELECT f.device_id, f.image_id, f.image_name, f.retry_count, f.command_id, a.alert_id
    FROM outcome f LEFT JOIN alerted a ON a.image_id = f.image_id
    ORDER BY f.device_id, f.image_name;
END
$$;

-- On Citus: the devices with an upload to fail or a command to expire (read without locks; the
-- sweep checks each again), one sweep statement for each shard's devices.
CREATE FUNCTION devicewake._timeout_stale_images_by_shard()
    RETURNS TABLE (device_id uuid, image_id uuid, image_name text, retry_count integer,
                   command_id uuid, alert_id uuid)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_distributed boolean := EXISTS (SELECT FROM pg_catalog.pg_dist_partition p
                                     WHERE p.logicalrelid = 'devicewake.devices'::pg_catalog.regclass);
    v_devices uuid[];
BEGIN
    FOR v_devices IN
        SELECT pg_catalog.array_agg(x.device_id ORDER BY x.device_id)
        FROM (SELECT s.device_id FROM devicewake.stale_images s
              UNION
              SELECT c.device_id FROM devicewake.device_commands c
              WHERE (c.status = 'pending' OR (c.status = 'sent' AND c.session_id IS NULL))
                AND c.expires_at <= pg_catalog.now()) x
        GROUP BY CASE WHEN v_distributed
                      THEN pg_catalog.get_shard_id_for_distribution_column('devicewake.devices', x.device_id) END
    LOOP
        RETURN QUERY SELECT * FROM devicewake._timeout_stale_images(v_devices);
    END LOOP;
END
$$;

-- Fails the images still receiving when their device's next wake has come, queues their retries,
-- raises their alerts, expires old commands and prunes old rejected messages. Never raises by
-- itself.
CREATE FUNCTION devicewake.timeout_stale_images()
    RETURNS TABLE (device_id uuid, image_id uuid, image_name text, retry_count integer,
                   command_id uuid, alert_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        RETURN QUERY SELECT t.* FROM devicewake._timeout_stale_images_by_shard() t
                     ORDER BY t.device_id, t.image_name;
    ELSE
        RETURN QUERY SELECT * FROM devicewake._timeout_stale_images(NULL);
    END IF;
    -- rejected messages older than devicewake.rejected_retention (0: kept), oldest first and at
    -- most 10,000 a run, so one sweep stays short however many piled up (#14 item 4); a table of
    -- the coordinator's alone on Citus, so a statement of its own
    DELETE FROM devicewake.rejected_messages x
    WHERE x.rejected_id IN (
        SELECT y.rejected_id FROM devicewake.rejected_messages y
        WHERE devicewake._setting_interval('devicewake.rejected_retention', interval '7 days') > interval '0'
          AND y.received_at < pg_catalog.now()
                              - devicewake._setting_interval('devicewake.rejected_retention', interval '7 days')
        ORDER BY y.received_at LIMIT 10000);
END
$$;
COMMENT ON FUNCTION devicewake.timeout_stale_images() IS
    'fails images still receiving when their device''s next wake has come, queues retries, raises alerts, expires old commands';

REVOKE ALL ON FUNCTION devicewake._timeout_stale_images(uuid[]),
    devicewake._timeout_stale_images_by_shard(), devicewake.timeout_stale_images() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.timeout_stale_images() TO devicewake_admin;
