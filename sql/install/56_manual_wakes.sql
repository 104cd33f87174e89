-- Manual wakes as a fleet operation (issue 16): every manual wake recorded with its outcome
-- (devicewake.manual_wakes, view manual_wake_history), batch and site-wide wakes, and commands
-- that ride on a wake (p_then). One rule for one device and for ten thousand:
-- devicewake._request_manual_wakes, which request_manual_wake (35_manual_wake.sql) calls too.
-- Runs after 50_security.sql: grants, RLS and REVOKEs for what it creates are here.
--
-- Outcomes: requested -> told (the broker PUBACKed its set_wake_schedule: told directly, or told
-- a relay wake before it) -> confirmed (the HELLO of that wake: the one that ends the override,
-- at most _manual_wake_late_tolerance() after the wake time) | missed (that much time passed
-- without it: _mark_missed_manual_wakes, from the worker's tick) | superseded (a newer manual
-- wake of the device) | cancelled (its command was cancelled before it was sent).

CREATE TABLE devicewake.manual_wakes (
    -- the set_wake_schedule command that asks for the wake
    -- (the one foreign key: a device's deletion cascades to its commands, and so here)
    command_id        uuid NOT NULL,
    device_id         uuid NOT NULL,
    requested_by      uuid,
    requested_role    name NOT NULL,
    requested_at      timestamptz NOT NULL DEFAULT now(),
    wake_at           timestamptz NOT NULL,
    state             text NOT NULL DEFAULT 'requested' CHECK (state IN (
                          'requested', 'told', 'confirmed', 'missed', 'superseded', 'cancelled')),
    state_at          timestamptz NOT NULL DEFAULT now(),
    told_at           timestamptz,
    -- what rides on the wake (normalised by _check_then_commands), queued at its HELLO
    then_commands     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(then_commands) = 'array'),
    then_command_ids  uuid[] NOT NULL DEFAULT '{}',
    superseded_by     uuid,
    PRIMARY KEY (command_id, device_id),
    FOREIGN KEY (command_id, device_id) REFERENCES devicewake.device_commands (command_id, device_id)
        ON DELETE CASCADE
);
CREATE INDEX manual_wakes_device_idx ON devicewake.manual_wakes (device_id, requested_at DESC);
-- what the tick and the HELLO look at: wakes still waiting for their outcome
CREATE INDEX manual_wakes_open_idx ON devicewake.manual_wakes (wake_at)
    WHERE state IN ('requested', 'told');
CREATE INDEX manual_wakes_open_device_idx ON devicewake.manual_wakes (device_id)
    WHERE state IN ('requested', 'told');

-- How late the HELLO of a manual wake may come and still confirm it (a camera's clock drifts,
-- and it may be mid-way through connecting). The early side is the HELLO's own rule
-- (record_device_hello ends the override up to 5 minutes early).
CREATE FUNCTION devicewake._manual_wake_late_tolerance() RETURNS interval
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS
$$ SELECT interval '10 minutes' $$;

-- Raises unless every id of p_ids is a device the caller may see (P0002, the first one in list
-- order; a device the caller may not see is reported exactly like a missing one) and none is
-- listed twice (22023): the all-or-nothing check of batch wakes and of campaign targets. p_admin:
-- the caller is a fleet admin (sees every device). Runs inside its callers' SECURITY DEFINER.
CREATE FUNCTION devicewake._require_device_list(p_ids uuid[], p_admin boolean) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_bad uuid;
BEGIN
    SELECT u.id INTO v_bad
    FROM pg_catalog.unnest(p_ids) WITH ORDINALITY AS u(id, n)
    LEFT JOIN devicewake.devices d ON d.device_id = u.id
    WHERE d.device_id IS NULL
       OR (NOT p_admin AND NOT coalesce(d.site_id IN (SELECT devicewake.caller_site_ids()), false))
    ORDER BY u.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'device % does not exist', v_bad USING ERRCODE = 'P0002';
    END IF;
    SELECT u.id INTO v_bad FROM pg_catalog.unnest(p_ids) AS u(id)
    GROUP BY u.id HAVING pg_catalog.count(*) > 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'device % is listed more than once', v_bad USING ERRCODE = '22023';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION devicewake._require_device_list(uuid[], boolean) FROM PUBLIC;

