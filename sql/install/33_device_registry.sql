-- Auto-registration of devices heard over MQTT (docs/design.md §9): an unknown, valid identifier becomes
-- an unassigned device (no site), with one 'device_registered' history event, even when two
-- messages of the same new device arrive at once. A MAC finds its device in the directory
-- (21_device_directory.sql), a read of one row on whichever node asks.

-- The device id for a normalised identifier, registering it when unknown. p_given is the spelling
-- the device used, p_source what was heard ('hello', 'metadata', ...). Internal: the worker and
-- record_device_hello call it.
CREATE FUNCTION devicewake._register_device(p_mac text, p_given text, p_source text) RETURNS uuid
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid;
BEGIN
    SELECT r.device_id INTO v_device FROM devicewake.device_directory r WHERE r.device_mac = p_mac;
    IF FOUND THEN
        IF EXISTS (SELECT FROM devicewake.devices d WHERE d.device_id = v_device) THEN
            RETURN v_device;
        END IF;
        -- the MAC of a deleted device is free again: on Citus its directory row outlives it (the
        -- trigger on a shard of devices cannot write the directory, a reference table)
        DELETE FROM devicewake.device_directory r WHERE r.device_mac = p_mac AND r.device_id = v_device;
    END IF;
    -- two first messages at once: one claims the MAC in the directory and records the
    -- registration, the other waits for it on the directory's key and then finds the row
    INSERT INTO devicewake.device_directory (device_mac, device_id) VALUES (p_mac, gen_random_uuid())
    ON CONFLICT (device_mac) DO NOTHING
    RETURNING device_id INTO v_device;
    IF FOUND THEN
        INSERT INTO devicewake.devices (device_id, device_mac) VALUES (v_device, p_mac);
        INSERT INTO devicewake.device_history (device_id, event_type, event_data)
        VALUES (v_device, 'device_registered',
                jsonb_build_object('device_mac', p_mac, 'given_as', p_given, 'source', p_source));
        RETURN v_device;
    END IF;
    SELECT r.device_id INTO v_device FROM devicewake.device_directory r WHERE r.device_mac = p_mac;
    RETURN v_device;
END
$$;

-- A devicewake.* setting (#14 items 2-4) as a number: bytes for a size (SHOW's '16MB' form),
-- seconds for a time, the count itself otherwise; p_default when the setting is not defined (the
-- library is not loaded in this session). Internal. SQL-standard bodies: bound when the
-- extension is created (no caller's search_path reaches them), and without a SET clause the
-- planner inlines them into the calling statement (a SET costs a settings change and a planning
-- of the body at every call).
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
