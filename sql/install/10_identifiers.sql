-- Validated identifiers: device MACs (the only source of MQTT topic segments) and time zones.

CREATE FUNCTION devicewake.normalize_mac(p_mac text) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'devicewake_normalize_mac';
COMMENT ON FUNCTION devicewake.normalize_mac(text) IS
    'B8:f8:62:F9:C1:C4 -> B8F862F9C1C4; TEST-/VIRTUAL:/SYSTEM: identifiers kept as given; 22023 otherwise';

-- true for any name PostgreSQL accepts in AT TIME ZONE; raises 22023 (time zone "x" not recognized).
CREATE FUNCTION devicewake.check_timezone(p_timezone text) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog AS
$$
BEGIN
    IF p_timezone IS NULL THEN
        RETURN true;
    END IF;
    PERFORM now() AT TIME ZONE p_timezone;
    RETURN true;
END
$$;

CREATE DOMAIN devicewake.time_zone_name AS text
    CHECK (devicewake.check_timezone(VALUE));
