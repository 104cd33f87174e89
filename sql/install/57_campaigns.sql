-- Campaigns (issue 16): one command to many devices at a controlled pace, with an abort rule, as
-- AWS IoT Jobs has them. The targets are fixed when the campaign is created
-- (devicewake.campaign_targets); a device's command is created only when the pace releases it.
-- The worker enforces the pace: it calls devicewake._campaign_tick(now()) once a second (its
-- housekeeping step), which releases, expires unacknowledged commands, aborts and completes.
-- Runs after 50_security.sql: grants, RLS and REVOKEs for what it creates are here.
--
-- States: running -> paused -> running (pause_campaign, resume_campaign); running or paused ->
-- completed (every target released and every command final), aborted (the share of failed or
-- expired devices among those released passed abort_failure_ratio once at least
-- abort_min_devices were released: undelivered commands cancelled, reason recorded), cancelled
-- (cancel_campaign: undelivered commands cancelled).

CREATE TABLE devicewake.campaigns (
    campaign_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    command_type         text NOT NULL,
    command_payload      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(command_payload) = 'object'),
    target               jsonb NOT NULL,
    -- the one company every target belongs to (NULL: several, or unassigned devices: admins and
    -- the creator see it)
    company_id           uuid REFERENCES devicewake.companies ON DELETE CASCADE,
    created_by           uuid,
    created_role         name NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    max_per_minute       integer CHECK (max_per_minute BETWEEN 1 AND 100000),
    abort_failure_ratio  numeric CHECK (abort_failure_ratio > 0 AND abort_failure_ratio <= 1),
    abort_min_devices    integer NOT NULL DEFAULT 10 CHECK (abort_min_devices >= 1),
    -- a released command not acknowledged this long after its release is expired
    ack_timeout          interval NOT NULL DEFAULT interval '24 hours'
                         CHECK (ack_timeout >= interval '1 second' AND ack_timeout <= interval '30 days'),
    state                text NOT NULL DEFAULT 'running' CHECK (state IN (
                             'running', 'paused', 'completed', 'aborted', 'cancelled')),
    state_at             timestamptz NOT NULL DEFAULT now(),
    -- the pace: since run_started_at (creation or the last resume) at most
    -- released_before_run + max(1, floor(max_per_minute x minutes)) targets are released
    run_started_at       timestamptz NOT NULL DEFAULT now(),
    released_before_run  integer NOT NULL DEFAULT 0 CHECK (released_before_run >= 0),
    released_count       integer NOT NULL DEFAULT 0 CHECK (released_count >= 0),
    target_count         integer NOT NULL CHECK (target_count >= 1),
    abort_reason         text,
    finished_at          timestamptz
);
CREATE INDEX campaigns_active_idx ON devicewake.campaigns (created_at)
    WHERE state IN ('running', 'paused');
CREATE INDEX campaigns_company_idx ON devicewake.campaigns (company_id);

CREATE TABLE devicewake.campaign_targets (
    campaign_id  uuid NOT NULL REFERENCES devicewake.campaigns ON DELETE CASCADE,
    device_id    uuid NOT NULL REFERENCES devicewake.devices ON DELETE CASCADE,
    -- release order (1-based)
    position     integer NOT NULL CHECK (position >= 1),
    -- the command, once released (a released command cannot be deleted while its target is
    -- kept: a distribution key is never set to NULL)
    command_id   uuid,
    released_at  timestamptz,
    PRIMARY KEY (campaign_id, device_id),
    CHECK ((command_id IS NULL) OR (released_at IS NOT NULL)),
    FOREIGN KEY (command_id, device_id) REFERENCES devicewake.device_commands (command_id, device_id)
);
CREATE INDEX campaign_targets_unreleased_idx ON devicewake.campaign_targets (campaign_id, position)
    WHERE released_at IS NULL;
CREATE INDEX campaign_targets_command_idx ON devicewake.campaign_targets (command_id);
CREATE INDEX campaign_targets_device_idx ON devicewake.campaign_targets (device_id);

