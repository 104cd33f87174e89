-- Row triggers that keep stored values canonical: device identifiers normalised on the way in,
-- updated_at maintained. C functions (src/pg/trigger_functions.cpp, like contrib/spi's
-- moddatetime): they run once per row written, and a batch wake writes 10,000 devices, a sweep
-- tens of thousands of images. They call no SQL, so no search_path is involved.

-- device_mac normalised (normalize_mac's rule and error, 22023); on UPDATE, updated_at = now()
CREATE FUNCTION devicewake._devices_before_write() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'devicewake_devices_before_write';
CREATE TRIGGER devices_before_write BEFORE INSERT OR UPDATE ON devicewake.devices
    FOR EACH ROW EXECUTE FUNCTION devicewake._devices_before_write();

-- updated_at = now() (the transaction's start, as before)
CREATE FUNCTION devicewake._touch_updated_at() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'devicewake_touch_updated_at';
CREATE TRIGGER sites_touch BEFORE UPDATE ON devicewake.sites
    FOR EACH ROW EXECUTE FUNCTION devicewake._touch_updated_at();
CREATE TRIGGER device_images_touch BEFORE UPDATE ON devicewake.device_images
    FOR EACH ROW EXECUTE FUNCTION devicewake._touch_updated_at();
