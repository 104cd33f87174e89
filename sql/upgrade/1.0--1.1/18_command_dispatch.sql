-- Issue 18, the drain: the timer's two partial indexes hold pending, unclaimed commands only (and
-- the first only those with a scheduled_for), as sql/install/30_command_queue.sql has them: a
-- claim's and a PUBACK's row versions no longer enter them. And the publish-time payload rewrite
-- is a PL/pgSQL function of its own, called through an inlined SQL body for set_wake_schedule
-- only, as sql/install/32_wake_plan.sql has it.
DROP INDEX devicewake.device_commands_scheduled_idx;
DROP INDEX devicewake.device_commands_pending_expiry_idx;
CREATE INDEX device_commands_scheduled_idx
    ON devicewake.device_commands (scheduled_for)
    WHERE status = 'pending' AND claimed_at IS NULL AND scheduled_for IS NOT NULL;
CREATE INDEX device_commands_pending_expiry_idx
    ON devicewake.device_commands (expires_at) WHERE status = 'pending' AND claimed_at IS NULL;

CREATE FUNCTION devicewake._wake_schedule_payload(p_device_id uuid, p_payload jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_at timestamptz;
    v_plan record;
BEGIN
    BEGIN
        IF p_payload ? 'next_wake_time' THEN
            v_at := (p_payload ->> 'next_wake_time')::timestamptz;
        ELSIF p_payload ? 'next_wake_epoch' THEN
            v_at := to_timestamp((p_payload ->> 'next_wake_epoch')::double precision);
        ELSIF p_payload ? 'wake_schedule_cron' THEN
            SELECT devicewake.fn_calculate_next_wake_time(
                       now(), p_payload ->> 'wake_schedule_cron',
                       coalesce(d.timezone, s.timezone, 'UTC'))
            INTO v_at
            FROM devicewake.devices d LEFT JOIN devicewake.sites s ON s.site_id = d.site_id
            WHERE d.device_id = p_device_id;
        ELSE
            RETURN p_payload;
        END IF;
    EXCEPTION WHEN data_exception OR invalid_parameter_value OR datetime_field_overflow THEN
        RETURN p_payload;
    END;
    IF v_at IS NULL THEN
        RETURN p_payload;
    END IF;
    IF v_at > now() + interval '24 hours' THEN
        v_plan := devicewake._wake_plan(p_device_id, now());
        v_at := least(v_at, v_plan.wake_at);
    END IF;
    RETURN (p_payload - 'next_wake_epoch')
           || jsonb_build_object('next_wake_time',
                                 to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
END
$$;

CREATE OR REPLACE FUNCTION devicewake._command_payload(p_device_id uuid, p_type text, p_payload jsonb)
    RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN CASE WHEN p_type = 'set_wake_schedule'
                THEN devicewake._wake_schedule_payload(p_device_id, p_payload)
                ELSE p_payload END;

REVOKE ALL ON FUNCTION devicewake._wake_schedule_payload(uuid, jsonb) FROM PUBLIC;
