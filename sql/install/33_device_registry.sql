-- Auto-registration of devices heard over MQTT (docs/design.md §9): an unknown, valid identifier becomes
-- an unassigned device (no site), with one 'device_registered' history event, even when two
-- messages of the same new device arrive at once.

-- The device id for a normalised identifier, registering it when unknown. p_given is the spelling
-- the device used, p_source what was heard ('hello', 'metadata', ...). Internal: the worker and
-- record_device_hello call it.
CREATE FUNCTION devicewake._register_device(p_mac text, p_given text, p_source text) RETURNS uuid
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid;
BEGIN
    SELECT d.device_id INTO v_device FROM devicewake.devices d WHERE d.device_mac = p_mac;
    IF FOUND THEN
        RETURN v_device;
    END IF;
    -- two first messages at once: one inserts and records the registration, the other waits for
    -- it on the unique index and then finds the row
    INSERT INTO devicewake.devices (device_mac) VALUES (p_mac) ON CONFLICT (device_mac) DO NOTHING
    RETURNING device_id INTO v_device;
    IF FOUND THEN
        INSERT INTO devicewake.device_history (device_id, event_type, event_data)
        VALUES (v_device, 'device_registered',
                jsonb_build_object('device_mac', p_mac, 'given_as', p_given, 'source', p_source));
        RETURN v_device;
    END IF;
    SELECT d.device_id INTO v_device FROM devicewake.devices d WHERE d.device_mac = p_mac;
    RETURN v_device;
END
$$;
