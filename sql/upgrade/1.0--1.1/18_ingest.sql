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

REVOKE ALL ON FUNCTION devicewake._ingest_repeats(text[], text[]) FROM PUBLIC;
