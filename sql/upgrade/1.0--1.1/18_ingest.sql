-- Issue 18: the worker's hot path, as sql/install has it. Functions new in 1.1 are created (and
-- kept from PUBLIC); those replaced keep their privileges (CREATE OR REPLACE). Helpers that were
-- SQL functions with a SET clause (planned again at every call) become SQL-standard bodies,
-- inlined by the planner, or PL/pgSQL, whose plans are kept.

CREATE OR REPLACE FUNCTION devicewake._default_wake_schedule() RETURNS text
    LANGUAGE sql STABLE
    RETURN coalesce(nullif(pg_catalog.current_setting('devicewake.default_wake_schedule', true), ''), '0 */3 * * *');

CREATE OR REPLACE FUNCTION devicewake._device_schedule(p_device_id uuid, OUT cron text, OUT timezone text)
    RETURNS SETOF record
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(d.wake_schedule_cron, s.wake_schedule_cron, devicewake._default_wake_schedule()),
           CASE WHEN coalesce(d.wake_schedule_cron, s.wake_schedule_cron) IS NULL THEN 'UTC'
                ELSE coalesce(d.timezone, s.timezone, 'UTC') END
    FROM devicewake.devices d LEFT JOIN devicewake.sites s ON s.site_id = d.site_id
    WHERE d.device_id = p_device_id;
END;

CREATE OR REPLACE FUNCTION devicewake._setting_bytes(p_name text, p_default bigint) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce(pg_catalog.pg_size_bytes(nullif(pg_catalog.current_setting(p_name, true), '')), p_default);

CREATE OR REPLACE FUNCTION devicewake._setting_interval(p_name text, p_default interval) RETURNS interval
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce(nullif(pg_catalog.current_setting(p_name, true), '')::interval, p_default);

CREATE OR REPLACE FUNCTION devicewake._session_idle_timeout() RETURNS interval
    LANGUAGE sql STABLE
    RETURN coalesce(nullif(pg_catalog.current_setting('devicewake.session_idle_timeout', true), ''), '2min')::interval;

CREATE OR REPLACE FUNCTION devicewake._close_wake_sessions(p_session_ids uuid[], p_told_to_sleep boolean)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_count integer;
BEGIN
    WITH ended AS (
        UPDATE devicewake.device_wake_sessions s
        SET status = CASE WHEN EXISTS (SELECT FROM devicewake.device_images i
                                       WHERE i.session_id = s.session_id
                                         AND i.status IN ('receiving', 'failed'))
                          THEN 'timeout' ELSE 'completed' END,
            ended_at = CASE WHEN p_told_to_sleep THEN greatest(s.started_at, now())
                            ELSE devicewake._session_last_heard(s.started_at, d.last_seen_at) END
        FROM devicewake.devices d
        WHERE d.device_id = s.device_id AND s.session_id = ANY (p_session_ids)
          AND s.status = 'in_progress'
        RETURNING s.session_id),
    dropped AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled', error_message = 'the wake session ended before it was sent'
        FROM ended
        WHERE c.session_id = ended.session_id AND c.status = 'pending' AND c.claimed_at IS NULL)
    SELECT count(*)::integer INTO v_count FROM ended;
    RETURN v_count;
END
$$;

CREATE OR REPLACE FUNCTION devicewake._end_wake_sessions(p_device_ids uuid[]) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN devicewake._close_wake_sessions(
        ARRAY(SELECT s.session_id FROM devicewake.device_wake_sessions s
              WHERE s.device_id = ANY (p_device_ids) AND s.status = 'in_progress'), false);
END
$$;

CREATE OR REPLACE FUNCTION devicewake._end_idle_wake_sessions(p_idle interval) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN devicewake._close_wake_sessions(
        ARRAY(SELECT s.session_id
              FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id)
              WHERE s.status = 'in_progress'
                AND devicewake._session_last_heard(s.started_at, d.last_seen_at) < now() - p_idle),
        false);
END
$$;

