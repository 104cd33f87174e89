-- Retries asked for by hand (docs/retries.md): queue_image_retry, the "Retry all failed images"
-- button, and what they share with the sweep, the one definition of a missing chunk. Each is about
-- one device, and every statement here names it: on Citus each runs on that device's shard alone.

-- The chunk indexes of image (p_image_id, p_device_id) (0-based, below p_total_chunks) that
-- image_chunks does not hold, in order; '{}' when none is missing or the count is unknown. The one
-- definition of a missing chunk: the quiet-period request (37_ingest.sql), the sweep's retries
-- (38_image_retry.sql) and the retries below all ask it. One lookup by the image's whole key (on
-- Citus it runs on the device's shard alone; Citus refuses an SQL function's parameterised
-- statement, and could not push down a correlated subquery over image_chunks), then a walk of
-- the sorted indexes held (about as fast as the anti-join it replaces; the sweep calls it once
-- per failed image).
CREATE FUNCTION devicewake._missing_chunks(p_image_id uuid, p_device_id uuid, p_total_chunks integer)
    RETURNS integer[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_held integer[];
    v_missing integer[] := '{}';
    v_next integer := 1;
BEGIN
    SELECT pg_catalog.array_agg(ch.chunk_index ORDER BY ch.chunk_index) INTO v_held
    FROM devicewake.image_chunks ch
    WHERE ch.image_id = p_image_id AND ch.device_id = p_device_id;
    v_held := coalesce(v_held, '{}');
    FOR n IN 0 .. coalesce(p_total_chunks, 0) - 1 LOOP
        -- (indexes at or past the count cannot be stored: _ingest_chunks refuses them)
        IF v_next <= pg_catalog.cardinality(v_held) AND v_held[v_next] = n THEN
            v_next := v_next + 1;
        ELSE
            v_missing := v_missing || n;
        END IF;
    END LOOP;
    RETURN v_missing;
END
$$;

-- Queues a retry_image command (priority 8, payload {image_id, image_name, total_chunks,
-- missing_chunks}) for each image of device p_device_id among p_image_ids, for the device's next
-- wake: its next_wake_at, else devicewake._wake_target (its schedule's next slot, a manual wake,
-- the default schedule). Cancels each image's pending retry not yet claimed (a retry replaces,
-- never duplicates) and writes an image_retry_queued event per image, attributed to the caller
-- (docs/design.md §9). Returns the new commands' ids. Internal: the caller has checked access and
-- locked the images (FOR UPDATE) in an earlier statement, so these statements' snapshots see what
-- a concurrent retry of the same images committed.
CREATE FUNCTION devicewake._queue_image_retries(p_device_id uuid, p_image_ids uuid[])
    RETURNS SETOF uuid
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_caller uuid := devicewake.current_user_id();
    v_wake timestamptz;
    v_images uuid[];
    v_totals integer[];
    v_commands uuid[] := '{}';
    v_missing jsonb[] := '{}';
BEGIN
    -- the device's next wake (the one place that says what it is)
    v_wake := coalesce((SELECT d.next_wake_at FROM devicewake.devices d WHERE d.device_id = p_device_id),
                       devicewake._wake_target(p_device_id));
    SELECT pg_catalog.array_agg(i.image_id ORDER BY i.image_id),
           pg_catalog.array_agg(i.total_chunks ORDER BY i.image_id) INTO v_images, v_totals
    FROM devicewake.device_images i
    WHERE i.device_id = p_device_id AND i.image_id = ANY (p_image_ids);
    -- each image's missing chunks and new command id, a statement of their own (on Citus a
    -- statement sent to a shard can neither query the distributed image_chunks again nor call a
    -- volatile function)
    FOR n IN 1 .. coalesce(pg_catalog.cardinality(v_images), 0) LOOP
        v_missing := v_missing || pg_catalog.to_jsonb(devicewake._missing_chunks(v_images[n], p_device_id, v_totals[n]));
        v_commands := v_commands || pg_catalog.gen_random_uuid();
    END LOOP;
    RETURN QUERY
    WITH retry AS (
        SELECT i.image_id, i.image_name, i.total_chunks, r.command_id, r.missing_chunks
        FROM unnest(v_images, v_commands, v_missing) AS r(image_id, command_id, missing_chunks)
        JOIN devicewake.device_images i ON i.image_id = r.image_id AND i.device_id = p_device_id),
    -- the same steps as the sweep's
    cancelled AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled', error_message = 'superseded by a newer retry of the same image'
        FROM retry r
        WHERE c.device_id = p_device_id AND c.status = 'pending'
          AND c.command_type = 'retry_image' AND c.claimed_at IS NULL
          AND c.expires_at > pg_catalog.now()
          AND c.command_payload ->> 'image_id' = r.image_id::text),
    queued AS (
        INSERT INTO devicewake.device_commands
            (command_id, device_id, command_type, command_payload, priority, scheduled_for,
             expires_at, created_by_user_id)
        SELECT r.command_id, p_device_id, 'retry_image',
               pg_catalog.jsonb_build_object('image_id', r.image_id, 'image_name', r.image_name,
                   'total_chunks', r.total_chunks, 'missing_chunks', r.missing_chunks),
               8, devicewake._retry_scheduled_for(v_wake), devicewake._retry_expires_at(v_wake),
               v_caller
        FROM retry r
        RETURNING command_id),
    history AS (
        INSERT INTO devicewake.device_history (device_id, event_type, event_data)
        SELECT p_device_id, 'image_retry_queued',
               pg_catalog.jsonb_build_object('image_id', r.image_id, 'image_name', r.image_name,
                   'retry_command_id', r.command_id, 'missing_chunks', r.missing_chunks,
                   'requested_by', v_caller)
        FROM retry r)
    SELECT q.command_id FROM queued q;
