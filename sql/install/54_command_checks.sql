-- What an application may queue through the fleet functions (issue 16: the commands that ride on
-- a manual wake, and a campaign's command), checked before anything is changed. The payload rule
-- is the publisher's own (C++ core::BuildCommandBody through _check_command_payload), so nothing
-- accepted here fails at publish time for its shape. Runs after 50_security.sql: REVOKEs here.

CREATE FUNCTION devicewake._check_command_payload(p_command_type text, p_command_payload text)
    RETURNS void
    LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'devicewake_check_command_payload';

-- The command types an application sends to a device (not set_wake_schedule, which is the wake
-- itself, nor the wake conversation's own messages).
CREATE FUNCTION devicewake._application_command_types() RETURNS text[]
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS
$$ SELECT ARRAY['capture_image', 'send_image', 'retry_image', 'update_config', 'reboot',
                'update_firmware', 'ping'] $$;

-- Raises unless (p_command_type, p_command_payload) is a command an application may queue:
-- 22004 for a NULL type, 22023 for a type not in _application_command_types(), a payload that is
-- not a JSON object, or one the type cannot carry (the publisher's reason in the message).
-- p_what names the command in messages ("then[2]", "campaign command").
CREATE FUNCTION devicewake._check_command(p_command_type text, p_command_payload jsonb, p_what text)
    RETURNS void
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF p_command_type IS NULL THEN
        RAISE EXCEPTION '% command_type must not be null', p_what USING ERRCODE = '22004';
    END IF;
    IF NOT p_command_type = ANY (devicewake._application_command_types()) THEN
        RAISE EXCEPTION '% command_type "%" cannot be sent by an application', p_what,
                        pg_catalog.left(p_command_type, 64)
            USING ERRCODE = '22023',
                  HINT = 'Use one of ' || pg_catalog.array_to_string(devicewake._application_command_types(), ', ') || '.';
    END IF;
    IF p_command_payload IS NOT NULL AND pg_catalog.jsonb_typeof(p_command_payload) <> 'object' THEN
        RAISE EXCEPTION '% command_payload must be a JSON object', p_what USING ERRCODE = '22023';
    END IF;
    PERFORM devicewake._check_command_payload(p_command_type,
                                              coalesce(p_command_payload, '{}'::jsonb)::text);
END
$$;

-- The commands that ride on a manual wake (p_then of request_manual_wake): NULL or a JSON array
-- of at most 10 objects {"command_type": …, "command_payload": {…}, "priority": 1..10}, the last
-- two optional. Returns them normalised (payload {} and priority 5 filled in). Raises 22023 for
-- anything else, naming the element (then[N], 1-based), and what _check_command raises.
CREATE FUNCTION devicewake._check_then_commands(p_then jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_item jsonb;
    v_n integer := 0;
    v_what text;
    v_out jsonb := '[]'::jsonb;
    v_priority jsonb;
BEGIN
    IF p_then IS NULL OR p_then = 'null'::jsonb THEN
        RETURN '[]'::jsonb;
    END IF;
    IF pg_catalog.jsonb_typeof(p_then) <> 'array' THEN
        RAISE EXCEPTION 'then must be a JSON array of commands'
            USING ERRCODE = '22023', HINT = 'For example [{"command_type": "capture_image"}].';
    END IF;
    IF pg_catalog.jsonb_array_length(p_then) > 10 THEN
        RAISE EXCEPTION 'then may hold at most 10 commands'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('It holds %s.', pg_catalog.jsonb_array_length(p_then));
    END IF;
    FOR v_item IN SELECT e FROM pg_catalog.jsonb_array_elements(p_then) e LOOP
        v_n := v_n + 1;
        v_what := 'then[' || v_n || ']';
        IF pg_catalog.jsonb_typeof(v_item) <> 'object' THEN
            RAISE EXCEPTION '% must be a JSON object', v_what USING ERRCODE = '22023';
        END IF;
        IF EXISTS (SELECT FROM pg_catalog.jsonb_object_keys(v_item) k
                   WHERE k NOT IN ('command_type', 'command_payload', 'priority')) THEN
            RAISE EXCEPTION '% has a key other than command_type, command_payload, priority', v_what
                USING ERRCODE = '22023';
        END IF;
        IF pg_catalog.jsonb_typeof(v_item -> 'command_type') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION '% command_type must be a string', v_what USING ERRCODE = '22023';
        END IF;
        v_priority := coalesce(v_item -> 'priority', '5'::jsonb);
        IF (CASE WHEN pg_catalog.jsonb_typeof(v_priority) = 'number'
                 THEN v_priority::text !~ '^([1-9]|10)$' ELSE true END) THEN
            RAISE EXCEPTION '% priority must be an integer from 1 to 10', v_what USING ERRCODE = '22023';
        END IF;
        PERFORM devicewake._check_command(v_item ->> 'command_type', v_item -> 'command_payload', v_what);
        v_out := v_out || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'command_type', v_item ->> 'command_type',
            'command_payload', coalesce(v_item -> 'command_payload', '{}'::jsonb),
            'priority', v_priority));
    END LOOP;
    RETURN v_out;
END
$$;

REVOKE ALL ON FUNCTION devicewake._check_command_payload(text, text),
    devicewake._application_command_types(), devicewake._check_command(text, jsonb, text),
    devicewake._check_then_commands(jsonb) FROM PUBLIC;
