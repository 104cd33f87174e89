-- The device directory (docs/design.md §10): a device's id by its MAC, one row per device. It is
-- what keeps a MAC unique (devices is keyed by device_id alone, so that it distributes by it on
-- Citus, where it is a reference table on every node), and where an inbound message's MAC finds
-- its device, and so its shard. Kept by a row trigger on devices; nobody else writes it.

CREATE TABLE devicewake.device_directory (
    device_mac  text PRIMARY KEY,
    device_id   uuid NOT NULL UNIQUE
);
COMMENT ON TABLE devicewake.device_directory IS
    'A device''s id by its MAC (one row per device, kept by a trigger on devices): what keeps a MAC unique';
ALTER TABLE devicewake.device_directory ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON devicewake.device_directory FROM PUBLIC;

-- Claims a device's MAC in the directory when the device is written, frees it when the device is
-- deleted or changes MAC. Raises 23505 for a MAC another device holds (as a unique constraint on
-- devices.device_mac did); a row that _register_device wrote first for this device is its own.
-- On a Citus shard (the trigger's table is then a shard of devices, on a worker node) a trigger
-- may not write a reference table, which is on every node: there it only checks that the
-- directory holds the device's MAC (written first by _register_device on the coordinator), and
-- raises 0A000 when it does not, 23505 when another device holds it.
CREATE FUNCTION devicewake._devices_directory() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_holder uuid;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.device_mac = OLD.device_mac AND NEW.device_id = OLD.device_id THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME <> 'devices' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN NULL;
        END IF;
        SELECT r.device_id INTO v_holder FROM devicewake.device_directory r WHERE r.device_mac = NEW.device_mac;
        IF v_holder IS NULL THEN
            RAISE EXCEPTION 'device % is not in the device directory', NEW.device_mac
                USING ERRCODE = '0A000',
                      DETAIL = 'On Citus a device''s MAC is entered in the directory before its row is written.',
                      HINT = 'Register the device with devicewake._register_device() on the coordinator.';
        ELSIF v_holder = NEW.device_id THEN
            RETURN NULL;
        END IF;
    ELSE
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM devicewake.device_directory r
            WHERE r.device_mac = OLD.device_mac AND r.device_id = OLD.device_id;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN NULL;
        END IF;
        INSERT INTO devicewake.device_directory (device_mac, device_id)
        VALUES (NEW.device_mac, NEW.device_id) ON CONFLICT (device_mac) DO NOTHING;
        IF FOUND OR EXISTS (SELECT FROM devicewake.device_directory r
                            WHERE r.device_mac = NEW.device_mac AND r.device_id = NEW.device_id) THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION 'duplicate key value violates unique constraint "device_directory_pkey"'
        USING ERRCODE = '23505', DETAIL = format('Key (device_mac)=(%s) already exists.', NEW.device_mac),
              CONSTRAINT = 'device_directory_pkey', TABLE = 'devices', SCHEMA = 'devicewake';
END
$$;
CREATE TRIGGER devices_directory AFTER INSERT OR DELETE OR UPDATE OF device_mac, device_id
    ON devicewake.devices FOR EACH ROW EXECUTE FUNCTION devicewake._devices_directory();
REVOKE ALL ON FUNCTION devicewake._devices_directory() FROM PUBLIC;
