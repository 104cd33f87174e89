-- Row triggers that keep stored values canonical: device identifiers normalised on the way in,
-- updated_at maintained.

CREATE FUNCTION devicewake._devices_before_write() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS
$$
BEGIN
    NEW.device_mac := devicewake.normalize_mac(NEW.device_mac);
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER devices_before_write BEFORE INSERT OR UPDATE ON devicewake.devices
    FOR EACH ROW EXECUTE FUNCTION devicewake._devices_before_write();

CREATE FUNCTION devicewake._touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS
$$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER sites_touch BEFORE UPDATE ON devicewake.sites
    FOR EACH ROW EXECUTE FUNCTION devicewake._touch_updated_at();
CREATE TRIGGER device_images_touch BEFORE UPDATE ON devicewake.device_images
    FOR EACH ROW EXECUTE FUNCTION devicewake._touch_updated_at();