END
$$;

-- Queues a retry of one image for its device's next wake, replacing a pending one; returns the
-- new retry_image command's id. Raises 22004 for NULL, P0002 for an image that does not exist or
-- that the caller may not see, 55000 for an image already complete.
CREATE FUNCTION devicewake.queue_image_retry(p_image_id uuid) RETURNS uuid
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid;
    v_status text;
    v_command uuid;
    v_queued integer;
    v_access boolean;
BEGIN
    IF p_image_id IS NULL THEN
        RAISE EXCEPTION 'image id must not be null' USING ERRCODE = '22004';
    END IF;
    -- 1. which device; may the caller act on it? (a hidden device reads as a missing image, and
    --    costs the same: the access check runs for a missing image too, #14 item 6)
    SELECT i.device_id INTO v_device FROM devicewake.device_images i WHERE i.image_id = p_image_id;
    v_access := devicewake.can_access_device(coalesce(v_device, p_image_id));
    IF v_device IS NULL OR v_access IS NOT TRUE THEN
        RAISE EXCEPTION 'image % does not exist', p_image_id USING ERRCODE = 'P0002';
    END IF;
    PERFORM devicewake.require_device_access(v_device);
    -- 2. lock the image: concurrent retries of one image queue one after the other, and the next
    --    statement's fresh snapshot sees the command the previous one queued (and cancels it)
    --    (by its whole key: on Citus a row lock is taken on the device's shard)
    SELECT i.status INTO v_status FROM devicewake.device_images i
    WHERE i.image_id = p_image_id AND i.device_id = v_device FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'image % does not exist', p_image_id USING ERRCODE = 'P0002';
    END IF;
    IF v_status = 'complete' THEN
        RAISE EXCEPTION 'image % is already complete', p_image_id
            USING ERRCODE = '55000', DETAIL = 'A complete image has nothing left to transmit.';
    END IF;
    -- 3. cancel the pending retry of this image, queue the new one, log it: one statement
    SELECT q.id INTO v_command FROM devicewake._queue_image_retries(v_device, ARRAY[p_image_id]) AS q(id);
    GET DIAGNOSTICS v_queued = ROW_COUNT;
    IF v_queued <> 1 THEN
        RAISE EXCEPTION 'queueing the image retry failed' USING ERRCODE = 'XX000';
    END IF;
    RETURN v_command;
END
$$;
COMMENT ON FUNCTION devicewake.queue_image_retry(uuid) IS
    'queues a retry_image command (priority 8) for the device''s next wake, replacing a pending one';

-- The "Retry all failed images" button: resets retry_count to 0 for the device's failed images,
-- resolves their open timeout alerts (the user acted on them; a new cycle of failures may raise
-- them again) and queues a retry for each; returns the number queued. Raises like
-- require_device_access (22004 for NULL, P0002 for an unknown or hidden device).
CREATE FUNCTION devicewake.retry_failed_images(p_device_id uuid) RETURNS integer
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_images uuid[];
BEGIN
    PERFORM devicewake.require_device_access(p_device_id);
    -- lock first, then queue in statements whose snapshots see what a concurrent call committed
    PERFORM FROM devicewake.device_images i
    WHERE i.device_id = p_device_id AND i.status = 'failed' ORDER BY i.image_id FOR UPDATE;
    WITH targets AS (
        UPDATE devicewake.device_images i SET retry_count = 0
        WHERE i.device_id = p_device_id AND i.status = 'failed'
        RETURNING i.image_id),
    resolved AS (
        UPDATE devicewake.device_alerts a SET resolved_at = pg_catalog.now()
        FROM targets t WHERE a.device_id = p_device_id AND a.image_id = t.image_id
          AND a.alert_type = 'image_transmission_failed' AND a.resolved_at IS NULL)
    SELECT pg_catalog.array_agg(t.image_id) INTO v_images FROM targets t;
    RETURN (SELECT pg_catalog.count(*) FROM devicewake._queue_image_retries(p_device_id, v_images))::integer;
END
$$;
COMMENT ON FUNCTION devicewake.retry_failed_images(uuid) IS
    'resets retry_count of the device''s failed images to 0 and queues a retry for each';


REVOKE ALL ON FUNCTION devicewake._missing_chunks(uuid, uuid, integer),
    devicewake._queue_image_retries(uuid, uuid[]), devicewake.queue_image_retry(uuid),
    devicewake.retry_failed_images(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.queue_image_retry(uuid), devicewake.retry_failed_images(uuid)
    TO devicewake_operator;
