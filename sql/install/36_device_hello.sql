-- A device's HELLO (docs/design.md §4, §8.1): what the worker calls when {prefix}/{MAC}/status
-- arrives, callable from SQL too. It registers unknown devices, stores telemetry, ends the
-- manual-wake override when this is the wake it asked for, plans the next wake (32_wake_plan.sql),
-- rolls the wake session and wakes the dispatcher. A HELLO inside a wake that is still going on
-- (the device spoke within devicewake.session_idle_timeout) is the same wake: it keeps the
-- session and its conversation.

-- Records a HELLO from p_device_mac (any spelling normalize_mac accepts) with the HELLO body
-- p_payload (field names of DESIGN §8). Returns the id of the wake session it opens.
-- Never fails for a bad optional field: a field of the wrong type or out of range is ignored and
-- named in the 'hello' history event. Raises 22004 for a NULL MAC and 22023 for an identifier
-- that is not a MAC or a TEST-/VIRTUAL:/SYSTEM: name (the worker records those as rejected).
-- Runs as its owner: callers are the worker (superuser) and devicewake_admin.
CREATE FUNCTION devicewake.record_device_hello(p_device_mac text, p_payload jsonb DEFAULT '{}')
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_mac text;
    v_payload jsonb := coalesce(p_payload, '{}'::jsonb);
    v_device devicewake.devices%ROWTYPE;
    v_cron text;
    v_tz text;
    v_ignored jsonb := '[]'::jsonb;
    v_battery numeric;
    v_rssi integer;
    v_firmware text;
    v_hardware text;
    v_names text[] := '{}';
    v_item jsonb;
    v_old_session uuid;
    v_old_status text;
    v_session uuid;
    v_next timestamptz;
    v_relay boolean;
    v_created integer := 0;
    v_same_wake boolean := false;
    v_clear_override boolean;