-- The rule of a manual wake, for one device or many, in one set-based pass: checks (in this
-- order) p_wake_at not NULL (22004), the ids not NULL (22004), every device visible to the caller
-- (P0002, the first one that is not, as for a missing device), no id twice (22023), the time in
-- the future and at most 30 days ahead (22023), p_then (22023, _check_then_commands), then locks
-- the devices in id order and refuses an inactive one (55000). All or nothing. Then, per device:
-- older manual wakes still open are superseded, the override is recorded (requester = the
-- caller's identity), next_wake_at is what the camera is told (the manual wake, or a relay wake
-- while it is more than 24 h away), older unpublished set_wake_schedule commands are cancelled,
-- a set_wake_schedule {next_wake_time, manual_wake: true} is queued (priority 9, expiring at the
-- wake time), and the request is written to device_history and manual_wakes.
-- Returns (device_id, command_id) for every device, in the order given.
CREATE FUNCTION devicewake._request_manual_wakes(p_device_ids uuid[], p_wake_at timestamptz,
                                                 p_then jsonb)
    RETURNS TABLE(device_id uuid, command_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_user uuid := devicewake.current_user_id();
    v_role name := devicewake.caller_role();
    v_admin boolean := devicewake.caller_is_fleet_admin();
    v_bad uuid;
    v_then jsonb;
    v_devices uuid[];
    v_commands uuid[];
    v_now timestamptz := pg_catalog.now();
    -- a wake within this is told directly (a constant for the UPDATE below: Citus evaluates no
    -- stable expression in a CASE of a statement it distributes)
    v_direct_until timestamptz := v_now + interval '24 hours';
BEGIN
    IF p_wake_at IS NULL THEN
        RAISE EXCEPTION 'wake time must not be null' USING ERRCODE = '22004';
    END IF;
    IF p_device_ids IS NULL OR pg_catalog.array_position(p_device_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'device id must not be null' USING ERRCODE = '22004';
    END IF;
    IF pg_catalog.cardinality(p_device_ids) > 100000 THEN
        RAISE EXCEPTION 'at most 100000 devices can be woken in one call'
            USING ERRCODE = '54000',
                  DETAIL = pg_catalog.format('Asked for %s.', pg_catalog.cardinality(p_device_ids));
    END IF;
    PERFORM devicewake._require_device_list(p_device_ids, v_admin);
    IF p_wake_at <= v_now THEN
        RAISE EXCEPTION 'wake time must be in the future'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('Asked for %s at %s.', p_wake_at, v_now),
                  HINT = 'Ask for a time after now(), or use the interval form.';
    END IF;
    -- further ahead than this is a typo, not a wake
    IF p_wake_at > v_now + interval '30 days' THEN
        RAISE EXCEPTION 'wake time must be at most 30 days ahead'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('Asked for %s at %s.', p_wake_at, v_now);
    END IF;
    v_then := devicewake._check_then_commands(p_then);

    -- the row locks order concurrent requests for one device (the last to commit wins); taken in
    -- id order so two overlapping batches cannot deadlock
    PERFORM FROM devicewake.devices d WHERE d.device_id = ANY (p_device_ids)
    ORDER BY d.device_id FOR UPDATE;
    SELECT u.id INTO v_bad
    FROM pg_catalog.unnest(p_device_ids) WITH ORDINALITY AS u(id, n)
    JOIN devicewake.devices d ON d.device_id = u.id
    WHERE NOT d.is_active ORDER BY u.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'device % is inactive', v_bad
            USING ERRCODE = '55000', HINT = 'Reactivate the device before waking it.';
    END IF;

    SELECT pg_catalog.array_agg(u.id ORDER BY u.n),
           pg_catalog.array_agg(pg_catalog.gen_random_uuid() ORDER BY u.n)
    INTO v_devices, v_commands
    FROM pg_catalog.unnest(p_device_ids) WITH ORDINALITY AS u(id, n);

    -- (arrays, not a temporary table: a caller could have created one of that name, with
    -- triggers that would run with this function's privileges)
    UPDATE devicewake.manual_wakes w
    SET state = 'superseded', state_at = v_now, superseded_by = b.command_id
    FROM ROWS FROM (pg_catalog.unnest(v_devices), pg_catalog.unnest(v_commands)) AS b(device_id, command_id)
    WHERE w.device_id = ANY (v_devices) AND w.device_id = b.device_id AND w.state IN ('requested', 'told');

    -- one UPDATE of the devices when the wake is within 24 h (a second one would re-check each
    -- row's foreign key: the row is then this transaction's own); further ahead, the camera is
    -- told a relay wake, planned once manual_wake_at is in place
    UPDATE devicewake.devices d
    SET manual_wake_at = p_wake_at,
        manual_wake_override = true,
        manual_wake_requested_by = v_user,
        manual_wake_requested_at = v_now,
        next_wake_at = CASE WHEN p_wake_at <= v_direct_until THEN p_wake_at
                            ELSE d.next_wake_at END
    WHERE d.device_id = ANY (v_devices);
    -- what the set_wake_schedule below tells the camera (devicewake._command_payload)
    IF p_wake_at > v_direct_until THEN
        UPDATE devicewake.devices d
        SET next_wake_at = (SELECT p.wake_at FROM devicewake._wake_plan(d.device_id, v_now) p)
        WHERE d.device_id = ANY (v_devices);
    END IF;

    -- only what was not published yet: a claimed command may already be at the broker; the
    -- history names how many each request superseded
    WITH batch AS (
        SELECT * FROM ROWS FROM (pg_catalog.unnest(v_devices), pg_catalog.unnest(v_commands)) AS b(device_id, command_id)),
    cancelled AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled',
            error_message = 'superseded by manual wake request ' || b.command_id::text
        FROM batch b
        -- (= ANY: the device index, never a walk of the whole queue's pending commands)
        WHERE c.device_id = ANY (v_devices) AND c.device_id = b.device_id
          AND c.command_type = 'set_wake_schedule'
          AND c.status = 'pending' AND c.claimed_at IS NULL
        RETURNING c.device_id),
    counts AS (
        SELECT x.device_id, pg_catalog.count(*)::integer AS n FROM cancelled x GROUP BY x.device_id)
    INSERT INTO devicewake.device_history (device_id, event_type, event_data)
    SELECT b.device_id, 'manual_wake_requested',
           pg_catalog.jsonb_build_object('command_id', b.command_id, 'wake_at', p_wake_at,
                                         'requested_by', v_user, 'requested_role', v_role,
                                         'superseded_commands', coalesce(k.n, 0))
           || CASE WHEN v_then = '[]'::jsonb THEN '{}'::jsonb
                   ELSE pg_catalog.jsonb_build_object('then', v_then) END
    FROM batch b LEFT JOIN counts k ON k.device_id = b.device_id;

    -- expires at the wake time: delivered later it would ask for a wake that is already past
    INSERT INTO devicewake.device_commands
        (command_id, device_id, command_type, command_payload, priority, expires_at,
         created_by_user_id)
    SELECT b.command_id, b.device_id, 'set_wake_schedule',
           pg_catalog.jsonb_build_object(
               'next_wake_time',
               pg_catalog.to_char(p_wake_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'manual_wake', true),
           9, p_wake_at, v_user
    FROM ROWS FROM (pg_catalog.unnest(v_devices), pg_catalog.unnest(v_commands)) AS b(device_id, command_id);

    INSERT INTO devicewake.manual_wakes
        (command_id, device_id, requested_by, requested_role, requested_at, wake_at, then_commands)
    SELECT b.command_id, b.device_id, v_user, v_role, v_now, p_wake_at, v_then
    FROM ROWS FROM (pg_catalog.unnest(v_devices), pg_catalog.unnest(v_commands)) AS b(device_id, command_id);

    RETURN QUERY SELECT u.device_id, u.command_id
                 FROM ROWS FROM (pg_catalog.unnest(v_devices), pg_catalog.unnest(v_commands)) AS u(device_id, command_id);
END
$$;

-- Wakes every device of p_device_ids at p_wake_at, all or nothing (the rule and errors of
-- _request_manual_wakes). Returns (device_id, command_id) per device, in the order given.
CREATE FUNCTION devicewake.request_manual_wakes(p_device_ids uuid[], p_wake_at timestamptz)
    RETURNS TABLE(device_id uuid, command_id uuid)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$ SELECT w.device_id, w.command_id FROM devicewake._request_manual_wakes(p_device_ids, p_wake_at, NULL) w $$;

-- "Wake them in p_in": request_manual_wakes(p_device_ids, now() + p_in). Raises 22004 (NULL
-- interval), 22023 (not positive), and the errors of the timestamptz form.
CREATE FUNCTION devicewake.request_manual_wakes(p_device_ids uuid[], p_in interval)
    RETURNS TABLE(device_id uuid, command_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF p_in IS NULL THEN
        RAISE EXCEPTION 'wake interval must not be null' USING ERRCODE = '22004';
    END IF;
    IF p_in <= interval '0' THEN
        RAISE EXCEPTION 'wake interval must be positive'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Asked for %s.', p_in);
    END IF;
    RETURN QUERY SELECT w.device_id, w.command_id
                 FROM devicewake._request_manual_wakes(p_device_ids, pg_catalog.now() + p_in, NULL) w;
END
$$;

-- Wakes every active device of the site at p_wake_at (inactive devices are out of service and
-- not asked). Raises 22004 (NULL argument), P0002 (unknown site, or one the caller may not
-- access), 55000 (no active device at the site), and the errors of request_manual_wakes.
CREATE FUNCTION devicewake.request_site_wake(p_site_id uuid, p_wake_at timestamptz)
    RETURNS TABLE(device_id uuid, command_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_ids uuid[];
BEGIN
    IF p_site_id IS NULL OR p_wake_at IS NULL THEN
        RAISE EXCEPTION 'site id and wake time must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT EXISTS (SELECT FROM devicewake.sites s WHERE s.site_id = p_site_id
                   AND (devicewake.caller_is_fleet_admin()
                        OR s.site_id IN (SELECT devicewake.caller_site_ids()))) THEN
        RAISE EXCEPTION 'site % does not exist', p_site_id USING ERRCODE = 'P0002';
    END IF;
    SELECT pg_catalog.array_agg(d.device_id ORDER BY d.device_id) INTO v_ids
    FROM devicewake.devices d WHERE d.site_id = p_site_id AND d.is_active;
    IF v_ids IS NULL THEN
        RAISE EXCEPTION 'site % has no active device', p_site_id USING ERRCODE = '55000';
    END IF;
    RETURN QUERY SELECT w.device_id, w.command_id
                 FROM devicewake._request_manual_wakes(v_ids, p_wake_at, NULL) w;
END
$$;

-- A manual wake with commands that ride on it: p_then (a JSON array, _check_then_commands) is
-- queued when the HELLO of that wake confirms it, so it is delivered at that wake and no earlier
-- (never, if the wake is missed or superseded). Otherwise request_manual_wake(p_device_id,
-- p_wake_at). Raises what _request_manual_wakes raises.
CREATE FUNCTION devicewake.request_manual_wake(p_device_id uuid, p_wake_at timestamptz, p_then jsonb)
    RETURNS uuid
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$ SELECT w.command_id FROM devicewake._request_manual_wakes(ARRAY[p_device_id], p_wake_at, p_then) w $$;

-- The same in p_in. Raises 22004 (NULL interval), 22023 (not positive), and the errors above.
CREATE FUNCTION devicewake.request_manual_wake(p_device_id uuid, p_in interval, p_then jsonb)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF p_in IS NULL THEN
        RAISE EXCEPTION 'wake interval must not be null' USING ERRCODE = '22004';
    END IF;
    IF p_in <= interval '0' THEN
        RAISE EXCEPTION 'wake interval must be positive'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Asked for %s.', p_in);
    END IF;
    RETURN (SELECT w.command_id
            FROM devicewake._request_manual_wakes(ARRAY[p_device_id], pg_catalog.now() + p_in, p_then) w);
END
$$;

-- told: the broker PUBACKed (or the device acknowledged) the wake's set_wake_schedule;
-- cancelled: it was cancelled before that (a newer wake marks the older one superseded first).
-- Queued per row, applied per statement (_apply_queued_rows, 55_fleet_events.sql): the worker
-- marks a batch of commands sent in one statement, a batch wake cancels older ones in one.
CREATE TRIGGER device_commands_manual_wake AFTER UPDATE OF status ON devicewake.device_commands
    FOR EACH ROW WHEN (NEW.command_type = 'set_wake_schedule' AND OLD.status = 'pending'
                       AND NEW.status IN ('sent', 'acknowledged'))
    EXECUTE FUNCTION devicewake._queue_row_event('manual_wake_told', 'command_id');
CREATE TRIGGER device_commands_manual_wake_cancelled AFTER UPDATE OF status ON devicewake.device_commands
    FOR EACH ROW WHEN (NEW.command_type = 'set_wake_schedule' AND OLD.status = 'pending'
                       AND NEW.status = 'cancelled')
    EXECUTE FUNCTION devicewake._queue_row_event('manual_wake_cancelled', 'command_id');

-- The HELLO that ends a manual-wake override (record_device_hello clears manual_wake_at for the
-- wake it asked for, and only then) confirms that wake, or finds it missed when it comes more
-- than _manual_wake_late_tolerance() late; a confirmed wake's p_then commands are queued now.
CREATE FUNCTION devicewake._manual_wake_hello() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_wake devicewake.manual_wakes%ROWTYPE;
    v_ids uuid[];
    v_now timestamptz := pg_catalog.now();
    -- the earliest wake time this HELLO confirms (a constant in the CASE below: Citus evaluates
    -- no stable expression in a CASE of a statement it distributes)
    v_confirms_from timestamptz := v_now - devicewake._manual_wake_late_tolerance();
BEGIN
    FOR v_wake IN
        UPDATE devicewake.manual_wakes w
        SET state = CASE WHEN w.wake_at >= v_confirms_from THEN 'confirmed' ELSE 'missed' END,
            state_at = v_now
        WHERE w.device_id = NEW.device_id AND w.state IN ('requested', 'told')
        RETURNING w.*
    LOOP
        IF v_wake.state = 'confirmed' AND v_wake.then_commands <> '[]'::jsonb THEN
            WITH queued AS (
                INSERT INTO devicewake.device_commands
                    (device_id, command_type, command_payload, priority, created_by_user_id)
                SELECT v_wake.device_id, t.c ->> 'command_type', t.c -> 'command_payload',
                       (t.c ->> 'priority')::integer, v_wake.requested_by
                FROM pg_catalog.jsonb_array_elements(v_wake.then_commands) WITH ORDINALITY AS t(c, n)
                ORDER BY t.n
                RETURNING device_commands.command_id)
            SELECT pg_catalog.array_agg(q.command_id) INTO v_ids FROM queued q;
            UPDATE devicewake.manual_wakes w SET then_command_ids = v_ids
            WHERE w.command_id = v_wake.command_id;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER devices_manual_wake_hello AFTER UPDATE OF manual_wake_at ON devicewake.devices
    FOR EACH ROW WHEN (OLD.manual_wake_at IS NOT NULL AND NEW.manual_wake_at IS NULL
                       AND NEW.last_wake_at IS DISTINCT FROM OLD.last_wake_at)
    EXECUTE FUNCTION devicewake._manual_wake_hello();

-- Manual wakes still open whose wake time is more than _manual_wake_late_tolerance() before
-- p_now are missed. Returns how many. Called by _campaign_tick (the worker, once a second).
CREATE FUNCTION devicewake._mark_missed_manual_wakes(p_now timestamptz) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_count integer;
BEGIN
    UPDATE devicewake.manual_wakes w SET state = 'missed', state_at = p_now
    WHERE w.state IN ('requested', 'told')
      AND w.wake_at < p_now - devicewake._manual_wake_late_tolerance();
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- confirmed and missed wakes go to the change feed (55_fleet_events.sql: queued per row,
-- appended per statement)
CREATE TRIGGER manual_wakes_event AFTER UPDATE OF state ON devicewake.manual_wakes
    FOR EACH ROW WHEN (NEW.state IN ('confirmed', 'missed') AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION devicewake._queue_row_event('manual_wake', 'command_id');
CREATE TRIGGER manual_wakes_queue_apply AFTER UPDATE ON devicewake.manual_wakes
    FOR EACH STATEMENT EXECUTE FUNCTION devicewake._apply_queued();

-- Every manual wake: the device, who asked and when, for when, the outcome and when it was
-- reached, and what rode on it. Runs with the caller's privileges (RLS: the caller's fleet).
CREATE VIEW devicewake.manual_wake_history WITH (security_invoker = true) AS
SELECT w.command_id,
       w.device_id,
       d.device_mac,
       d.device_name,
       d.site_id,
       w.requested_by,
       u.display_name AS requested_by_name,
       w.requested_role,
       w.requested_at,
       w.wake_at,
       w.state AS outcome,
       w.state_at AS outcome_at,
       w.told_at,
       w.then_commands,
       w.then_command_ids,
       w.superseded_by
FROM devicewake.manual_wakes w
JOIN devicewake.devices d ON d.device_id = w.device_id
LEFT JOIN devicewake.users u ON u.user_id = w.requested_by;
COMMENT ON VIEW devicewake.manual_wake_history IS
    'Every manual wake: device, requester, when, for when, outcome (requested, told, confirmed, missed, superseded, cancelled) and when';

ALTER TABLE devicewake.manual_wakes ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON devicewake.manual_wakes, devicewake.manual_wake_history TO devicewake_viewer;
CREATE POLICY fleet_admin_read ON devicewake.manual_wakes FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());
CREATE POLICY member_read ON devicewake.manual_wakes FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_device(device_id));

REVOKE ALL ON FUNCTION devicewake._manual_wake_late_tolerance(),
    devicewake._request_manual_wakes(uuid[], timestamptz, jsonb),
    devicewake.request_manual_wakes(uuid[], timestamptz), devicewake.request_manual_wakes(uuid[], interval),
    devicewake.request_site_wake(uuid, timestamptz),
    devicewake.request_manual_wake(uuid, timestamptz, jsonb),
    devicewake.request_manual_wake(uuid, interval, jsonb),
    devicewake._manual_wake_hello(),
    devicewake._mark_missed_manual_wakes(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.request_manual_wakes(uuid[], timestamptz),
    devicewake.request_manual_wakes(uuid[], interval), devicewake.request_site_wake(uuid, timestamptz),
    devicewake.request_manual_wake(uuid, timestamptz, jsonb),
    devicewake.request_manual_wake(uuid, interval, jsonb) TO devicewake_operator;
