-- Manual wakes and the command state changes a user may ask for (docs/design.md §4, §6, §9):
-- request_manual_wake (two overloads), acknowledge_command, cancel_command. Each checks the
-- caller's access to the device first and takes the requester from devicewake.current_user_id().

-- Asks the device to wake at p_wake_at: one transaction records the manual wake and override
-- (requester = the caller's identity, never a parameter), sets next_wake_at to the wake the
-- camera is told (the manual wake; when it is more than 24 h away, a regular or relay wake before
-- it, devicewake._wake_plan), cancels older set_wake_schedule commands not yet published (one already
-- published cannot be taken back: this one, sent after it, is what the camera keeps), and queues
-- a set_wake_schedule command with payload {"next_wake_time": ISO-8601 UTC, "manual_wake": true}
-- (told as a relay while more than 24 h away). Returns its command id. The rule is the batch's
-- (devicewake._request_manual_wakes, 56_manual_wakes.sql), for a batch of one.
-- Raises 22004 (NULL argument), 22023 (time not in the future or too far ahead), P0002 (unknown
-- device or one the caller may not access), 55000 (inactive device); nothing is changed then.
CREATE FUNCTION devicewake.request_manual_wake(p_device_id uuid, p_wake_at timestamptz)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN (SELECT w.command_id
            FROM devicewake._request_manual_wakes(ARRAY[p_device_id], p_wake_at, NULL) w);
END
$$;

-- "Wake in p_in": the same as request_manual_wake(p_device_id, now() + p_in).
-- Raises 22004 (NULL argument), 22023 (p_in not positive or too far ahead), and the errors of
-- the timestamptz form.
CREATE FUNCTION devicewake.request_manual_wake(p_device_id uuid, p_in interval)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF p_in IS NULL THEN
        RAISE EXCEPTION 'wake interval must not be null' USING ERRCODE = '22004';
    END IF;
    PERFORM devicewake.require_device_access(p_device_id);
    IF p_in <= interval '0' THEN
        RAISE EXCEPTION 'wake interval must be positive'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Asked for %s.', p_in);
    END IF;
    RETURN devicewake.request_manual_wake(p_device_id, pg_catalog.now() + p_in);
END
$$;

-- Looks up a command the caller may act on and locks it; P0002 for an unknown command and for
-- one of a device the caller may not access (the two are indistinguishable to the caller).
CREATE FUNCTION devicewake._lock_visible_command(p_command_id uuid,
                                                 OUT device_id uuid, OUT status text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF p_command_id IS NULL THEN
        RAISE EXCEPTION 'command id must not be null' USING ERRCODE = '22004';
    END IF;
    -- access is checked before locking: nobody may lock another company's rows. The check runs
    -- whether or not the command exists, so a missing command costs what another company's does
    -- (#14 item 6).
    SELECT c.device_id INTO device_id
    FROM devicewake.device_commands c WHERE c.command_id = p_command_id;
    IF devicewake.can_access_device(coalesce(device_id, p_command_id)) IS NOT TRUE
       OR device_id IS NULL THEN
        RAISE EXCEPTION 'command % does not exist', p_command_id USING ERRCODE = 'P0002';
    END IF;
    SELECT c.status INTO status
    FROM devicewake.device_commands c WHERE c.command_id = p_command_id FOR UPDATE;
END
$$;

-- The device acknowledged the command: sent -> acknowledged (acknowledged_at = now()), true.
-- Already acknowledged: false (idempotent: devices may acknowledge twice). A device can only
-- acknowledge what it received, so any other state raises 55000 naming the state.
CREATE FUNCTION devicewake.acknowledge_command(p_command_id uuid) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid;
    v_status text;
BEGIN
    SELECT l.device_id, l.status INTO v_device, v_status
    FROM devicewake._lock_visible_command(p_command_id) l;
    IF v_status = 'acknowledged' THEN
        RETURN false;
    ELSIF v_status <> 'sent' THEN
        RAISE EXCEPTION 'command % cannot be acknowledged: it is %', p_command_id, v_status
            USING ERRCODE = '55000', DETAIL = 'Only a sent command can be acknowledged.';
    END IF;
    UPDATE devicewake.device_commands c
    SET status = 'acknowledged', acknowledged_at = pg_catalog.now()
    WHERE c.command_id = p_command_id;
    RETURN true;
END
$$;

-- Cancels a pending command (claimed or not: not PUBACKed yet), true. Already cancelled: false
-- (idempotent). Any other state (sent, acknowledged, failed, expired) raises 55000 naming it.
CREATE FUNCTION devicewake.cancel_command(p_command_id uuid) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid;
    v_status text;
    v_user uuid := devicewake.current_user_id();
BEGIN
    SELECT l.device_id, l.status INTO v_device, v_status
    FROM devicewake._lock_visible_command(p_command_id) l;
    IF v_status = 'cancelled' THEN
        RETURN false;
    ELSIF v_status <> 'pending' THEN
        RAISE EXCEPTION 'command % cannot be cancelled: it is %', p_command_id, v_status
            USING ERRCODE = '55000', DETAIL = 'Only a pending command can be cancelled.';
    END IF;
    UPDATE devicewake.device_commands c
    SET status = 'cancelled', claimed_at = NULL,
        error_message = 'cancelled by ' || coalesce('user ' || v_user::text,
                                                     'role ' || devicewake.caller_role())
    WHERE c.command_id = p_command_id;
    INSERT INTO devicewake.device_history (device_id, event_type, event_data)
    VALUES (v_device, 'command_cancelled',
            pg_catalog.jsonb_build_object('command_id', p_command_id, 'cancelled_by', v_user,
                                          'cancelled_role', devicewake.caller_role()));
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION devicewake.request_manual_wake(uuid, timestamptz), devicewake.request_manual_wake(uuid, interval),
    devicewake._lock_visible_command(uuid), devicewake.acknowledge_command(uuid),
    devicewake.cancel_command(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.request_manual_wake(uuid, timestamptz),
    devicewake.request_manual_wake(uuid, interval), devicewake.cancel_command(uuid)
    TO devicewake_operator;
-- acknowledgements come from devices (through the worker, a superuser) or an admin's tooling
GRANT EXECUTE ON FUNCTION devicewake.acknowledge_command(uuid) TO devicewake_admin;