BEGIN
    IF p_device_mac IS NULL THEN
        RAISE EXCEPTION 'device identifier must not be null' USING ERRCODE = '22004';
    END IF;
    v_mac := devicewake.normalize_mac(p_device_mac);

    IF pg_catalog.jsonb_typeof(v_payload) <> 'object' THEN
        v_ignored := v_ignored || pg_catalog.jsonb_build_object(
            'field', '(payload)', 'reason', 'not a JSON object', 'value', v_payload);
        v_payload := pg_catalog.jsonb_build_object('raw', v_payload);
    END IF;

    -- the optional fields, each checked on its own: a bad one is noted and skipped
    IF v_payload ? 'battery_voltage' THEN
        -- CASE, not AND: the cast must never run on a value that is not a number
        IF (CASE WHEN pg_catalog.jsonb_typeof(v_payload->'battery_voltage') = 'number'
                THEN (v_payload->>'battery_voltage')::numeric BETWEEN 0 AND 100 ELSE false END) THEN
            v_battery := round((v_payload->>'battery_voltage')::numeric, 3);
        ELSE
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'battery_voltage',
                'reason', 'expected a number of volts between 0 and 100', 'value', v_payload->'battery_voltage');
        END IF;
    END IF;
    IF v_payload ? 'wifi_rssi' THEN
        IF (CASE WHEN pg_catalog.jsonb_typeof(v_payload->'wifi_rssi') = 'number'
                THEN (v_payload->>'wifi_rssi')::numeric BETWEEN -200 AND 100 ELSE false END) THEN
            -- real cameras send decimals (-61.4): stored rounded to a whole dBm
            v_rssi := round((v_payload->>'wifi_rssi')::numeric)::integer;
        ELSE
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'wifi_rssi',
                'reason', 'expected a number of dBm between -200 and 100', 'value', v_payload->'wifi_rssi');
        END IF;
    END IF;
    IF v_payload ? 'firmware_version' THEN
        IF pg_catalog.jsonb_typeof(v_payload->'firmware_version') = 'string'
           AND length(v_payload->>'firmware_version') BETWEEN 1 AND 64 THEN
            v_firmware := v_payload->>'firmware_version';
        ELSE
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'firmware_version',
                'reason', 'expected a string of 1 to 64 characters', 'value', v_payload->'firmware_version');
        END IF;
    END IF;
    IF v_payload ? 'hardware_version' THEN
        IF pg_catalog.jsonb_typeof(v_payload->'hardware_version') = 'string'
           AND length(v_payload->>'hardware_version') BETWEEN 1 AND 64 THEN
            v_hardware := v_payload->>'hardware_version';
        ELSE
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'hardware_version',
                'reason', 'expected a string of 1 to 64 characters', 'value', v_payload->'hardware_version');
        END IF;
    END IF;
    IF v_payload ? 'pendingImg' AND pg_catalog.jsonb_typeof(v_payload->'pendingImg') <> 'number' THEN
        v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'pendingImg',
            'reason', 'expected a number', 'value', v_payload->'pendingImg');
    END IF;
    IF v_payload ? 'pending_count' AND pg_catalog.jsonb_typeof(v_payload->'pending_count') <> 'number' THEN
        v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'pending_count',
            'reason', 'expected a number', 'value', v_payload->'pending_count');
    END IF;
    IF v_payload ? 'pending_list' THEN
        IF pg_catalog.jsonb_typeof(v_payload->'pending_list') = 'array' THEN
            FOR v_item IN SELECT e FROM pg_catalog.jsonb_array_elements(v_payload->'pending_list') e LOOP
                IF pg_catalog.jsonb_typeof(v_item) = 'string'
                   AND length(v_item #>> '{}') BETWEEN 1 AND 200 THEN
                    v_names := v_names || (v_item #>> '{}');
                ELSE
                    v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'pending_list',
                        'reason', 'expected image names of 1 to 200 characters', 'value', v_item);
                END IF;
            END LOOP;
        ELSE
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'pending_list',
                'reason', 'expected an array of image names', 'value', v_payload->'pending_list');
        END IF;
    END IF;
    -- the topic names the device; a body naming another one is noted, not believed
    IF v_payload ? 'device_id' THEN
        IF (CASE WHEN pg_catalog.jsonb_typeof(v_payload->'device_id') = 'string'
                THEN devicewake._mac_matches(v_payload->>'device_id', v_mac) IS NOT TRUE
                ELSE true END) THEN
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'device_id',
                'reason', 'does not name the device of the topic', 'value', v_payload->'device_id');
        END IF;
    END IF;

    -- the device, registered (unassigned: no site) when unknown; locked for the rest
    PERFORM devicewake._register_device(v_mac, p_device_mac, 'hello');
    SELECT * INTO v_device FROM devicewake.devices d WHERE d.device_mac = v_mac FOR UPDATE;

    SELECT coalesce(v_device.wake_schedule_cron, s.wake_schedule_cron),
           coalesce(v_device.timezone, s.timezone, 'UTC')
    INTO v_cron, v_tz
    FROM (SELECT 1) one LEFT JOIN devicewake.sites s ON s.site_id = v_device.site_id;

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
            wifi_rssi = coalesce(v_rssi, d.wifi_rssi),
            firmware_version = coalesce(v_firmware, d.firmware_version),
            hardware_version = coalesce(v_hardware, d.hardware_version)
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
            wifi_rssi = coalesce(v_rssi, d.wifi_rssi),
            firmware_version = coalesce(v_firmware, d.firmware_version),
            hardware_version = coalesce(v_hardware, d.hardware_version),
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
    SELECT DISTINCT v_device.device_id, v_session, n, 'pending' FROM unnest(v_names) n
    ON CONFLICT (device_id, image_name) DO NOTHING;
    GET DIAGNOSTICS v_created = ROW_COUNT;

    -- the device is awake: wake the dispatcher so its due commands go out now (with the on_wake
    -- policy, they become deliverable with the session just opened). Commands already claimed
    -- are in flight and left alone: releasing them here would publish them twice.
    PERFORM pg_catalog.pg_notify('devicewake_commands', '');

    INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
    VALUES (v_device.device_id, v_session, 'hello',
            pg_catalog.jsonb_build_object(
                'payload', v_payload,
                'ignored_fields', v_ignored,
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

-- True when p_given (a device_id from a message body) names the same device as the normalised
-- p_mac; false when it names another device or is not a device identifier. Never raises.
CREATE FUNCTION devicewake._mac_matches(p_given text, p_mac text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN devicewake.normalize_mac(p_given) = p_mac;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END
$$;

REVOKE ALL ON FUNCTION devicewake.record_device_hello(text, jsonb),
    devicewake._mac_matches(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.record_device_hello(text, jsonb) TO devicewake_admin;
