-- #14 items 2-4: bounded storage and time per device. Columns: device_images.received_bytes (the
-- running byte total of stored chunks, filled in for uploads in flight), rejected_messages'
-- payload_length and payload_sha256 (NULL on rows written before: their payload is whole); an
-- index for the auto-registration rate; the settings' readers and the admission check; the
-- ingest, completion and sweep functions with their bounds, the purge and the retention.
ALTER TABLE devicewake.device_images
    ADD COLUMN received_bytes bigint NOT NULL DEFAULT 0 CHECK (received_bytes >= 0);
UPDATE devicewake.device_images i SET received_bytes = c.bytes
FROM (SELECT ch.image_id, sum(length(ch.data)) AS bytes FROM devicewake.image_chunks ch
      GROUP BY ch.image_id) c
WHERE c.image_id = i.image_id AND i.status <> 'complete';
UPDATE devicewake.device_images i SET received_bytes = length(i.image_data)
WHERE i.status = 'complete' AND i.image_data IS NOT NULL;
ALTER TABLE devicewake.rejected_messages
    ADD COLUMN payload_length bigint CHECK (payload_length >= 0),
    ADD COLUMN payload_sha256 bytea CHECK (length(payload_sha256) = 32);
CREATE INDEX devices_unassigned_created_idx ON devicewake.devices (created_at) WHERE site_id IS NULL;

