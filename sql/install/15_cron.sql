-- The cron engine (docs/design.md §3): next wake time of a schedule in a time zone, a preview of the next
-- wake times, and the validator behind the cron_schedule domain used by sites and devices.

CREATE FUNCTION devicewake.check_cron_expression(p_cron_expression text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'devicewake_check_cron_expression';
COMMENT ON FUNCTION devicewake.check_cron_expression(text) IS
    'true for a cron expression that parses and can fire; 22023 naming the field and the offending text otherwise';

-- A schedule that does not parse, or can never fire, cannot be stored.
CREATE DOMAIN devicewake.cron_schedule AS text
    CHECK (devicewake.check_cron_expression(VALUE));

CREATE FUNCTION devicewake.fn_calculate_next_wake_time(
        p_last_wake_at timestamptz, p_cron_expression text, p_timezone text DEFAULT 'UTC')
    RETURNS timestamptz
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'devicewake_fn_calculate_next_wake_time';
COMMENT ON FUNCTION devicewake.fn_calculate_next_wake_time(timestamptz, text, text) IS
    'earliest instant after p_last_wake_at whose wall-clock minute in p_timezone matches p_cron_expression (docs/design.md §3)';

CREATE FUNCTION devicewake.next_wake_times(
        p_from timestamptz, p_cron text, p_timezone text, p_count integer)
    RETURNS SETOF timestamptz
    LANGUAGE c STABLE STRICT PARALLEL SAFE ROWS 10
    AS 'MODULE_PATHNAME', 'devicewake_next_wake_times';
COMMENT ON FUNCTION devicewake.next_wake_times(timestamptz, text, text, integer) IS
    'the next p_count (0..1000) wake times of a schedule after p_from: a preview for schedule editors';

REVOKE ALL ON FUNCTION devicewake.check_cron_expression(text),
    devicewake.fn_calculate_next_wake_time(timestamptz, text, text),
    devicewake.next_wake_times(timestamptz, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.check_cron_expression(text),
    devicewake.fn_calculate_next_wake_time(timestamptz, text, text),
    devicewake.next_wake_times(timestamptz, text, text, integer) TO devicewake_viewer;
