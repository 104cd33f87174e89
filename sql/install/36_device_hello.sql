-- A device's HELLO (docs/design.md §4, §8.1): what the worker calls when {prefix}/{MAC}/status
-- arrives, callable from SQL too. It registers unknown devices, stores telemetry, ends the
-- manual-wake override when this is the wake it asked for, plans the next wake (32_wake_plan.sql),
-- rolls the wake session and wakes the dispatcher. A HELLO inside a wake that is still going on
-- (the device spoke within devicewake.session_idle_timeout) is the same wake: it keeps the
-- session and its conversation.

-- Records a HELLO whose fields src/core has parsed and checked (core/inbound_message.cpp owns
-- every HELLO field rule and its limits; nothing here checks them again): p_device_mac as sent,
-- the body p_payload, the typed readings (NULL when absent or ignored), the pending image names,
-- and p_ignored, the fields the core left out and why ([{field, reason, value}]). Returns the id
-- of the wake session it opens. Raises 22023 for an identifier that is not a device identifier.
-- Internal: called by the worker and by record_device_hello.
CREATE FUNCTION devicewake._record_hello(
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
    v_device_id uuid;
BEGIN
    -- the device, registered (unassigned: no site) when unknown; locked for the rest (by its
    -- key: on Citus a row lock is taken on one shard, not across them)
    v_device_id := devicewake._register_device(v_mac, p_device_mac, 'hello');
    SELECT * INTO v_device FROM devicewake.devices d WHERE d.device_id = v_device_id FOR UPDATE;

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

-- Records a HELLO from p_device_mac (any spelling normalize_mac accepts) with the HELLO body
-- p_payload (the field names of docs/protocol.md), as the worker does for one received on
-- {prefix}/{MAC}/status: the body is parsed by the same core parser (devicewake._hello_fields).
-- Returns the id of the wake session it opens. Never fails for a bad optional field: a field of
-- the wrong type or out of range is ignored and named in the 'hello' history event. Raises 22004
-- for a NULL MAC, 22023 for an identifier that is not a MAC or a TEST-/VIRTUAL:/SYSTEM: name (the
-- worker records those as rejected) and for a body nested too deeply.
-- Runs as its owner: callers are the worker (superuser) and devicewake_admin.
CREATE FUNCTION devicewake.record_device_hello(p_device_mac text, p_payload jsonb DEFAULT '{}')
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_hello record;
BEGIN
    IF p_device_mac IS NULL THEN
        RAISE EXCEPTION 'device identifier must not be null' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO v_hello
    FROM devicewake._hello_fields(devicewake.normalize_mac(p_device_mac),
                                  coalesce(p_payload, '{}'::jsonb)::text);
    RETURN devicewake._record_hello(p_device_mac, v_hello.payload::jsonb, v_hello.battery_voltage::numeric,
                                    v_hello.wifi_rssi, v_hello.firmware_version,
                                    v_hello.hardware_version, v_hello.pending_list,
                                    v_hello.ignored_fields::jsonb);
END
$$;

-- The fields of the HELLO body p_payload (JSON text) of the device p_device_mac (normalised), as
-- src/core parses and checks them (ParseHelloBody): the body to store (a body that is not an
-- object becomes {"raw": body}), the readings that passed (NULL otherwise), the pending image
-- names, and the ignored fields as a JSON array. Raises 22023 for a body nested too deeply.
CREATE FUNCTION devicewake._hello_fields(
    p_device_mac text, p_payload text,
    OUT payload text, OUT battery_voltage double precision, OUT wifi_rssi integer,
    OUT firmware_version text, OUT hardware_version text, OUT pending_list text[],
    OUT ignored_fields text)
    LANGUAGE c IMMUTABLE STRICT
    AS 'MODULE_PATHNAME', 'devicewake_hello_fields';

REVOKE ALL ON FUNCTION devicewake.record_device_hello(text, jsonb),
    devicewake._record_hello(text, jsonb, numeric, integer, text, text, text[], jsonb),
    devicewake._hello_fields(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.record_device_hello(text, jsonb) TO devicewake_admin;