-- A devicewake.* setting (#14 items 2-4) as a number: bytes for a size (SHOW's '16MB' form),
-- seconds for a time, the count itself otherwise; p_default when the setting is not defined (the
-- library is not loaded in this session). Internal.
CREATE FUNCTION devicewake._setting_bytes(p_name text, p_default bigint) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce(pg_catalog.pg_size_bytes(nullif(pg_catalog.current_setting(p_name, true), '')), p_default);

CREATE FUNCTION devicewake._setting_interval(p_name text, p_default interval) RETURNS interval
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce(nullif(pg_catalog.current_setting(p_name, true), '')::interval, p_default);

-- Whether a message of the device p_mac (normalised) may be applied: NULL when the device exists
-- or may be auto-registered, otherwise why not (the worker records the message in
-- rejected_messages). Auto-registration is off with devicewake.auto_register = off, and is
-- refused past devicewake.max_registrations_per_minute new unassigned devices in the last minute or
-- devicewake.max_unassigned_devices devices without a site (#14 item 4). Each count stops at its
-- limit, so a flood of random MACs costs bounded work per message. Internal: the worker calls it
-- for a device it has not seen before.
CREATE FUNCTION devicewake._admit_device(p_mac text) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_rate bigint := devicewake._setting_bytes('devicewake.max_registrations_per_minute', 100);
    v_cap bigint := devicewake._setting_bytes('devicewake.max_unassigned_devices', 10000);
BEGIN
    IF EXISTS (SELECT FROM devicewake.devices d WHERE d.device_mac = p_mac) THEN
        RETURN NULL;
    END IF;
    IF NOT coalesce(nullif(pg_catalog.current_setting('devicewake.auto_register', true), '')::boolean, true) THEN
        RETURN 'unknown device, and auto-registration is off (devicewake.auto_register)';
    END IF;
    IF (SELECT pg_catalog.count(*) FROM (SELECT FROM devicewake.devices d
                                         WHERE d.created_at > pg_catalog.now() - interval '1 minute'
                                           AND d.site_id IS NULL
                                         LIMIT v_rate) r) >= v_rate THEN
        RETURN pg_catalog.format('unknown device not registered: %s unassigned devices were registered in the last minute (devicewake.max_registrations_per_minute)', v_rate);
    END IF;
    IF (SELECT pg_catalog.count(*) FROM (SELECT FROM devicewake.devices d WHERE d.site_id IS NULL
                                         LIMIT v_cap) u) >= v_cap THEN
        RETURN pg_catalog.format('unknown device not registered: %s devices are unassigned (devicewake.max_unassigned_devices)', v_cap);
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION devicewake._setting_bytes(text, bigint),
    devicewake._setting_interval(text, interval), devicewake._admit_device(text) FROM PUBLIC;

-- METADATA: the image row becomes receiving (or is created) and the open wake session counts its
-- chunks. Returns what the METADATA is (the worker's conversation decides the answer):
--   kind 'new'      an image not seen before, or one resumed from an earlier wake (chunks kept)
--        'repeat'   the same name, count, size and capture time again in this wake: nothing
--                   changes (cameras repeat their METADATA every few chunks)
--        'restart'  a changed layout or picture, or a failed assembly: the chunks start over
--        'complete' the image is already complete (the camera missed the server's answer)
--        NULL       the device reported an error instead of an image
--   already_asked   a send_image or retry_image for this name went out during this wake
CREATE OR REPLACE FUNCTION devicewake._ingest_metadata(
    p_mac text, p_image_name text, p_total_chunks integer, p_image_size integer,
    p_captured_at timestamptz, p_error integer, p_metadata jsonb, p_sensors jsonb,
    OUT kind text, OUT already_asked boolean)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid := devicewake._register_device(p_mac, p_mac, 'metadata');
    v_session uuid;
    v_started timestamptz;
    v_image devicewake.device_images%ROWTYPE;
    v_restart boolean := false;
    v_known boolean;
BEGIN
    already_asked := false;
    UPDATE devicewake.devices SET last_seen_at = now() WHERE device_id = v_device;
    SELECT s.session_id, s.started_at INTO v_session, v_started FROM devicewake.device_wake_sessions s
    WHERE s.device_id = v_device AND s.status = 'in_progress';
    IF p_error <> 0 THEN
        UPDATE devicewake.device_wake_sessions SET error_codes = error_codes || p_error::text
        WHERE session_id = v_session;
        INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
        VALUES (v_device, v_session, 'image_error',
                jsonb_build_object('image_name', p_image_name, 'error', p_error, 'metadata', p_metadata));
        RETURN;
    END IF;

    SELECT * INTO v_image FROM devicewake.device_images
    WHERE device_id = v_device AND image_name = p_image_name FOR UPDATE;
    v_known := FOUND;
    IF v_known AND v_image.status = 'complete' THEN
        kind := 'complete';
        RETURN;
    END IF;
    IF v_known AND v_image.status = 'receiving' AND v_image.session_id IS NOT DISTINCT FROM v_session
       AND v_image.total_chunks = p_total_chunks
       AND v_image.image_size IS NOT DISTINCT FROM p_image_size
       AND (p_captured_at IS NULL OR v_image.captured_at IS NOT DISTINCT FROM p_captured_at) THEN
        kind := 'repeat';
        RETURN;
    END IF;
    IF p_sensors IS NOT NULL AND p_sensors <> '{}' AND v_session IS NOT NULL THEN
        UPDATE devicewake.device_wake_sessions
        SET telemetry_data = telemetry_data || jsonb_build_object('sensors', p_sensors)
        WHERE session_id = v_session;
    END IF;
    already_asked := v_session IS NOT NULL AND EXISTS (
        SELECT FROM devicewake.device_commands c
        WHERE c.device_id = v_device AND c.command_type IN ('send_image', 'retry_image')
          AND c.command_payload ->> 'image_name' = p_image_name
          AND ((c.status IN ('sent', 'acknowledged') AND c.delivered_at >= v_started)
               OR (c.status = 'pending' AND c.claimed_at IS NOT NULL)));
    IF v_known THEN
        -- a new chunk layout or another picture under the same name makes the stored chunks
        -- meaningless; the same layout resumes, except after a failed assembly: every chunk is
        -- there and the bytes are bad, so start over
        v_restart := v_image.total_chunks IS NOT NULL
                     AND (v_image.total_chunks IS DISTINCT FROM p_total_chunks
                          OR v_image.image_size IS DISTINCT FROM p_image_size
                          OR (p_captured_at IS NOT NULL AND v_image.captured_at IS DISTINCT FROM p_captured_at)
                          OR (v_image.status = 'failed' AND v_image.received_chunks >= v_image.total_chunks));
        IF v_restart THEN
            DELETE FROM devicewake.image_chunks WHERE image_id = v_image.image_id;
        END IF;
        -- the metadata is replaced, never merged: what a device sends cannot accumulate
        UPDATE devicewake.device_images
        SET status = 'receiving', session_id = coalesce(v_session, session_id),
            total_chunks = p_total_chunks, image_size = p_image_size,
            captured_at = coalesce(p_captured_at, captured_at),
            received_chunks = CASE WHEN v_restart THEN 0 ELSE received_chunks END,
            received_bytes = CASE WHEN v_restart THEN 0 ELSE received_bytes END,
            last_chunk_at = NULL, last_resend_at = NULL, resend_requests = 0, metadata = p_metadata
        WHERE image_id = v_image.image_id;
    ELSE
        INSERT INTO devicewake.device_images (device_id, session_id, image_name, status,
                                              total_chunks, image_size, captured_at, metadata)
        VALUES (v_device, v_session, p_image_name, 'receiving', p_total_chunks, p_image_size,
                p_captured_at, p_metadata)
        RETURNING * INTO v_image;
    END IF;
    UPDATE devicewake.device_wake_sessions SET chunks_total = chunks_total + p_total_chunks
    WHERE session_id = v_session;

    -- the device is sending this image: a queued retry or send for it is superseded
    UPDATE devicewake.device_commands
    SET status = 'cancelled', error_message = 'superseded: the device started the upload'
    WHERE device_id = v_device AND status = 'pending' AND claimed_at IS NULL
      AND command_type IN ('retry_image', 'send_image')
      AND command_payload ->> 'image_name' = p_image_name;
    INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
    VALUES (v_device, v_session, 'image_metadata',
            jsonb_build_object('image_name', p_image_name, 'total_chunks', p_total_chunks,
                               'image_size', p_image_size, 'restarted', v_restart));
    kind := CASE WHEN v_restart THEN 'restart' ELSE 'new' END;
END
$$;

-- CHUNKs, a batch at a time (arrays of equal length, in arrival order). Stores each chunk once
-- (a duplicate is idempotent), keeps received_chunks, received_bytes and the session's chunks_sent
-- current, and completes every image whose last chunk arrived. Bounded (#14 item 3): a new chunk
-- is kept only while its image's running byte total stays within min(image_size,
-- devicewake.max_image_bytes) (the maximum alone when image_size was not announced) and the
-- device's bytes in flight (chunks of its images not yet complete) within
-- devicewake.max_device_bytes_in_flight. An image that outgrows its bound is failed at once and
-- its chunks purged: it is never assembled and never asked for again. Returns one row per chunk
-- that could not be applied (kind 'rejected', its 1-based position and the reason) and per
-- completed or failed image (kind 'complete' / 'failed', the device and image, and how many other
-- images of its wake are still arriving: the worker's conversation answers).
CREATE OR REPLACE FUNCTION devicewake._ingest_chunks(
    p_macs text[], p_image_names text[], p_indexes integer[], p_data bytea[])
    RETURNS TABLE(kind text, ordinal bigint, device_mac text, image_name text, detail text,
                  others_receiving integer)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_max_image bigint := devicewake._setting_bytes('devicewake.max_image_bytes', 16777216);
    v_max_device bigint := devicewake._setting_bytes('devicewake.max_device_bytes_in_flight', 67108864);
    v_touched uuid[];
    v_oversized uuid[];
    r record;
BEGIN
    -- one statement: every chunk's verdict, the chunks stored, the images and sessions counted,
    -- an image past its bound failed with its chunks purged; it returns the refused chunks and
    -- the images that may be complete now (for completion below, whose statement sees the chunks
    -- stored here)
    FOR r IN
    WITH c AS (
        SELECT * FROM unnest(p_macs, p_image_names, p_indexes, p_data)
                      WITH ORDINALITY AS c(mac, name, idx, data, ord)),
    m AS (
        -- (the bytes stay in c: the sorts below carry only their length)
        SELECT c.ord, c.idx, length(c.data) AS len, i.image_id, i.device_id, i.total_chunks, i.status,
               i.received_bytes, least(coalesce(i.image_size, v_max_image), v_max_image) AS cap,
               i.status = 'failed' AND i.timeout_reason LIKE 'image exceeds its size bound%' AS refused,
               row_number() OVER (PARTITION BY i.image_id, c.idx ORDER BY c.ord) AS nth
        FROM c
        LEFT JOIN devicewake.devices d ON d.device_mac = c.mac
        LEFT JOIN devicewake.device_images i ON i.device_id = d.device_id AND i.image_name = c.name),
    fresh AS (
        -- the first copy in this batch of a chunk not stored yet: the only ones that add bytes
        SELECT m.*, coalesce(m.status <> 'complete' AND m.idx < m.total_chunks AND m.nth = 1
                             AND NOT EXISTS (SELECT FROM devicewake.image_chunks x
                                             WHERE x.image_id = m.image_id AND x.chunk_index = m.idx
                                               AND x.device_id = m.device_id),
                             false) AS adds
        FROM m),
    inflight AS (
        SELECT f.device_id,
               (SELECT coalesce(sum(o.received_bytes), 0) FROM devicewake.device_images o
                WHERE o.device_id = f.device_id AND o.status IN ('receiving', 'failed')) AS bytes
        FROM (SELECT DISTINCT fresh.device_id FROM fresh WHERE fresh.adds) f),
    running AS (
        SELECT f.*,
               f.received_bytes + sum(f.len) FILTER (WHERE f.adds)
                   OVER (PARTITION BY f.image_id ORDER BY f.ord) AS image_total,
               n.bytes + sum(f.len) FILTER (WHERE f.adds)
                   OVER (PARTITION BY f.device_id ORDER BY f.ord) AS device_total
        FROM fresh f LEFT JOIN inflight n ON n.device_id = f.device_id),
    verdicts AS (
        -- NULL: keep; 'duplicate': stored already (idempotent); otherwise why it is refused
        SELECT ru.ord, ru.image_id, ru.device_id, ru.idx,
               CASE WHEN ru.image_id IS NULL OR ru.total_chunks IS NULL
                        THEN 'chunk for an image without metadata'
                    WHEN ru.status <> 'complete' AND ru.idx >= ru.total_chunks
                        THEN format('chunk_id %s is out of range for total_chunk_count %s', ru.idx, ru.total_chunks)
                    WHEN ru.refused
                        THEN 'image was refused for exceeding its size bound; only a new METADATA starts it again'
                    WHEN NOT ru.adds THEN 'duplicate'
                    WHEN ru.image_total > ru.cap
                        THEN format('image would exceed %s bytes (%s with this chunk): min(image_size, devicewake.max_image_bytes)',
                                    ru.cap, ru.image_total)
                    WHEN ru.device_total > v_max_device
                        THEN format('device would have %s bytes of incomplete images stored, more than devicewake.max_device_bytes_in_flight (%s)',
                                    ru.device_total, v_max_device)
               END AS verdict
        FROM running ru),
    over AS (
        SELECT DISTINCT v.image_id, v.device_id FROM verdicts v WHERE v.verdict LIKE 'image would exceed %'),
    failed AS (
        UPDATE devicewake.device_images i
        SET status = 'failed', failed_at = now(), received_chunks = 0, received_bytes = 0,
            timeout_reason = 'image exceeds its size bound: min(image_size, devicewake.max_image_bytes)'
        FROM over WHERE i.image_id = over.image_id AND i.device_id = over.device_id
        RETURNING i.image_id, i.device_id, i.session_id, i.image_name),
    purged AS (
        DELETE FROM devicewake.image_chunks ch USING failed f
        WHERE ch.image_id = f.image_id AND ch.device_id = f.device_id),
    failure_logged AS (
        INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
        SELECT f.device_id, f.session_id, 'image_failed',
               jsonb_build_object('image_name', f.image_name, 'reason',
                                  'image exceeds its size bound', 'chunks_purged', true)
        FROM failed f),
    stored AS (
        INSERT INTO devicewake.image_chunks (image_id, chunk_index, data, device_id)
        SELECT v.image_id, v.idx, c.data, v.device_id FROM verdicts v JOIN c ON c.ord = v.ord
        WHERE v.verdict IS NULL AND v.image_id NOT IN (SELECT over.image_id FROM over)
        ON CONFLICT (image_id, chunk_index, device_id) DO NOTHING
        RETURNING image_chunks.image_id, image_chunks.device_id, length(image_chunks.data) AS bytes),
    counted AS (SELECT s.image_id, s.device_id, count(*)::integer AS n, sum(s.bytes) AS bytes
                FROM stored s GROUP BY s.image_id, s.device_id),
    images AS (
        UPDATE devicewake.device_images i
        SET received_chunks = i.received_chunks + counted.n,
            received_bytes = i.received_bytes + counted.bytes, last_chunk_at = now(),
            status = 'receiving'
        FROM counted WHERE i.image_id = counted.image_id AND i.device_id = counted.device_id
        RETURNING i.image_id, i.device_id, i.session_id, counted.n,
                  i.received_chunks >= i.total_chunks AS full),
    sessions AS (
        UPDATE devicewake.device_wake_sessions s SET chunks_sent = s.chunks_sent + per.n
        FROM (SELECT im.device_id, sum(im.n)::integer AS n FROM images im GROUP BY im.device_id) per
        WHERE s.device_id = per.device_id AND s.status = 'in_progress'),
    seen AS (
        UPDATE devicewake.devices d SET last_seen_at = now()
        WHERE d.device_id IN (SELECT im.device_id FROM images im))
    SELECT 'rejected' AS what, v.ord, v.verdict, NULL::uuid AS image_id
    FROM verdicts v WHERE v.verdict IS NOT NULL AND v.verdict <> 'duplicate'
    -- (only those now holding as many chunks as announced: most batches complete nothing, and
    -- _complete_images costs a millisecond even then)
    UNION ALL SELECT 'touched', NULL, NULL, im.image_id FROM images im WHERE im.full
    UNION ALL SELECT 'oversized', NULL, NULL, f.image_id FROM failed f
    LOOP
        IF r.what = 'rejected' THEN
            -- kept by the caller in rejected_messages
            kind := 'rejected'; ordinal := r.ord; device_mac := p_macs[r.ord];
            image_name := p_image_names[r.ord]; detail := r.verdict; others_receiving := NULL;
            RETURN NEXT;
        ELSIF r.what = 'touched' THEN
            v_touched := v_touched || r.image_id;
        ELSE
            v_oversized := v_oversized || r.image_id;
        END IF;
    END LOOP;

    IF v_touched IS NOT NULL THEN
        RETURN QUERY SELECT * FROM devicewake._complete_images(v_touched);
    END IF;
    IF v_oversized IS NOT NULL THEN
        RETURN QUERY
        SELECT 'failed'::text, NULL::bigint, d.device_mac, i.image_name,
               'image exceeds its size bound'::text,
               (SELECT count(*)::integer FROM devicewake.device_images o
                WHERE o.device_id = i.device_id AND o.session_id = i.session_id
                  AND o.status = 'receiving')
        FROM devicewake.device_images i JOIN devicewake.devices d ON d.device_id = i.device_id
        WHERE i.image_id = ANY (v_oversized);
    END IF;
END
$$;

-- Assembles every image among p_image_ids whose chunks are all there: the JPEG (checked for its
-- FF D8 FF start, FF D9 end and announced size) goes to image_data and the image is complete,
-- its failure cleared, its alerts resolved, the send_image / retry_image that asked for it
-- acknowledged, pending ones cancelled; a broken one
-- becomes failed with the reason and keeps its chunks.
CREATE OR REPLACE FUNCTION devicewake._complete_images(p_image_ids uuid[])
    RETURNS TABLE(kind text, ordinal bigint, device_mac text, image_name text, detail text,
                  others_receiving integer)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_max_image bigint := devicewake._setting_bytes('devicewake.max_image_bytes', 16777216);
BEGIN
    RETURN QUERY
    -- (every join below is on an image's whole key, (image_id, device_id): on image_id alone
    -- the planner, no longer seeing one row per image, expected thousands and deleted the
    -- chunks by scanning all of image_chunks, 1 s a call in the first wakes after a start)
    WITH ready AS (
        SELECT i.image_id, i.device_id FROM devicewake.device_images i
        WHERE i.image_id = ANY (p_image_ids) AND i.status = 'receiving'
          AND i.received_chunks = i.total_chunks
          -- the running total is checked before anything is aggregated (#14 item 3)
          AND i.received_bytes <= least(coalesce(i.image_size, v_max_image), v_max_image)
        FOR UPDATE),
    assembled AS (
        SELECT c.image_id, c.device_id, string_agg(c.data, ''::bytea ORDER BY c.chunk_index) AS bytes
        FROM devicewake.image_chunks c JOIN ready USING (image_id, device_id)
        GROUP BY c.image_id, c.device_id),
    checked AS (
        SELECT a.image_id, a.device_id, a.bytes,
               CASE WHEN length(a.bytes) < 5 OR substring(a.bytes FROM 1 FOR 3) <> '\xffd8ff'::bytea
                        THEN 'assembled image does not start with the JPEG marker FF D8 FF'
                    WHEN substring(a.bytes FROM length(a.bytes) - 1) <> '\xffd9'::bytea
                        THEN 'assembled image does not end with the JPEG marker FF D9'
                    WHEN i.image_size IS NOT NULL AND i.image_size <> length(a.bytes)
                        THEN format('assembled image has %s bytes, its metadata announced %s',
                                    length(a.bytes), i.image_size)
               END AS problem
        FROM assembled a JOIN devicewake.device_images i USING (image_id, device_id)),
    done AS (
        UPDATE devicewake.device_images i
        SET status = CASE WHEN k.problem IS NULL THEN 'complete' ELSE 'failed' END,
            image_data = CASE WHEN k.problem IS NULL THEN k.bytes END,
            image_size = coalesce(i.image_size, length(k.bytes)),
            completed_at = CASE WHEN k.problem IS NULL THEN now() END,
            failed_at = CASE WHEN k.problem IS NULL THEN NULL ELSE now() END,
            timeout_reason = k.problem
        FROM checked k WHERE i.image_id = k.image_id AND i.device_id = k.device_id
        RETURNING i.image_id, i.device_id, i.session_id, i.image_name, i.status, k.problem,
                  length(k.bytes) AS bytes),
    dropped_chunks AS (
        DELETE FROM devicewake.image_chunks c USING done
        WHERE c.image_id = done.image_id AND c.device_id = done.device_id AND done.status = 'complete'),
    resolved AS (
        UPDATE devicewake.device_alerts a SET resolved_at = now()
        FROM done WHERE a.image_id = done.image_id AND a.device_id = done.device_id AND done.status = 'complete'
          AND a.resolved_at IS NULL),
    -- the image is the answer to the send_image / retry_image that asked for it (cameras send
    -- no command_ack for those)
    -- (one whose PUBACK the worker has not recorded yet counts as delivered, as for command_ack)
    answered AS (
        UPDATE devicewake.device_commands c
        SET status = 'acknowledged', acknowledged_at = now(),
            delivered_at = coalesce(c.delivered_at, now()), claimed_at = NULL
        FROM done
        WHERE done.status = 'complete' AND c.device_id = done.device_id
          AND (c.status = 'sent' OR (c.status = 'pending' AND c.claimed_at IS NOT NULL))
          AND c.command_type IN ('retry_image', 'send_image')
          AND c.command_payload ->> 'image_name' = done.image_name),
    superseded AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled', error_message = 'superseded: the image is complete'
        FROM done
        WHERE done.status = 'complete' AND c.device_id = done.device_id AND c.status = 'pending'
          AND c.claimed_at IS NULL AND c.command_type IN ('retry_image', 'send_image', 'resend_chunks')
          AND c.command_payload ->> 'image_name' = done.image_name),
    missing_cleared AS (
        UPDATE devicewake.device_wake_sessions s SET chunks_missing = '{}'
        FROM done WHERE s.session_id = done.session_id AND done.status = 'complete'
          AND s.chunks_missing <> '{}'),
    logged AS (
        INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
        SELECT done.device_id, done.session_id,
               CASE WHEN done.status = 'complete' THEN 'image_complete' ELSE 'image_failed' END,
               jsonb_build_object('image_name', done.image_name, 'bytes', done.bytes,
                                  'reason', done.problem)
        FROM done)
    SELECT done.status, NULL::bigint, d.device_mac, done.image_name, done.problem,
           -- the device's other images of this wake still arriving (those finished by this
           -- statement are not: its snapshot still shows them receiving)
           (SELECT count(*)::integer FROM devicewake.device_images o
            WHERE o.device_id = done.device_id AND o.session_id = done.session_id
              AND o.status = 'receiving' AND o.image_id <> ALL (ARRAY(SELECT image_id FROM done)))
    FROM done
    JOIN devicewake.devices d ON d.device_id = done.device_id;
END
$$;

-- timeout_stale_images (purge when the retries are exhausted, rejected_messages retention) is
-- created in its final text by 21_2_timeout_sweep.sql, which runs later.