CREATE OR REPLACE FUNCTION devicewake._record_hello(
    p_device_mac text, p_payload jsonb, p_battery_voltage numeric, p_wifi_rssi integer,
    p_firmware_version text, p_hardware_version text, p_pending_list text[], p_ignored jsonb)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_mac text := devicewake.normalize_mac(p_device_mac);
    v_payload jsonb := p_payload;
    v_device devicewake.devices%ROWTYPE;
    v_cron text;
    v_tz text;
    v_battery numeric := round(p_battery_voltage, 3);
    v_old_session uuid;
    v_old_status text;
    v_session uuid;
    v_next timestamptz;
    v_relay boolean;
    v_created integer := 0;
    v_same_wake boolean := false;
    v_clear_override boolean;
BEGIN
    -- the device, registered (unassigned: no site) when unknown; locked for the rest
    PERFORM devicewake._register_device(v_mac, p_device_mac, 'hello');
    SELECT * INTO v_device FROM devicewake.devices d WHERE d.device_mac = v_mac FOR UPDATE;

    SELECT w.cron, w.timezone INTO v_cron, v_tz FROM devicewake._device_schedule(v_device.device_id) w;

    -- a wake still going on: the same conversation goes on
    SELECT s.session_id INTO v_session
    FROM devicewake.device_wake_sessions s
    WHERE s.device_id = v_device.device_id AND s.status = 'in_progress'
      AND devicewake._session_last_heard(s.started_at, v_device.last_seen_at)
          >= pg_catalog.now() - devicewake._session_idle_timeout();
    v_same_wake := FOUND;

    IF v_same_wake THEN
        UPDATE devicewake.device_wake_sessions s
        SET hello_count = s.hello_count + 1, telemetry_data = v_payload
        WHERE s.session_id = v_session;
        UPDATE devicewake.devices d
        SET last_seen_at = pg_catalog.now(),
            battery_voltage = coalesce(v_battery, d.battery_voltage),
            wifi_rssi = coalesce(p_wifi_rssi, d.wifi_rssi),
            firmware_version = coalesce(p_firmware_version, d.firmware_version),
            hardware_version = coalesce(p_hardware_version, d.hardware_version)
        WHERE d.device_id = v_device.device_id;
        v_next := v_device.next_wake_at;
    ELSE
        -- the previous wake, if still open, ends with the device's last message before this
        -- HELLO; the history names it either way
        PERFORM devicewake._end_wake_sessions(ARRAY[v_device.device_id]);
        SELECT s.session_id, s.status INTO v_old_session, v_old_status
        FROM devicewake.device_wake_sessions s WHERE s.device_id = v_device.device_id
        ORDER BY s.started_at DESC LIMIT 1;

        -- the override ends with the wake it asked for (a camera told a whole minute may wake
        -- up to a minute early, and its clock drifts: 5 minutes of tolerance), not with a relay
        -- or a regular wake before it
        v_clear_override := v_device.manual_wake_at IS NULL
                            OR v_device.manual_wake_at <= pg_catalog.now() + interval '5 minutes';
        -- the wake this HELLO belongs to was told as a relay: it is only told the next wake
        v_relay := v_device.relay_wake AND NOT (v_device.manual_wake_override AND v_clear_override);

        UPDATE devicewake.devices d
        SET last_seen_at = pg_catalog.now(),
            last_wake_at = pg_catalog.now(),
            battery_voltage = coalesce(v_battery, d.battery_voltage),
            wifi_rssi = coalesce(p_wifi_rssi, d.wifi_rssi),
            firmware_version = coalesce(p_firmware_version, d.firmware_version),
            hardware_version = coalesce(p_hardware_version, d.hardware_version),
            manual_wake_override = d.manual_wake_override AND NOT v_clear_override,
            manual_wake_requested_by = CASE WHEN v_clear_override THEN NULL ELSE d.manual_wake_requested_by END,
            manual_wake_requested_at = CASE WHEN v_clear_override THEN NULL ELSE d.manual_wake_requested_at END,
            manual_wake_at = CASE WHEN v_clear_override THEN NULL ELSE d.manual_wake_at END,
            relay_wake = false
        WHERE d.device_id = v_device.device_id;
        SELECT p.wake_at INTO v_next FROM devicewake._wake_plan(v_device.device_id, pg_catalog.now()) p;
        UPDATE devicewake.devices d SET next_wake_at = v_next WHERE d.device_id = v_device.device_id;

        INSERT INTO devicewake.device_wake_sessions (device_id, telemetry_data, relay)
        VALUES (v_device.device_id, v_payload, v_relay)
        RETURNING session_id INTO v_session;
    END IF;

    -- images the device says it holds and we have never heard of wait for their upload
    INSERT INTO devicewake.device_images (device_id, session_id, image_name, status)
    SELECT DISTINCT v_device.device_id, v_session, n, 'pending' FROM unnest(p_pending_list) n
    ON CONFLICT (device_id, image_name) DO NOTHING;
    GET DIAGNOSTICS v_created = ROW_COUNT;

    -- (the device is awake: the new session's row trigger wakes the worker at commit, so its due
    -- commands go out now; with the on_wake policy they become deliverable with this session.
    -- Commands already claimed are in flight and left alone: releasing them here would publish
    -- them twice. No NOTIFY: nobody listens, and two-phase commit refuses it.)

    INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
    VALUES (v_device.device_id, v_session, 'hello',
            pg_catalog.jsonb_build_object(
                'payload', v_payload,
                'ignored_fields', p_ignored,
                'previous_session', v_old_session,
                'previous_session_status', v_old_status,
                'same_wake', v_same_wake,
                'relay', coalesce(v_relay, false),
                'override_cleared', v_device.manual_wake_override AND coalesce(v_clear_override, false),
                'next_wake_at', v_next,
                'schedule', v_cron,
                'timezone', v_tz,
                'pending_images_created', v_created));
    RETURN v_session;
