-- The wake conversation's database half (docs/protocol.md, src/pg/README.md): the state of a
-- device's open wake session and its policy, read before each step, and the step's result
-- written back, its messages queued as device_commands. The rules themselves are C++
-- (src/core/wake_conversation.cpp); these functions only load and store. Internal: run by the
-- worker.

-- The conversation of the device p_mac: its open wake session's state (session_id NULL when it
-- has none) and what varies per device (device columns over the devicewake.* settings). Also
-- records p_prefix as the topic prefix the device uses, so replies go there.
CREATE FUNCTION devicewake._conversation_state(p_mac text, p_prefix text)
    RETURNS TABLE(session_id uuid, hello_count integer, phase text, backlog_left integer,
                  backlog_names text[], asked_images text[], captures_asked integer,
                  awaiting_capture boolean, current_image text, backlog_mode text,
                  captures_per_wake integer, capture_enabled boolean, sleep_only boolean)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    UPDATE devicewake.devices d SET topic_prefix = p_prefix
    WHERE d.device_mac = p_mac AND d.topic_prefix IS DISTINCT FROM p_prefix;
    RETURN QUERY
    SELECT s.session_id, s.hello_count, s.phase, coalesce(s.backlog_left, 0),
           coalesce(s.backlog_names, '{}'), coalesce(s.asked_images, '{}'),
           coalesce(s.captures_asked, 0), coalesce(s.awaiting_capture, false), s.current_image,
           coalesce(d.backlog_mode,
                    nullif(current_setting('devicewake.backlog_mode', true), ''),
                    'send_all_pending'),
           coalesce(d.captures_per_wake,
                    nullif(current_setting('devicewake.captures_per_wake', true), '')::integer, 1),
           d.capture_enabled,
           -- unassigned (no site: nobody could see its images), inactive, or a relay wake
           d.site_id IS NULL OR NOT d.is_active OR coalesce(s.relay, false)
    FROM devicewake.devices d
    LEFT JOIN devicewake.device_wake_sessions s
           ON s.device_id = d.device_id AND s.status = 'in_progress'
    WHERE d.device_mac = p_mac;
END
$$;

-- Stores a conversation step of the device p_mac: the session's new state (when p_session is
-- not NULL) and the actions p_actions (command types, with p_images the image each names, ''
-- for none), queued in order as commands of the session. A 'sleep' carries the next wake of
-- devicewake._wake_plan (a relay when more than 24 h away) and records it on the device.
-- Returns the number of commands queued.
CREATE FUNCTION devicewake._conversation_step(
    p_mac text, p_session uuid, p_phase text, p_backlog_left integer, p_backlog_names text[],
    p_asked_images text[], p_captures_asked integer, p_awaiting_capture boolean,
    p_current_image text, p_actions text[], p_images text[])
    RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid;
    v_plan record;
    v_payloads jsonb[] := '{}';
    v_expires timestamptz := now() + devicewake._session_idle_timeout();
    i integer;
BEGIN
    SELECT d.device_id INTO v_device FROM devicewake.devices d WHERE d.device_mac = p_mac;
    IF p_session IS NOT NULL THEN
        UPDATE devicewake.device_wake_sessions s
        SET phase = p_phase, backlog_left = p_backlog_left, backlog_names = p_backlog_names,
            asked_images = p_asked_images, captures_asked = p_captures_asked,
            awaiting_capture = p_awaiting_capture, current_image = nullif(p_current_image, '')
        WHERE s.session_id = p_session;
    END IF;
    IF coalesce(cardinality(p_actions), 0) = 0 THEN
        RETURN 0;
    END IF;
    FOR i IN 1 .. cardinality(p_actions) LOOP
        IF p_actions[i] = 'sleep' THEN
            v_plan := devicewake._wake_plan(v_device, now());
            UPDATE devicewake.devices d SET next_wake_at = v_plan.wake_at, relay_wake = v_plan.relay
            WHERE d.device_id = v_device;
            v_payloads := v_payloads || (
                jsonb_build_object('next_wake_time',
                                   to_char(v_plan.wake_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                   'relay', v_plan.relay)
                || CASE WHEN p_images[i] <> '' THEN jsonb_build_object('image_name', p_images[i])
                        ELSE '{}'::jsonb END);
        ELSIF p_images[i] <> '' THEN
            v_payloads := v_payloads || jsonb_build_object('image_name', p_images[i]);
        ELSE
            v_payloads := v_payloads || '{}'::jsonb;
        END IF;
    END LOOP;
    -- priority 10: a waiting camera's answer goes before other devices' queues; the claim
    -- still sends the device's own due application commands first
    INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, priority,
                                            issued_at, expires_at, session_id)
    SELECT v_device, a.action, a.payload, 10,
           -- the claim orders by due time: clock time, one microsecond apart, so the answers go
           -- out in the order they were decided, also across steps of one transaction
           clock_timestamp() + (a.ord - 1) * interval '1 microsecond', v_expires, p_session
    FROM unnest(p_actions, v_payloads) WITH ORDINALITY AS a(action, payload, ord);
    RETURN cardinality(p_actions);
END
$$;

-- The broker acknowledged these commands: sessions whose sleep signal is among them end now.
-- Returns how many ended.
CREATE FUNCTION devicewake._sleep_signals_sent(p_command_ids uuid[]) RETURNS integer
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
    SELECT coalesce(devicewake._close_wake_sessions(array_agg(c.session_id), true), 0)
    FROM devicewake.device_commands c
    WHERE c.command_id = ANY (p_command_ids) AND c.command_type = 'sleep' AND c.session_id IS NOT NULL
$$;

REVOKE ALL ON FUNCTION devicewake._conversation_state(text, text),
    devicewake._conversation_step(text, uuid, text, integer, text[], text[], integer, boolean, text,
                                  text[], text[]),
    devicewake._sleep_signals_sent(uuid[]) FROM PUBLIC;