-- Reads a uuid from a target's JSON value; 22023 naming p_what when it is not one.
CREATE FUNCTION devicewake._target_uuid(p_value jsonb, p_what text) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF pg_catalog.jsonb_typeof(p_value) IS DISTINCT FROM 'string'
       OR (p_value #>> '{}') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RAISE EXCEPTION 'campaign target % is not a uuid', p_what
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Got %s.', pg_catalog.left(p_value::text, 80));
    END IF;
    RETURN (p_value #>> '{}')::uuid;
END
$$;

-- Starts a campaign sending (p_command_type, p_command_payload) to the devices of p_target:
-- {"device_ids": [...]} (in that order; every one visible to the caller and active),
-- {"site_id": …} or {"company_id": …} (their active devices, in id order), always within what
-- the caller may access. p_max_per_minute NULL: no pacing. p_abort_failure_ratio NULL: no abort
-- rule. p_ack_timeout: a released command not acknowledged that long after its release expires
-- (and counts towards the abort). The creator is the caller's identity. Returns the campaign id.
-- Raises 22004 (NULL name, command type, target, minimum or timeout), 22023 (a bad name, command,
-- payload, target shape, pace, ratio, minimum or timeout; a device listed twice), P0002 (a
-- device, site or company the caller may not access, reported as missing), 55000 (an inactive
-- device, or no active device at the site or company), 54000 (more than 100,000 devices).
-- Nothing is changed then.
CREATE FUNCTION devicewake.create_campaign(p_name text, p_command_type text, p_command_payload jsonb,
                                           p_target jsonb, p_max_per_minute integer DEFAULT NULL,
                                           p_abort_failure_ratio numeric DEFAULT NULL,
                                           p_abort_min_devices integer DEFAULT 10,
                                           p_ack_timeout interval DEFAULT interval '24 hours')
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_admin boolean := devicewake.caller_is_fleet_admin();
    v_id uuid := pg_catalog.gen_random_uuid();
    v_ids uuid[];
    v_scope uuid;
    v_bad uuid;
    v_n integer := 0;
    v_item jsonb;
    v_company uuid;
BEGIN
    IF p_name IS NULL OR p_target IS NULL OR p_abort_min_devices IS NULL OR p_ack_timeout IS NULL THEN
        RAISE EXCEPTION 'campaign name, target, abort minimum and acknowledgement timeout must not be null'
            USING ERRCODE = '22004';
    END IF;
    IF pg_catalog.length(p_name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'campaign name must be 1 to 200 characters' USING ERRCODE = '22023';
    END IF;
    PERFORM devicewake._check_command(p_command_type, p_command_payload, 'campaign');
    IF p_max_per_minute IS NOT NULL AND p_max_per_minute NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'max_per_minute must be between 1 and 100000'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Asked for %s.', p_max_per_minute);
    END IF;
    IF p_abort_failure_ratio IS NOT NULL AND NOT (p_abort_failure_ratio > 0 AND p_abort_failure_ratio <= 1) THEN
        RAISE EXCEPTION 'abort_failure_ratio must be greater than 0 and at most 1'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Asked for %s.', p_abort_failure_ratio);
    END IF;
    IF p_abort_min_devices < 1 THEN
        RAISE EXCEPTION 'abort_min_devices must be at least 1' USING ERRCODE = '22023';
    END IF;
    IF p_ack_timeout < interval '1 second' OR p_ack_timeout > interval '30 days' THEN
        RAISE EXCEPTION 'acknowledgement timeout must be between 1 second and 30 days'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Asked for %s.', p_ack_timeout);
    END IF;

    -- the targets
    IF pg_catalog.jsonb_typeof(p_target) <> 'object'
       OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(p_target)) <> 1
       OR NOT (p_target ?| ARRAY['device_ids', 'site_id', 'company_id']) THEN
        RAISE EXCEPTION 'campaign target must be one of {"device_ids": [...]}, {"site_id": ...}, {"company_id": ...}'
            USING ERRCODE = '22023';
    END IF;
    IF p_target ? 'device_ids' THEN
        IF pg_catalog.jsonb_typeof(p_target -> 'device_ids') <> 'array'
           OR pg_catalog.jsonb_array_length(p_target -> 'device_ids') = 0 THEN
            RAISE EXCEPTION 'campaign target device_ids must be a non-empty array of device ids'
                USING ERRCODE = '22023';
        END IF;
        IF pg_catalog.jsonb_array_length(p_target -> 'device_ids') > 100000 THEN
            RAISE EXCEPTION 'a campaign may target at most 100000 devices' USING ERRCODE = '54000';
        END IF;
        -- (checked one by one only to name the bad element; the rest is set-based)
        FOR v_item IN SELECT e FROM pg_catalog.jsonb_array_elements(p_target -> 'device_ids') e LOOP
            v_n := v_n + 1;
            v_ids := v_ids || devicewake._target_uuid(v_item, 'device_ids[' || v_n || ']');
        END LOOP;
        PERFORM devicewake._require_device_list(v_ids, v_admin);
        SELECT u.id INTO v_bad
        FROM pg_catalog.unnest(v_ids) WITH ORDINALITY AS u(id, n)
        JOIN devicewake.devices d ON d.device_id = u.id
        WHERE NOT d.is_active ORDER BY u.n LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'device % is inactive', v_bad
                USING ERRCODE = '55000', HINT = 'Reactivate the device or leave it out of the campaign.';
        END IF;
    ELSIF p_target ? 'site_id' THEN
        v_scope := devicewake._target_uuid(p_target -> 'site_id', 'site_id');
        IF NOT EXISTS (SELECT FROM devicewake.sites s WHERE s.site_id = v_scope
                       AND (v_admin OR s.site_id IN (SELECT devicewake.caller_site_ids()))) THEN
            RAISE EXCEPTION 'site % does not exist', v_scope USING ERRCODE = 'P0002';
        END IF;
        SELECT pg_catalog.array_agg(d.device_id ORDER BY d.device_id) INTO v_ids
        FROM devicewake.devices d WHERE d.site_id = v_scope AND d.is_active;
        IF v_ids IS NULL THEN
            RAISE EXCEPTION 'site % has no active device', v_scope USING ERRCODE = '55000';
        END IF;
    ELSE
        v_scope := devicewake._target_uuid(p_target -> 'company_id', 'company_id');
        IF NOT EXISTS (SELECT FROM devicewake.companies c WHERE c.company_id = v_scope
                       AND (v_admin OR c.company_id IN (SELECT devicewake.caller_company_ids()))) THEN
            RAISE EXCEPTION 'company % does not exist', v_scope USING ERRCODE = 'P0002';
        END IF;
        SELECT pg_catalog.array_agg(d.device_id ORDER BY d.device_id) INTO v_ids
        FROM devicewake.devices d JOIN devicewake.sites s ON s.site_id = d.site_id
        WHERE s.company_id = v_scope AND d.is_active;
        IF v_ids IS NULL THEN
            RAISE EXCEPTION 'company % has no active device', v_scope USING ERRCODE = '55000';
        END IF;
    END IF;
    IF pg_catalog.cardinality(v_ids) > 100000 THEN
        RAISE EXCEPTION 'a campaign may target at most 100000 devices'
            USING ERRCODE = '54000', DETAIL = pg_catalog.format('The target holds %s.', pg_catalog.cardinality(v_ids));
    END IF;

    SELECT CASE WHEN pg_catalog.count(DISTINCT s.company_id) = 1 AND pg_catalog.bool_and(s.company_id IS NOT NULL)
                THEN pg_catalog.min(s.company_id::text)::uuid END
    INTO v_company
    FROM pg_catalog.unnest(v_ids) u(id)
    JOIN devicewake.devices d ON d.device_id = u.id
    LEFT JOIN devicewake.sites s ON s.site_id = d.site_id;

    INSERT INTO devicewake.campaigns
        (campaign_id, name, command_type, command_payload, target, company_id, created_by,
         created_role, max_per_minute, abort_failure_ratio, abort_min_devices, ack_timeout,
         target_count)
    VALUES (v_id, p_name, p_command_type, coalesce(p_command_payload, '{}'::jsonb), p_target,
            v_company, devicewake.current_user_id(), devicewake.caller_role(), p_max_per_minute,
            p_abort_failure_ratio, p_abort_min_devices, p_ack_timeout, pg_catalog.cardinality(v_ids));
    INSERT INTO devicewake.campaign_targets (campaign_id, device_id, position)
    SELECT v_id, u.id, u.n FROM pg_catalog.unnest(v_ids) WITH ORDINALITY AS u(id, n);
    RETURN v_id;
END
$$;

-- Locks the campaign the caller may act on and returns its state; P0002 for an unknown one and
-- for one the caller may not see (22004 for NULL).
CREATE FUNCTION devicewake._lock_visible_campaign(p_campaign_id uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_state text;
BEGIN
    IF p_campaign_id IS NULL THEN
        RAISE EXCEPTION 'campaign id must not be null' USING ERRCODE = '22004';
    END IF;
    -- access is checked before locking: nobody may lock another company's rows
    IF NOT EXISTS (SELECT FROM devicewake.campaigns k WHERE k.campaign_id = p_campaign_id
                   AND (devicewake.caller_is_fleet_admin()
                        OR k.company_id IN (SELECT devicewake.caller_company_ids())
                        OR k.created_by = devicewake.current_user_id())) THEN
        RAISE EXCEPTION 'campaign % does not exist', p_campaign_id USING ERRCODE = 'P0002';
    END IF;
    SELECT k.state INTO v_state FROM devicewake.campaigns k
    WHERE k.campaign_id = p_campaign_id FOR UPDATE;
    RETURN v_state;
END
$$;

-- Ends a campaign (p_state aborted or cancelled) now: its undelivered (pending) commands are
-- cancelled with p_reason, its unreleased targets are never released. The tick's and
-- cancel_campaign's one way to stop a campaign.
CREATE FUNCTION devicewake._stop_campaign(p_campaign_id uuid, p_state text, p_reason text,
                                          p_now timestamptz)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    UPDATE devicewake.device_commands c
    SET status = 'cancelled', claimed_at = NULL, error_message = p_reason
    FROM devicewake.campaign_targets t
    WHERE t.campaign_id = p_campaign_id AND c.command_id = t.command_id AND c.status = 'pending';
    UPDATE devicewake.campaigns k
    SET state = p_state, state_at = p_now, finished_at = p_now,
        abort_reason = CASE WHEN p_state = 'aborted' THEN p_reason END
    WHERE k.campaign_id = p_campaign_id;
    IF p_state = 'aborted' THEN
        INSERT INTO devicewake.events (company_id, event_type, subject_id, data)
        SELECT k.company_id, 'campaign_aborted', k.campaign_id,
               pg_catalog.jsonb_build_object('name', k.name, 'reason', p_reason)
        FROM devicewake.campaigns k WHERE k.campaign_id = p_campaign_id;
    END IF;
END
$$;

-- running -> paused: nothing more is released (commands already released go on). true; false
-- when already paused. Raises 22004, P0002 (as _lock_visible_campaign), 55000 (finished).
CREATE FUNCTION devicewake.pause_campaign(p_campaign_id uuid) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_state text := devicewake._lock_visible_campaign(p_campaign_id);
BEGIN
    IF v_state = 'paused' THEN
        RETURN false;
    ELSIF v_state <> 'running' THEN
        RAISE EXCEPTION 'campaign % cannot be paused: it is %', p_campaign_id, v_state
            USING ERRCODE = '55000', DETAIL = 'Only a running campaign can be paused.';
    END IF;
    UPDATE devicewake.campaigns k SET state = 'paused', state_at = pg_catalog.now()
    WHERE k.campaign_id = p_campaign_id;
    RETURN true;
END
$$;

-- paused -> running: the pace starts again from now (no burst for the time it was paused).
-- true; false when already running. Raises 22004, P0002, 55000 (finished).
CREATE FUNCTION devicewake.resume_campaign(p_campaign_id uuid) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_state text := devicewake._lock_visible_campaign(p_campaign_id);
BEGIN
    IF v_state = 'running' THEN
        RETURN false;
    ELSIF v_state <> 'paused' THEN
        RAISE EXCEPTION 'campaign % cannot be resumed: it is %', p_campaign_id, v_state
            USING ERRCODE = '55000', DETAIL = 'Only a paused campaign can be resumed.';
    END IF;
    UPDATE devicewake.campaigns k
    SET state = 'running', state_at = pg_catalog.now(), run_started_at = pg_catalog.now(),
        released_before_run = k.released_count
    WHERE k.campaign_id = p_campaign_id;
    RETURN true;
END
$$;

-- running or paused -> cancelled: undelivered commands cancelled, nothing more released. true;
-- false when already cancelled. Raises 22004, P0002, 55000 (completed or aborted).
CREATE FUNCTION devicewake.cancel_campaign(p_campaign_id uuid) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_state text := devicewake._lock_visible_campaign(p_campaign_id);
BEGIN
    IF v_state = 'cancelled' THEN
        RETURN false;
    ELSIF v_state NOT IN ('running', 'paused') THEN
        RAISE EXCEPTION 'campaign % cannot be cancelled: it is %', p_campaign_id, v_state
            USING ERRCODE = '55000', DETAIL = 'Only a running or paused campaign can be cancelled.';
    END IF;
    PERFORM devicewake._stop_campaign(p_campaign_id, 'cancelled',
        'campaign cancelled by ' || coalesce('user ' || devicewake.current_user_id()::text,
                                             'role ' || devicewake.caller_role()),
        pg_catalog.now());
    RETURN true;
END
$$;

-- One step of every campaign as of p_now (the worker passes now(); tests pass their own clock):
-- for each running or paused campaign (locked, SKIP LOCKED: two ticks never step one campaign
-- at once): released commands still unacknowledged past their ack_timeout expire; the abort rule
-- is evaluated ((failed + expired) / released > abort_failure_ratio once released >=
-- abort_min_devices); a running campaign releases its next targets up to its pace; a campaign
-- with every target released and every command final completes. Also marks the manual wakes
-- whose window has passed missed. Returns how many commands it released. Every name is
-- schema-qualified: the worker (a superuser) calls it.
CREATE FUNCTION devicewake._campaign_tick(p_now timestamptz) RETURNS integer
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_k devicewake.campaigns%ROWTYPE;
    v_allowed bigint;
    v_released integer;
    v_total integer := 0;
    v_bad integer;
    v_open integer;
BEGIN
    PERFORM devicewake._mark_missed_manual_wakes(p_now);
    FOR v_k IN SELECT * FROM devicewake.campaigns k WHERE k.state IN ('running', 'paused')
               ORDER BY k.created_at FOR UPDATE SKIP LOCKED LOOP
        UPDATE devicewake.device_commands c
        SET status = 'expired', claimed_at = NULL,
            error_message = 'not acknowledged within the campaign''s acknowledgement timeout of '
                            OPERATOR(pg_catalog.||) v_k.ack_timeout::text
        FROM devicewake.campaign_targets t
        WHERE t.campaign_id = v_k.campaign_id AND c.command_id = t.command_id
          AND c.status IN ('pending', 'sent') AND c.expires_at <= p_now;

        IF v_k.abort_failure_ratio IS NOT NULL AND v_k.released_count >= v_k.abort_min_devices THEN
            SELECT pg_catalog.count(*) FILTER (WHERE c.status IN ('failed', 'expired'))
            INTO v_bad
            FROM devicewake.campaign_targets t
            JOIN devicewake.device_commands c ON c.command_id = t.command_id
            WHERE t.campaign_id = v_k.campaign_id;
            IF v_bad::numeric / v_k.released_count > v_k.abort_failure_ratio THEN
                PERFORM devicewake._stop_campaign(v_k.campaign_id, 'aborted',
                    pg_catalog.format('%s of %s released devices failed or expired (%s), above the abort ratio %s (evaluated from %s devices)',
                                      v_bad, v_k.released_count,
                                      pg_catalog.round(v_bad::numeric / v_k.released_count, 3),
                                      v_k.abort_failure_ratio, v_k.abort_min_devices),
                    p_now);
                CONTINUE;
            END IF;
        END IF;

        IF v_k.state = 'running' AND v_k.released_count < v_k.target_count THEN
            v_allowed := CASE WHEN v_k.max_per_minute IS NULL THEN v_k.target_count
                              ELSE v_k.released_before_run + greatest(1, pg_catalog.floor(
                                       v_k.max_per_minute
                                       * extract(epoch FROM p_now - v_k.run_started_at) / 60)::bigint)
                         END;
            v_allowed := least(v_allowed, v_k.target_count) - v_k.released_count;
            IF v_allowed > 0 THEN
                WITH picked AS (
                    SELECT t.device_id, pg_catalog.gen_random_uuid() AS command_id
                    FROM devicewake.campaign_targets t
                    WHERE t.campaign_id = v_k.campaign_id AND t.released_at IS NULL
                    ORDER BY t.position LIMIT v_allowed),
                queued AS (
                    INSERT INTO devicewake.device_commands
                        (command_id, device_id, command_type, command_payload, expires_at,
                         created_by_user_id)
                    SELECT p.command_id, p.device_id, v_k.command_type, v_k.command_payload,
                           p_now + v_k.ack_timeout, v_k.created_by
                    FROM picked p
                    RETURNING device_commands.command_id, device_commands.device_id)
                UPDATE devicewake.campaign_targets t
                SET command_id = q.command_id, released_at = p_now
                FROM queued q
                WHERE t.campaign_id = v_k.campaign_id AND t.device_id = q.device_id;
                GET DIAGNOSTICS v_released = ROW_COUNT;
                UPDATE devicewake.campaigns k SET released_count = k.released_count + v_released
                WHERE k.campaign_id = v_k.campaign_id;
                v_total := v_total + v_released;
                v_k.released_count := v_k.released_count + v_released;
            END IF;
        END IF;

        IF v_k.released_count >= v_k.target_count THEN
            SELECT pg_catalog.count(*) INTO v_open
            FROM devicewake.campaign_targets t
            JOIN devicewake.device_commands c ON c.command_id = t.command_id
            WHERE t.campaign_id = v_k.campaign_id AND c.status IN ('pending', 'sent');
            IF v_open = 0 THEN
                UPDATE devicewake.campaigns k
                SET state = 'completed', state_at = p_now, finished_at = p_now
                WHERE k.campaign_id = v_k.campaign_id;
                INSERT INTO devicewake.events (company_id, event_type, subject_id, data)
                VALUES (v_k.company_id, 'campaign_completed', v_k.campaign_id,
                        pg_catalog.jsonb_build_object('name', v_k.name));
            END IF;
        END IF;
    END LOOP;
    RETURN v_total;
END
$$;

-- Per campaign: how many devices it targets and where their commands are, the pace asked and
-- achieved, the state and why it aborted. Runs with the caller's privileges (RLS: a viewer sees
-- the campaigns of its companies and those it created).
CREATE VIEW devicewake.campaign_progress WITH (security_invoker = true) AS
SELECT k.campaign_id,
       k.name,
       k.command_type,
       k.state,
       k.state_at,
       k.created_at,
       k.created_by,
       k.target_count AS targeted,
       k.released_count AS released,
       k.target_count - k.released_count AS unreleased,
       coalesce(s.pending, 0) AS pending,
       coalesce(s.sent, 0) AS sent,
       coalesce(s.acknowledged, 0) AS acknowledged,
       coalesce(s.failed, 0) AS failed,
       coalesce(s.expired, 0) AS expired,
       coalesce(s.cancelled, 0) AS cancelled,
       k.max_per_minute AS rate,
       coalesce(s.released_last_minute, 0) AS released_last_minute,
       k.abort_failure_ratio,
       k.abort_min_devices,
       k.abort_reason,
       k.finished_at
FROM devicewake.campaigns k
LEFT JOIN LATERAL (
    SELECT pg_catalog.count(*) FILTER (WHERE c.status = 'pending') AS pending,
           pg_catalog.count(*) FILTER (WHERE c.status = 'sent') AS sent,
           pg_catalog.count(*) FILTER (WHERE c.status = 'acknowledged') AS acknowledged,
           pg_catalog.count(*) FILTER (WHERE c.status = 'failed') AS failed,
           pg_catalog.count(*) FILTER (WHERE c.status = 'expired') AS expired,
           pg_catalog.count(*) FILTER (WHERE c.status = 'cancelled') AS cancelled,
           pg_catalog.count(*) FILTER (WHERE t.released_at > pg_catalog.now() - interval '1 minute')
               AS released_last_minute
    FROM devicewake.campaign_targets t
    JOIN devicewake.device_commands c ON c.command_id = t.command_id
    WHERE t.campaign_id = k.campaign_id) s ON true;
COMMENT ON VIEW devicewake.campaign_progress IS
    'Campaigns: targeted, released, pending, sent, acknowledged, failed, expired, cancelled, rate, state, abort reason';

ALTER TABLE devicewake.campaigns ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.campaign_targets ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON devicewake.campaigns, devicewake.campaign_targets, devicewake.campaign_progress
    TO devicewake_viewer;
CREATE POLICY fleet_admin_read ON devicewake.campaigns FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());
CREATE POLICY member_read ON devicewake.campaigns FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_company(company_id) OR created_by = devicewake.current_user_id());
CREATE POLICY fleet_admin_read ON devicewake.campaign_targets FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());
CREATE POLICY member_read ON devicewake.campaign_targets FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_device(device_id));

REVOKE ALL ON FUNCTION devicewake._target_uuid(jsonb, text),
    devicewake.create_campaign(text, text, jsonb, jsonb, integer, numeric, integer, interval),
    devicewake._lock_visible_campaign(uuid), devicewake._stop_campaign(uuid, text, text, timestamptz),
    devicewake.pause_campaign(uuid), devicewake.resume_campaign(uuid),
    devicewake.cancel_campaign(uuid), devicewake._campaign_tick(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    devicewake.create_campaign(text, text, jsonb, jsonb, integer, numeric, integer, interval),
    devicewake.pause_campaign(uuid), devicewake.resume_campaign(uuid),
    devicewake.cancel_campaign(uuid) TO devicewake_operator;
