-- When a device wakes next, and what it is told (docs/design.md §8.1). A camera is told a time of
-- day (UTC) without a date and sleeps until its next occurrence, so a wake more than 24 h away
-- cannot be said directly: the device is then told a relay wake no later than 24 h ahead, whose
-- HELLO is only told the next wake. One owner for the rule: HELLO, the sleep signal, manual
-- wakes, set_wake_schedule and the sweep's retries all ask these functions.

-- devicewake.default_wake_schedule: what a device without a schedule of its own or its site's
-- sleeps on (UTC).
-- SQL-standard body here: bound when the extension is created (no caller's
-- search_path reaches them) and, without a SET clause, inlined into the calling statement.
CREATE FUNCTION devicewake._default_wake_schedule() RETURNS text
    LANGUAGE sql STABLE
    RETURN coalesce(nullif(pg_catalog.current_setting('devicewake.default_wake_schedule', true), ''), '0 */3 * * *');

-- The schedule a device sleeps on and the time zone it is read in: its own schedule, else its
-- site's (read in the device's time zone, else the site's, else UTC), else
-- devicewake.default_wake_schedule in UTC. No row for an unknown device.
-- (PL/pgSQL: Citus cannot plan the query of a distributed table that an inlined SQL function
-- with a parameter brings into a statement)
CREATE FUNCTION devicewake._device_schedule(p_device_id uuid, OUT cron text, OUT timezone text)
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN QUERY
    SELECT coalesce(d.wake_schedule_cron, s.wake_schedule_cron, devicewake._default_wake_schedule()),
           CASE WHEN coalesce(d.wake_schedule_cron, s.wake_schedule_cron) IS NULL THEN 'UTC'
                ELSE coalesce(d.timezone, s.timezone, 'UTC') END
    FROM devicewake.devices d LEFT JOIN devicewake.sites s ON s.site_id = d.site_id
    WHERE d.device_id = p_device_id;
END
$$;

-- The device's next wake as of p_from: the earliest of its schedule's next slot (device's, else
-- its site's schedule in the device's or site's time zone, else default_wake_schedule in UTC)
-- and a manual wake still ahead; when that is more than 24 h away, a relay wake 23 h ahead
-- (relay = true) instead. NULL for an unknown device.
CREATE FUNCTION devicewake._wake_plan(p_device_id uuid, p_from timestamptz,
                                      OUT wake_at timestamptz, OUT relay boolean)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_cron text;
    v_tz text;
    v_slot timestamptz;
    v_manual timestamptz;
    v_target timestamptz;
BEGIN
    -- (the schedule first, on its own: a function called in a statement over devices would be
    -- sent by Citus to the device's shard, where its own statement may not run)
    SELECT w.cron, w.timezone INTO v_cron, v_tz FROM devicewake._device_schedule(p_device_id) w;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT CASE WHEN d.manual_wake_override AND d.manual_wake_at > p_from THEN d.manual_wake_at END
    INTO v_manual
    FROM devicewake.devices d WHERE d.device_id = p_device_id;
    v_slot := devicewake.fn_calculate_next_wake_time(p_from, v_cron, v_tz);
    v_target := least(v_slot, v_manual);
    IF v_target IS NOT NULL AND v_target <= p_from + interval '24 hours' THEN
        wake_at := v_target;
        relay := false;
    ELSE
        -- a whole minute (the camera is told minutes), and never the current time of day
        wake_at := date_trunc('minute', p_from + interval '23 hours');
        relay := true;
    END IF;
END
$$;

-- The next wake of the device as of now() (what queue_image_retry falls back on).
CREATE FUNCTION devicewake._wake_target(p_device_id uuid) RETURNS timestamptz
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS
$$ SELECT p.wake_at FROM devicewake._wake_plan(p_device_id, now()) p $$;

-- The payload a set_wake_schedule command is published with: its next_wake_time (or, from the
-- old UI, the next slot of {"wake_schedule_cron": …} in the device's time zone), told as a relay
-- when more than 24 h away. Never raises (a payload that cannot be read is returned as it is,
-- and the publish fails it with the reason).
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

-- The payload a command of type p_type is published with: set_wake_schedule's is rewritten
-- (above), every other type's goes out as stored. Called by the worker's claim for every
-- command it publishes: an SQL-standard body, inlined there, so only set_wake_schedule pays a
-- PL/pgSQL call and its settings change.
CREATE FUNCTION devicewake._command_payload(p_device_id uuid, p_type text, p_payload jsonb)
    RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN CASE WHEN p_type = 'set_wake_schedule'
                THEN devicewake._wake_schedule_payload(p_device_id, p_payload)
                ELSE p_payload END;

REVOKE ALL ON FUNCTION devicewake._default_wake_schedule(), devicewake._device_schedule(uuid),
    devicewake._wake_plan(uuid, timestamptz), devicewake._wake_target(uuid),
    devicewake._wake_schedule_payload(uuid, jsonb),
    devicewake._command_payload(uuid, text, jsonb) FROM PUBLIC;