END
$$;

CREATE OR REPLACE FUNCTION devicewake._ingest_repeats(p_macs text[], p_image_names text[])
    RETURNS SETOF bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    UPDATE devicewake.devices d SET last_seen_at = now()
    WHERE d.device_mac = ANY (p_macs) AND d.last_seen_at IS DISTINCT FROM now();
    RETURN QUERY
    SELECT r.ord FROM unnest(p_macs, p_image_names) WITH ORDINALITY AS r(mac, name, ord)
    LEFT JOIN devicewake.devices d ON d.device_mac = r.mac
    LEFT JOIN devicewake.device_images i ON i.device_id = d.device_id AND i.image_name = r.name
    WHERE i.status IS DISTINCT FROM 'receiving'
    ORDER BY r.ord;
END
$$;

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
                                             WHERE x.image_id = m.image_id AND x.chunk_index = m.idx),
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
        SELECT DISTINCT v.image_id FROM verdicts v WHERE v.verdict LIKE 'image would exceed %'),
    failed AS (
        UPDATE devicewake.device_images i
        SET status = 'failed', failed_at = now(), received_chunks = 0, received_bytes = 0,
            timeout_reason = 'image exceeds its size bound: min(image_size, devicewake.max_image_bytes)'
        FROM over WHERE i.image_id = over.image_id
        RETURNING i.image_id, i.device_id, i.session_id, i.image_name),
    purged AS (
        DELETE FROM devicewake.image_chunks ch USING failed f WHERE ch.image_id = f.image_id),
    failure_logged AS (
        INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
        SELECT f.device_id, f.session_id, 'image_failed',
               jsonb_build_object('image_name', f.image_name, 'reason',
                                  'image exceeds its size bound', 'chunks_purged', true)
        FROM failed f),
    stored AS (
        INSERT INTO devicewake.image_chunks (image_id, chunk_index, data)
        SELECT v.image_id, v.idx, c.data FROM verdicts v JOIN c ON c.ord = v.ord
        WHERE v.verdict IS NULL AND v.image_id NOT IN (SELECT over.image_id FROM over)
        ON CONFLICT (image_id, chunk_index) DO NOTHING
        RETURNING image_chunks.image_id, length(image_chunks.data) AS bytes),
    counted AS (SELECT s.image_id, count(*)::integer AS n, sum(s.bytes) AS bytes
                FROM stored s GROUP BY s.image_id),
    images AS (
        UPDATE devicewake.device_images i
        SET received_chunks = i.received_chunks + counted.n,
            received_bytes = i.received_bytes + counted.bytes, last_chunk_at = now(),
            status = 'receiving'
        FROM counted WHERE i.image_id = counted.image_id
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

REVOKE ALL ON FUNCTION devicewake._ingest_repeats(text[], text[]) FROM PUBLIC;
