-- pg_devicewake 1.0 as released (assembled from sql/install/*.sql at commit 211eaf7).
-- Frozen: never edit. Changes go into sql/install/ and the next upgrade script.
\echo Use "CREATE EXTENSION pg_devicewake" to load this file. \quit

-- ===== sql/install/00_schema_and_roles.sql
-- Schema devicewake is created by CREATE EXTENSION (control file: schema = devicewake).
-- The three roles of DESIGN §9 (and the devicewake_jwt marker) are cluster-wide: created once, kept across DROP/CREATE EXTENSION.

CREATE FUNCTION devicewake._assert_preloaded() RETURNS void
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'devicewake_assert_preloaded';
SELECT devicewake._assert_preloaded();

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devicewake_viewer') THEN
        CREATE ROLE devicewake_viewer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devicewake_operator') THEN
        CREATE ROLE devicewake_operator NOLOGIN IN ROLE devicewake_viewer;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devicewake_admin') THEN
        CREATE ROLE devicewake_admin NOLOGIN IN ROLE devicewake_operator;
    END IF;
    -- Marker role: only roles granted it carry the caller's identity in request.jwt.claims
    -- (PostgREST/Supabase 'authenticated'). Every other role is identified by its own name, so
    -- a user who can SET request.jwt.claims cannot make itself someone else (docs/security.md).
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devicewake_jwt') THEN
        CREATE ROLE devicewake_jwt NOLOGIN;
    END IF;
END
$roles$;

REVOKE ALL ON SCHEMA devicewake FROM PUBLIC;
GRANT USAGE ON SCHEMA devicewake TO devicewake_viewer;

-- ===== sql/install/10_identifiers.sql
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

-- ===== sql/install/15_cron.sql
-- The cron engine (DESIGN §3): next wake time of a schedule in a time zone, a preview of the next
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
    'earliest instant after p_last_wake_at whose wall-clock minute in p_timezone matches p_cron_expression (DESIGN §3)';

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

-- ===== sql/install/20_tables.sql
-- The data model of DESIGN §2. Every table is keyed and joined by device_id (DESIGN §10).
-- Status vocabularies are CHECK constraints; indexes serve the sweep and the dispatcher.

CREATE TABLE devicewake.companies (
    company_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- People and services that act on devices. Identity (DESIGN §9): the JWT subject when present,
-- otherwise the row whose role_name is the database role.
CREATE TABLE devicewake.users (
    user_id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role_name     name UNIQUE,
    display_name  text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devicewake.company_members (
    company_id  uuid NOT NULL REFERENCES devicewake.companies ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES devicewake.users ON DELETE CASCADE,
    PRIMARY KEY (company_id, user_id)
);
CREATE INDEX company_members_user_idx ON devicewake.company_members (user_id);

CREATE TABLE devicewake.sites (
    site_id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    timezone            devicewake.time_zone_name NOT NULL DEFAULT 'UTC',
    wake_schedule_cron  devicewake.cron_schedule,
    company_id          uuid REFERENCES devicewake.companies ON DELETE RESTRICT,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sites_company_idx ON devicewake.sites (company_id);

CREATE TABLE devicewake.devices (
    device_id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_mac                text NOT NULL UNIQUE
                              CHECK (device_mac = devicewake.normalize_mac(device_mac)),
    device_name               text CHECK (length(device_name) <= 200),
    site_id                   uuid REFERENCES devicewake.sites ON DELETE SET NULL,
    wake_schedule_cron        devicewake.cron_schedule,
    timezone                  devicewake.time_zone_name,
    last_wake_at              timestamptz,
    next_wake_at              timestamptz,
    last_seen_at              timestamptz,
    manual_wake_override      boolean NOT NULL DEFAULT false,
    manual_wake_requested_by  uuid,
    manual_wake_requested_at  timestamptz,
    -- the manual wake still ahead (cleared by the HELLO of that wake, not by a relay wake)
    manual_wake_at            timestamptz,
    -- the wake the device was last told is a relay (docs/design.md §8.1): its HELLO is only
    -- told the next wake
    relay_wake                boolean NOT NULL DEFAULT false,
    -- the topic prefix the device last used (one of devicewake.topic_prefix); replies go there
    topic_prefix              text CHECK (length(topic_prefix) <= 128),
    -- what varies between firmware versions (NULL: the devicewake.* setting of the same name)
    backlog_mode              text CHECK (backlog_mode IN ('send_all_pending', 'send_image')),
    captures_per_wake         integer CHECK (captures_per_wake BETWEEN 0 AND 10),
    capture_enabled           boolean NOT NULL DEFAULT true,
    is_active                 boolean NOT NULL DEFAULT true,
    firmware_version          text CHECK (length(firmware_version) <= 64),
    hardware_version          text CHECK (length(hardware_version) <= 64),
    battery_voltage           numeric(6,3),
    wifi_rssi                 integer,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_site_idx ON devicewake.devices (site_id);
CREATE INDEX devices_next_wake_idx ON devicewake.devices (next_wake_at);

CREATE TABLE devicewake.device_wake_sessions (
    session_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id       uuid NOT NULL REFERENCES devicewake.devices ON DELETE CASCADE,
    started_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz,
    status          text NOT NULL DEFAULT 'in_progress'
                    CHECK (status IN ('in_progress', 'completed', 'timeout', 'error')),
    chunks_sent     integer NOT NULL DEFAULT 0 CHECK (chunks_sent >= 0),
    chunks_total    integer NOT NULL DEFAULT 0 CHECK (chunks_total >= 0),
    chunks_missing  integer[] NOT NULL DEFAULT '{}',
    telemetry_data  jsonb NOT NULL DEFAULT '{}',
    error_codes     text[] NOT NULL DEFAULT '{}',
    -- the wake conversation (src/pg/README.md): HELLOs heard in this wake, and what the server
    -- has asked for so far (phase NULL until the first step was decided)
    hello_count       integer NOT NULL DEFAULT 1 CHECK (hello_count >= 1),
    phase             text CHECK (phase IN ('backlog', 'capture', 'done')),
    relay             boolean NOT NULL DEFAULT false,
    backlog_left      integer NOT NULL DEFAULT 0 CHECK (backlog_left >= 0),
    backlog_names     text[] NOT NULL DEFAULT '{}',
    asked_images      text[] NOT NULL DEFAULT '{}',
    captures_asked    integer NOT NULL DEFAULT 0 CHECK (captures_asked >= 0),
    awaiting_capture  boolean NOT NULL DEFAULT false,
    current_image     text,
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    CHECK ((status = 'in_progress') = (ended_at IS NULL))
);
-- at most one open wake session per device
CREATE UNIQUE INDEX device_wake_sessions_open_idx
    ON devicewake.device_wake_sessions (device_id) WHERE status = 'in_progress';
CREATE INDEX device_wake_sessions_device_idx
    ON devicewake.device_wake_sessions (device_id, started_at DESC);

CREATE TABLE devicewake.device_images (
    image_id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id        uuid NOT NULL REFERENCES devicewake.devices ON DELETE CASCADE,
    session_id       uuid REFERENCES devicewake.device_wake_sessions ON DELETE SET NULL,
    image_name       text NOT NULL CHECK (length(image_name) BETWEEN 1 AND 200),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'receiving', 'complete', 'failed')),
    total_chunks     integer CHECK (total_chunks BETWEEN 1 AND 65536),
    received_chunks  integer NOT NULL DEFAULT 0 CHECK (received_chunks >= 0),
    image_size       integer CHECK (image_size BETWEEN 0 AND 67108864),
    captured_at      timestamptz,
    retry_count      integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries      integer NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
    failed_at        timestamptz,
    timeout_reason   text,
    completed_at     timestamptz,
    last_chunk_at    timestamptz,
    last_resend_at   timestamptz,
    resend_requests  integer NOT NULL DEFAULT 0 CHECK (resend_requests >= 0),
    metadata         jsonb NOT NULL DEFAULT '{}',
    image_data       bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (device_id, image_name),
    CHECK (total_chunks IS NULL OR received_chunks <= total_chunks),
    CHECK (status <> 'complete' OR image_data IS NOT NULL)
);
-- the sweep reads only uploads in flight
CREATE INDEX device_images_receiving_idx
    ON devicewake.device_images (device_id) WHERE status = 'receiving';
CREATE INDEX device_images_failed_idx
    ON devicewake.device_images (device_id) WHERE status = 'failed';

-- Chunk bytes as received, per (image, chunk index counted from 0). Duplicates are idempotent.
CREATE TABLE devicewake.image_chunks (
    image_id     uuid NOT NULL REFERENCES devicewake.device_images ON DELETE CASCADE,
    chunk_index  integer NOT NULL CHECK (chunk_index >= 0),
    data         bytea NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (image_id, chunk_index)
);

CREATE TABLE devicewake.device_commands (
    command_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id           uuid NOT NULL REFERENCES devicewake.devices ON DELETE CASCADE,
    command_type        text NOT NULL CHECK (command_type IN (
                            'set_wake_schedule', 'capture_image', 'send_image', 'retry_image',
                            'resend_chunks', 'update_config', 'reboot', 'update_firmware', 'ping',
                            -- the wake conversation's own messages (docs/protocol.md)
                            'send_all_pending', 'ack_ok', 'sleep')),
    command_payload     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(command_payload) = 'object'),
    priority            integer NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN (
                            'pending', 'sent', 'acknowledged', 'failed', 'expired', 'cancelled')),
    scheduled_for       timestamptz,
    issued_at           timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    delivered_at        timestamptz,
    acknowledged_at     timestamptz,
    retry_count         integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries         integer NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
    error_message       text,
    created_by_user_id  uuid,
    -- dispatcher bookkeeping: a claim is taken in the database before publishing (DESIGN §6)
    -- (meaningful only while pending; un-PUBACKed claims return to pending at worker start)
    claimed_at          timestamptz,
    publish_count       integer NOT NULL DEFAULT 0 CHECK (publish_count >= 0),
    -- the wake session whose conversation queued it (NULL: an application's command); such a
    -- command goes out after the device's due application commands and dies with the session
    session_id          uuid
);
-- what the dispatcher claims: unclaimed pending commands in priority order, then due time
-- (claimed rows leave the index, so a drain never rescans what is already in flight)
CREATE INDEX device_commands_dispatch_idx
    ON devicewake.device_commands (priority DESC, (coalesce(scheduled_for, issued_at)))
    WHERE status = 'pending' AND claimed_at IS NULL;
CREATE INDEX device_commands_device_idx
    ON devicewake.device_commands (device_id, status);
CREATE INDEX device_commands_session_idx
    ON devicewake.device_commands (session_id) WHERE status = 'pending' AND session_id IS NOT NULL;
CREATE INDEX device_commands_open_expiry_idx
    ON devicewake.device_commands (expires_at) WHERE status IN ('pending', 'sent');

CREATE TABLE devicewake.device_alerts (
    alert_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id    uuid NOT NULL REFERENCES devicewake.devices ON DELETE CASCADE,
    image_id     uuid REFERENCES devicewake.device_images ON DELETE CASCADE,
    alert_type   text NOT NULL,
    severity     text NOT NULL CHECK (severity IN ('info', 'warning', 'error', 'critical')),
    message      text NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}',
    -- the image's retry_count after the failure this alert reports (NULL for other alerts)
    attempt      integer,
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE INDEX device_alerts_device_idx ON devicewake.device_alerts (device_id, created_at DESC);
-- one open alert per image, type and attempt: overlapping sweeps cannot raise it twice
CREATE UNIQUE INDEX device_alerts_image_attempt_idx
    ON devicewake.device_alerts (image_id, alert_type, attempt) WHERE resolved_at IS NULL;
CREATE INDEX device_alerts_open_idx ON devicewake.device_alerts (image_id) WHERE resolved_at IS NULL;

-- Append-only event log.
CREATE TABLE devicewake.device_history (
    history_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id   uuid NOT NULL REFERENCES devicewake.devices ON DELETE CASCADE,
    session_id  uuid,
    event_type  text NOT NULL,
    event_data  jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_history_device_idx ON devicewake.device_history (device_id, created_at DESC);

-- Inbound MQTT messages that could not be applied: kept, never dropped silently.
CREATE TABLE devicewake.rejected_messages (
    rejected_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic        text NOT NULL,
    payload      bytea NOT NULL,
    reason       text NOT NULL,
    device_mac   text,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_messages_received_idx ON devicewake.rejected_messages (received_at DESC);

-- ===== sql/install/22_identity.sql
-- Caller identity and device access (DESIGN §9). Every function that acts on a device calls
-- devicewake.require_device_access(device_id) first; identities are never taken from parameters.

-- The database role acting: SET ROLE (PostgREST switches role per request) survives SECURITY
-- DEFINER, which changes current_user but not the role setting; otherwise the login role.
CREATE FUNCTION devicewake.caller_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS
$$
    SELECT coalesce(nullif(current_setting('role'), 'none'), session_user)::name
$$;

-- The caller's user id. For a role granted devicewake_jwt (the role PostgREST/Supabase switch to
-- for signed-in requests) it is the JWT subject, request.jwt.claims ->> 'sub', when present;
-- for every other role, and when no subject is set, it is the devicewake.users row mapped to the
-- caller's role. Any session may SET request.jwt.claims, so the claims are believed only from
-- roles whose sessions only a trusted authenticator can reach. NULL when there is no identity.
-- Raises 28000 for a claims setting that is not JSON or a subject that is not a UUID.
CREATE FUNCTION devicewake.current_user_id() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_role name := devicewake.caller_role();
    v_claims text;
    v_sub text;
BEGIN
    IF pg_catalog.pg_has_role(v_role, 'devicewake_jwt', 'MEMBER') THEN
        v_claims := nullif(current_setting('request.jwt.claims', true), '');
        IF v_claims IS NOT NULL THEN
            BEGIN
                v_sub := v_claims::jsonb ->> 'sub';
            EXCEPTION WHEN invalid_text_representation THEN
                RAISE EXCEPTION 'request.jwt.claims is not valid JSON' USING ERRCODE = '28000';
            END;
        END IF;
        IF v_sub IS NOT NULL THEN
            IF v_sub !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
                RAISE EXCEPTION 'JWT subject is not a user id'
                    USING ERRCODE = '28000', DETAIL = 'The "sub" claim must be a UUID.';
            END IF;
            RETURN v_sub::uuid;
        END IF;
    END IF;
    RETURN (SELECT u.user_id FROM devicewake.users u WHERE u.role_name = v_role);
END
$$;

-- True when the caller sees every device: superusers and members of devicewake_admin. Never NULL
-- (a NULL here would read as "not denied" in IF NOT ... checks).
CREATE FUNCTION devicewake.caller_is_fleet_admin() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT coalesce((SELECT r.rolsuper OR pg_has_role(r.oid, 'devicewake_admin', 'MEMBER')
                     FROM pg_roles r WHERE r.rolname = devicewake.caller_role()), false)
$$;

-- The companies the caller belongs to.
CREATE FUNCTION devicewake.caller_company_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT m.company_id FROM devicewake.company_members m
    WHERE m.user_id = devicewake.current_user_id()
$$;

-- The sites and devices of the caller's companies (not the fleet admin's "everything": RLS
-- policies test caller_is_fleet_admin() separately, once per query).
CREATE FUNCTION devicewake.caller_site_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT s.site_id FROM devicewake.sites s
    WHERE s.company_id IN (SELECT devicewake.caller_company_ids())
$$;

CREATE FUNCTION devicewake.caller_device_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT d.device_id FROM devicewake.devices d
    WHERE d.site_id IN (SELECT devicewake.caller_site_ids())
$$;

-- True when the caller may see and act on the device: fleet admins always; others when the
-- device's site belongs to one of their companies (an unassigned device: admins only). Never NULL.
CREATE FUNCTION devicewake.can_access_device(p_device_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT devicewake.caller_is_fleet_admin()
        OR coalesce(p_device_id IN (SELECT devicewake.caller_device_ids()), false)
$$;

-- Raises unless the device exists and the caller may act on it. A device the caller may not see
-- is reported exactly like a missing one, so ids of other companies' devices leak nothing.
CREATE FUNCTION devicewake.require_device_access(p_device_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF p_device_id IS NULL THEN
        RAISE EXCEPTION 'device id must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_id = p_device_id)
       OR devicewake.can_access_device(p_device_id) IS NOT TRUE THEN
        RAISE EXCEPTION 'device % does not exist', p_device_id USING ERRCODE = 'P0002';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION devicewake.current_user_id(), devicewake.caller_is_fleet_admin(),
    devicewake.caller_company_ids(), devicewake.caller_site_ids(), devicewake.caller_device_ids(),
    devicewake.can_access_device(uuid), devicewake.require_device_access(uuid),
    devicewake.caller_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.current_user_id(), devicewake.caller_is_fleet_admin(),
    devicewake.caller_company_ids(), devicewake.caller_site_ids(), devicewake.caller_device_ids(),
    devicewake.can_access_device(uuid), devicewake.require_device_access(uuid),
    devicewake.caller_role() TO devicewake_viewer;

-- ===== sql/install/25_row_triggers.sql
-- Row triggers that keep stored values canonical: device identifiers normalised on the way in,
-- updated_at maintained.

CREATE FUNCTION devicewake._devices_before_write() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS
$$
BEGIN
    NEW.device_mac := devicewake.normalize_mac(NEW.device_mac);
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER devices_before_write BEFORE INSERT OR UPDATE ON devicewake.devices
    FOR EACH ROW EXECUTE FUNCTION devicewake._devices_before_write();

CREATE FUNCTION devicewake._touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS
$$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER sites_touch BEFORE UPDATE ON devicewake.sites
    FOR EACH ROW EXECUTE FUNCTION devicewake._touch_updated_at();
CREATE TRIGGER device_images_touch BEFORE UPDATE ON devicewake.device_images
    FOR EACH ROW EXECUTE FUNCTION devicewake._touch_updated_at();

-- ===== sql/install/30_command_queue.sql
-- The command queue's wake-up path (DESIGN §6, §7): enqueueing a command (an insert, or any
-- update that leaves it pending and unclaimed) notifies devicewake_commands in the same
-- transaction, so the worker wakes at commit. Applications may LISTEN on the channel too.

CREATE FUNCTION devicewake._notify_command_queue() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    PERFORM pg_notify('devicewake_commands', '');
    RETURN NULL;
END
$$;

-- Inserts: one notification per statement that inserted a pending command (a sweep queuing
-- 30,000 retries notifies once, not 30,000 times).
CREATE FUNCTION devicewake._notify_commands_inserted() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF EXISTS (SELECT FROM inserted WHERE status = 'pending') THEN
        PERFORM pg_notify('devicewake_commands', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER device_commands_inserted
    AFTER INSERT ON devicewake.device_commands
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION devicewake._notify_commands_inserted();

-- Any update that leaves a command pending and unclaimed: made pending again, due time moved,
-- or just touched (priority, payload, expiry) while the worker's claim skipped the locked row.
-- The worker's own updates (claim, release, sent, failed attempt) all have a claim on one side,
-- so the WHEN clause, checked without calling the function, keeps them quiet.
CREATE TRIGGER device_commands_enqueued
    AFTER UPDATE ON devicewake.device_commands
    FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.claimed_at IS NULL AND OLD.claimed_at IS NULL)
    EXECUTE FUNCTION devicewake._notify_command_queue();

-- the worker's timer: earliest future scheduled_for and earliest expires_at of a pending command
-- (pending rows only, so the timer's cost does not grow with delivered history)
CREATE INDEX device_commands_scheduled_idx
    ON devicewake.device_commands (scheduled_for) WHERE status = 'pending';
CREATE INDEX device_commands_pending_expiry_idx
    ON devicewake.device_commands (expires_at) WHERE status = 'pending';

CREATE FUNCTION devicewake.worker_status(
    OUT pid integer, OUT connected boolean, OUT broker text, OUT since timestamptz,
    OUT published bigint, OUT delivered bigint, OUT acknowledged bigint, OUT failed bigint,
    OUT expired bigint, OUT republished bigint, OUT ingested bigint, OUT rejected bigint,
    OUT last_error text, OUT last_error_at timestamptz)
    LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'devicewake_worker_status';
COMMENT ON FUNCTION devicewake.worker_status() IS
    'the MQTT worker from shared memory: connection, broker, counters since start, last error';
-- Admins only: last_error may name superuser-only settings (the password file's path) and the
-- counters are fleet-wide, across companies.
REVOKE ALL ON FUNCTION devicewake.worker_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.worker_status() TO devicewake_admin;

-- What any viewer may know of the worker: whether it is connected, since when, and whether it
-- has reported an error (not which: see worker_status() as an admin).
CREATE FUNCTION devicewake.worker_health(OUT connected boolean, OUT since timestamptz,
                                         OUT has_error boolean, OUT last_error_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT w.connected, w.since, w.last_error IS NOT NULL, w.last_error_at
    FROM devicewake.worker_status() w
$$;
COMMENT ON FUNCTION devicewake.worker_health() IS
    'the MQTT worker for viewers: connected, since, whether an error was reported (no text, no counters)';
REVOKE ALL ON FUNCTION devicewake.worker_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.worker_health() TO devicewake_viewer;

-- ===== sql/install/32_wake_plan.sql
-- When a device wakes next, and what it is told (docs/design.md §8.1). A camera is told a time of
-- day (UTC) without a date and sleeps until its next occurrence, so a wake more than 24 h away
-- cannot be said directly: the device is then told a relay wake no later than 24 h ahead, whose
-- HELLO is only told the next wake. One owner for the rule: HELLO, the sleep signal, manual
-- wakes, set_wake_schedule and the sweep's retries all ask these functions.

-- devicewake.default_wake_schedule: what a device without a schedule of its own or its site's
-- sleeps on (UTC).
CREATE FUNCTION devicewake._default_wake_schedule() RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS
$$ SELECT coalesce(nullif(current_setting('devicewake.default_wake_schedule', true), ''), '0 */3 * * *') $$;

-- The device's next wake as of p_from: the earliest of its schedule's next slot (device's, else
-- its site's schedule in the device's or site's time zone, else default_wake_schedule in UTC)
-- and a manual wake still ahead; when that is more than 24 h away, a relay wake 23 h ahead
-- (relay = true) instead. NULL for an unknown device.
CREATE FUNCTION devicewake._wake_plan(p_device_id uuid, p_from timestamptz,
                                      OUT wake_at timestamptz, OUT relay boolean)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_slot timestamptz;
    v_manual timestamptz;
    v_target timestamptz;
BEGIN
    SELECT devicewake.fn_calculate_next_wake_time(
               p_from,
               coalesce(d.wake_schedule_cron, s.wake_schedule_cron, devicewake._default_wake_schedule()),
               CASE WHEN coalesce(d.wake_schedule_cron, s.wake_schedule_cron) IS NULL THEN 'UTC'
                    ELSE coalesce(d.timezone, s.timezone, 'UTC') END),
           CASE WHEN d.manual_wake_override AND d.manual_wake_at > p_from THEN d.manual_wake_at END
    INTO v_slot, v_manual
    FROM devicewake.devices d LEFT JOIN devicewake.sites s ON s.site_id = d.site_id
    WHERE d.device_id = p_device_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
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
-- when more than 24 h away. Called by the worker's claim; never raises (a payload that cannot be
-- read is returned as it is, and the publish fails it with the reason).
CREATE FUNCTION devicewake._command_payload(p_device_id uuid, p_type text, p_payload jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_at timestamptz;
    v_plan record;
BEGIN
    IF p_type <> 'set_wake_schedule' THEN
        RETURN p_payload;
    END IF;
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

REVOKE ALL ON FUNCTION devicewake._default_wake_schedule(), devicewake._wake_plan(uuid, timestamptz),
    devicewake._wake_target(uuid), devicewake._command_payload(uuid, text, jsonb) FROM PUBLIC;

-- ===== sql/install/33_device_registry.sql
-- Auto-registration of devices heard over MQTT (DESIGN §9): an unknown, valid identifier becomes
-- an unassigned device (no site), with one 'device_registered' history event, even when two
-- messages of the same new device arrive at once.

-- The device id for a normalised identifier, registering it when unknown. p_given is the spelling
-- the device used, p_source what was heard ('hello', 'metadata', ...). Internal: the worker and
-- record_device_hello call it.
CREATE FUNCTION devicewake._register_device(p_mac text, p_given text, p_source text) RETURNS uuid
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid;
BEGIN
    SELECT d.device_id INTO v_device FROM devicewake.devices d WHERE d.device_mac = p_mac;
    IF FOUND THEN
        RETURN v_device;
    END IF;
    -- two first messages at once: one inserts and records the registration, the other waits for
    -- it on the unique index and then finds the row
    INSERT INTO devicewake.devices (device_mac) VALUES (p_mac) ON CONFLICT (device_mac) DO NOTHING
    RETURNING device_id INTO v_device;
    IF FOUND THEN
        INSERT INTO devicewake.device_history (device_id, event_type, event_data)
        VALUES (v_device, 'device_registered',
                jsonb_build_object('device_mac', p_mac, 'given_as', p_given, 'source', p_source));
        RETURN v_device;
    END IF;
    SELECT d.device_id INTO v_device FROM devicewake.devices d WHERE d.device_mac = p_mac;
    RETURN v_device;
END
$$;

-- ===== sql/install/34_wake_sessions.sql
-- Wake sessions (docs/design.md §2, §8.1): one row per wake, from the HELLO to the camera's
-- sleep. A wake ends when the broker acknowledged the sleep signal the server sent it, or once
-- the device has said nothing for devicewake.session_idle_timeout (the worker checks every
-- second), or at the device's next HELLO after that.
-- A session ends at the device's last message: 'timeout' when an upload of it did not finish
-- (an image still arriving, which timeout_stale_images takes from there at the next wake time,
-- or already failed), 'completed' otherwise. Internal functions: run by the worker and by
-- record_device_hello.

-- The moment a session's device last spoke during it: its last message, or the session's start.
-- An SQL-standard body: bound when the extension is created (no caller's search_path reaches it),
-- and without a SET clause the planner still inlines it.
CREATE FUNCTION devicewake._session_last_heard(p_started_at timestamptz, p_last_seen_at timestamptz)
    RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN greatest(p_started_at, coalesce(p_last_seen_at, p_started_at));

-- devicewake.session_idle_timeout as an interval (2 minutes when the setting is not defined).
CREATE FUNCTION devicewake._session_idle_timeout() RETURNS interval
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS
$$ SELECT coalesce(nullif(current_setting('devicewake.session_idle_timeout', true), ''), '2min')::interval $$;

-- Ends the open sessions p_session_ids: at the sleep signal (p_told_to_sleep, now()) or at the
-- device's last message. Commands the session's conversation queued and never sent die with it
-- (told later, a camera would act on a wake that is over). Returns how many ended.
CREATE FUNCTION devicewake._close_wake_sessions(p_session_ids uuid[], p_told_to_sleep boolean)
    RETURNS integer
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
    WITH ended AS (
        UPDATE devicewake.device_wake_sessions s
        SET status = CASE WHEN EXISTS (SELECT FROM devicewake.device_images i
                                       WHERE i.session_id = s.session_id
                                         AND i.status IN ('receiving', 'failed'))
                          THEN 'timeout' ELSE 'completed' END,
            ended_at = CASE WHEN p_told_to_sleep THEN greatest(s.started_at, now())
                            ELSE devicewake._session_last_heard(s.started_at, d.last_seen_at) END
        FROM devicewake.devices d
        WHERE d.device_id = s.device_id AND s.session_id = ANY (p_session_ids)
          AND s.status = 'in_progress'
        RETURNING s.session_id),
    dropped AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled', error_message = 'the wake session ended before it was sent'
        FROM ended
        WHERE c.session_id = ended.session_id AND c.status = 'pending' AND c.claimed_at IS NULL)
    SELECT count(*)::integer FROM ended
$$;

-- Ends the open sessions of the devices p_device_ids. Returns how many ended.
CREATE FUNCTION devicewake._end_wake_sessions(p_device_ids uuid[]) RETURNS integer
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
    SELECT devicewake._close_wake_sessions(array_agg(s.session_id), false)
    FROM devicewake.device_wake_sessions s
    WHERE s.device_id = ANY (p_device_ids) AND s.status = 'in_progress'
$$;

-- Ends the open sessions of the devices silent for longer than p_idle: those cameras are asleep.
-- Returns how many ended.
CREATE FUNCTION devicewake._end_idle_wake_sessions(p_idle interval) RETURNS integer
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
    SELECT devicewake._close_wake_sessions(array_agg(s.session_id), false)
    FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id)
    WHERE s.status = 'in_progress'
      AND devicewake._session_last_heard(s.started_at, d.last_seen_at) < now() - p_idle
$$;

-- ===== sql/install/35_manual_wake.sql
-- Manual wakes and the command state changes a user may ask for (DESIGN §4, §6, §9):
-- request_manual_wake (two overloads), acknowledge_command, cancel_command. Each checks the
-- caller's access to the device first and takes the requester from devicewake.current_user_id().

-- Asks the device to wake at p_wake_at: one transaction records the manual wake and override
-- (requester = the caller's identity, never a parameter), sets next_wake_at to the wake the
-- camera is told (the manual wake; when it is more than 24 h away, a regular or relay wake before
-- it, devicewake._wake_plan), cancels older set_wake_schedule commands not yet published (one already
-- published cannot be taken back: this one, sent after it, is what the camera keeps), and queues
-- a set_wake_schedule command with payload {"next_wake_time": ISO-8601 UTC, "manual_wake": true}
-- (told as a relay while more than 24 h away). Returns its command id.
-- Raises 22004 (NULL argument), 22023 (time not in the future or too far ahead), P0002 (unknown
-- device or one the caller may not access), 55000 (inactive device); nothing is changed then.
CREATE FUNCTION devicewake.request_manual_wake(p_device_id uuid, p_wake_at timestamptz)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_user uuid := devicewake.current_user_id();
    v_command_id uuid := pg_catalog.gen_random_uuid();
    v_active boolean;
    v_superseded integer;
BEGIN
    IF p_wake_at IS NULL THEN
        RAISE EXCEPTION 'wake time must not be null' USING ERRCODE = '22004';
    END IF;
    PERFORM devicewake.require_device_access(p_device_id);
    IF p_wake_at <= pg_catalog.now() THEN
        RAISE EXCEPTION 'wake time must be in the future'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('Asked for %s at %s.', p_wake_at, pg_catalog.now()),
                  HINT = 'Ask for a time after now(), or use the interval form.';
    END IF;
    -- further ahead than this is a typo, not a wake
    IF p_wake_at > pg_catalog.now() + interval '30 days' THEN
        RAISE EXCEPTION 'wake time must be at most 30 days ahead'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('Asked for %s at %s.', p_wake_at, pg_catalog.now());
    END IF;

    -- the row lock orders concurrent requests for one device: the last to commit wins
    SELECT d.is_active INTO v_active FROM devicewake.devices d
    WHERE d.device_id = p_device_id FOR UPDATE;
    IF NOT v_active THEN
        RAISE EXCEPTION 'device % is inactive', p_device_id
            USING ERRCODE = '55000', HINT = 'Reactivate the device before waking it.';
    END IF;

    UPDATE devicewake.devices d
    SET manual_wake_at = p_wake_at,
        manual_wake_override = true,
        manual_wake_requested_by = v_user,
        manual_wake_requested_at = pg_catalog.now()
    WHERE d.device_id = p_device_id;
    -- what the set_wake_schedule below tells the camera (devicewake._command_payload)
    UPDATE devicewake.devices d
    SET next_wake_at = CASE WHEN p_wake_at <= pg_catalog.now() + interval '24 hours' THEN p_wake_at
                            ELSE (SELECT p.wake_at FROM devicewake._wake_plan(p_device_id, pg_catalog.now()) p)
                       END
    WHERE d.device_id = p_device_id;

    -- only what was not published yet: a claimed command may already be at the broker
    UPDATE devicewake.device_commands c
    SET status = 'cancelled',
        error_message = 'superseded by manual wake request ' || v_command_id::text
    WHERE c.device_id = p_device_id AND c.command_type = 'set_wake_schedule'
      AND c.status = 'pending' AND c.claimed_at IS NULL;
    GET DIAGNOSTICS v_superseded = ROW_COUNT;

    -- expires at the wake time: delivered later it would ask for a wake that is already past
    INSERT INTO devicewake.device_commands
        (command_id, device_id, command_type, command_payload, priority, expires_at,
         created_by_user_id)
    VALUES (v_command_id, p_device_id, 'set_wake_schedule',
            pg_catalog.jsonb_build_object(
                'next_wake_time',
                pg_catalog.to_char(p_wake_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                'manual_wake', true),
            9, p_wake_at, v_user);

    INSERT INTO devicewake.device_history (device_id, event_type, event_data)
    VALUES (p_device_id, 'manual_wake_requested',
            pg_catalog.jsonb_build_object('command_id', v_command_id, 'wake_at', p_wake_at,
                                          'requested_by', v_user,
                                          'requested_role', devicewake.caller_role(),
                                          'superseded_commands', v_superseded));
    RETURN v_command_id;
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
    -- access is checked before locking: nobody may lock another company's rows
    SELECT c.device_id INTO device_id
    FROM devicewake.device_commands c WHERE c.command_id = p_command_id;
    IF NOT FOUND OR devicewake.can_access_device(device_id) IS NOT TRUE THEN
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

-- ===== sql/install/36_device_hello.sql
-- A device's HELLO (docs/design.md §4, §8.1): what the worker calls when {prefix}/{MAC}/status
-- arrives, callable from SQL too. It registers unknown devices, stores telemetry, ends the
-- manual-wake override when this is the wake it asked for, plans the next wake (32_wake_plan.sql),
-- rolls the wake session and wakes the dispatcher. A HELLO inside a wake that is still going on
-- (the device spoke within devicewake.session_idle_timeout) is the same wake: it keeps the
-- session and its conversation.

-- Records a HELLO from p_device_mac (any spelling normalize_mac accepts) with the HELLO body
-- p_payload (field names of DESIGN §8). Returns the id of the wake session it opens.
-- Never fails for a bad optional field: a field of the wrong type or out of range is ignored and
-- named in the 'hello' history event. Raises 22004 for a NULL MAC and 22023 for an identifier
-- that is not a MAC or a TEST-/VIRTUAL:/SYSTEM: name (the worker records those as rejected).
-- Runs as its owner: callers are the worker (superuser) and devicewake_admin.
CREATE FUNCTION devicewake.record_device_hello(p_device_mac text, p_payload jsonb DEFAULT '{}')
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_mac text;
    v_payload jsonb := coalesce(p_payload, '{}'::jsonb);
    v_device devicewake.devices%ROWTYPE;
    v_cron text;
    v_tz text;
    v_ignored jsonb := '[]'::jsonb;
    v_battery numeric;
    v_rssi integer;
    v_firmware text;
    v_hardware text;
    v_names text[] := '{}';
    v_item jsonb;
    v_old_session uuid;
    v_old_status text;
    v_session uuid;
    v_next timestamptz;
    v_relay boolean;
    v_created integer := 0;
    v_same_wake boolean := false;
    v_clear_override boolean;
BEGIN
    IF p_device_mac IS NULL THEN
        RAISE EXCEPTION 'device identifier must not be null' USING ERRCODE = '22004';
    END IF;
    v_mac := devicewake.normalize_mac(p_device_mac);

    IF pg_catalog.jsonb_typeof(v_payload) <> 'object' THEN
        v_ignored := v_ignored || pg_catalog.jsonb_build_object(
            'field', '(payload)', 'reason', 'not a JSON object', 'value', v_payload);
        v_payload := pg_catalog.jsonb_build_object('raw', v_payload);
    END IF;

    -- the optional fields, each checked on its own: a bad one is noted and skipped
    IF v_payload ? 'battery_voltage' THEN
        -- CASE, not AND: the cast must never run on a value that is not a number
        IF (CASE WHEN pg_catalog.jsonb_typeof(v_payload->'battery_voltage') = 'number'
                THEN (v_payload->>'battery_voltage')::numeric BETWEEN 0 AND 100 ELSE false END) THEN
            v_battery := round((v_payload->>'battery_voltage')::numeric, 3);
        ELSE
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'battery_voltage',
                'reason', 'expected a number of volts between 0 and 100', 'value', v_payload->'battery_voltage');
        END IF;
    END IF;
    IF v_payload ? 'wifi_rssi' THEN
        IF (CASE WHEN pg_catalog.jsonb_typeof(v_payload->'wifi_rssi') = 'number'
                THEN (v_payload->>'wifi_rssi')::numeric BETWEEN -200 AND 100 ELSE false END) THEN
            -- real cameras send decimals (-61.4): stored rounded to a whole dBm
            v_rssi := round((v_payload->>'wifi_rssi')::numeric)::integer;
        ELSE
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'wifi_rssi',
                'reason', 'expected a number of dBm between -200 and 100', 'value', v_payload->'wifi_rssi');
        END IF;
    END IF;
    IF v_payload ? 'firmware_version' THEN
        IF pg_catalog.jsonb_typeof(v_payload->'firmware_version') = 'string'
           AND length(v_payload->>'firmware_version') BETWEEN 1 AND 64 THEN
            v_firmware := v_payload->>'firmware_version';
        ELSE
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'firmware_version',
                'reason', 'expected a string of 1 to 64 characters', 'value', v_payload->'firmware_version');
        END IF;
    END IF;
    IF v_payload ? 'hardware_version' THEN
        IF pg_catalog.jsonb_typeof(v_payload->'hardware_version') = 'string'
           AND length(v_payload->>'hardware_version') BETWEEN 1 AND 64 THEN
            v_hardware := v_payload->>'hardware_version';
        ELSE
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'hardware_version',
                'reason', 'expected a string of 1 to 64 characters', 'value', v_payload->'hardware_version');
        END IF;
    END IF;
    IF v_payload ? 'pendingImg' AND pg_catalog.jsonb_typeof(v_payload->'pendingImg') <> 'number' THEN
        v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'pendingImg',
            'reason', 'expected a number', 'value', v_payload->'pendingImg');
    END IF;
    IF v_payload ? 'pending_count' AND pg_catalog.jsonb_typeof(v_payload->'pending_count') <> 'number' THEN
        v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'pending_count',
            'reason', 'expected a number', 'value', v_payload->'pending_count');
    END IF;
    IF v_payload ? 'pending_list' THEN
        IF pg_catalog.jsonb_typeof(v_payload->'pending_list') = 'array' THEN
            FOR v_item IN SELECT e FROM pg_catalog.jsonb_array_elements(v_payload->'pending_list') e LOOP
                IF pg_catalog.jsonb_typeof(v_item) = 'string'
                   AND length(v_item #>> '{}') BETWEEN 1 AND 200 THEN
                    v_names := v_names || (v_item #>> '{}');
                ELSE
                    v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'pending_list',
                        'reason', 'expected image names of 1 to 200 characters', 'value', v_item);
                END IF;
            END LOOP;
        ELSE
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'pending_list',
                'reason', 'expected an array of image names', 'value', v_payload->'pending_list');
        END IF;
    END IF;
    -- the topic names the device; a body naming another one is noted, not believed
    IF v_payload ? 'device_id' THEN
        IF (CASE WHEN pg_catalog.jsonb_typeof(v_payload->'device_id') = 'string'
                THEN devicewake._mac_matches(v_payload->>'device_id', v_mac) IS NOT TRUE
                ELSE true END) THEN
            v_ignored := v_ignored || pg_catalog.jsonb_build_object('field', 'device_id',
                'reason', 'does not name the device of the topic', 'value', v_payload->'device_id');
        END IF;
    END IF;

    -- the device, registered (unassigned: no site) when unknown; locked for the rest
    PERFORM devicewake._register_device(v_mac, p_device_mac, 'hello');
    SELECT * INTO v_device FROM devicewake.devices d WHERE d.device_mac = v_mac FOR UPDATE;

    SELECT coalesce(v_device.wake_schedule_cron, s.wake_schedule_cron),
           coalesce(v_device.timezone, s.timezone, 'UTC')
    INTO v_cron, v_tz
    FROM (SELECT 1) one LEFT JOIN devicewake.sites s ON s.site_id = v_device.site_id;

    -- a wake still going on: the same conversation goes on
    SELECT s.session_id INTO v_session
    FROM devicewake.device_wake_sessions s
    WHERE s.device_id = v_device.device_id AND s.status = 'in_progress'
      AND devicewake._session_last_heard(s.started_at, v_device.last_seen_at)
          >= pg_catalog.now() - devicewake._session_idle_timeout();
    v_same_wake := FOUND;

    IF v_same_wake THEN
        UPDATE devicewake.device_wake_sessions s
        SET hello_count = s.hello_count + 1, telemetry_data = v_payload
        WHERE s.session_id = v_session;
        UPDATE devicewake.devices d
        SET last_seen_at = pg_catalog.now(),
            battery_voltage = coalesce(v_battery, d.battery_voltage),
            wifi_rssi = coalesce(v_rssi, d.wifi_rssi),
            firmware_version = coalesce(v_firmware, d.firmware_version),
            hardware_version = coalesce(v_hardware, d.hardware_version)
        WHERE d.device_id = v_device.device_id;
        v_next := v_device.next_wake_at;
    ELSE
        -- the previous wake, if still open, ends with the device's last message before this
        -- HELLO; the history names it either way
        PERFORM devicewake._end_wake_sessions(ARRAY[v_device.device_id]);
        SELECT s.session_id, s.status INTO v_old_session, v_old_status
        FROM devicewake.device_wake_sessions s WHERE s.device_id = v_device.device_id
        ORDER BY s.started_at DESC LIMIT 1;

        -- the override ends with the wake it asked for (a camera told a whole minute may wake
        -- up to a minute early, and its clock drifts: 5 minutes of tolerance), not with a relay
        -- or a regular wake before it
        v_clear_override := v_device.manual_wake_at IS NULL
                            OR v_device.manual_wake_at <= pg_catalog.now() + interval '5 minutes';
        -- the wake this HELLO belongs to was told as a relay: it is only told the next wake
        v_relay := v_device.relay_wake AND NOT (v_device.manual_wake_override AND v_clear_override);

        UPDATE devicewake.devices d
        SET last_seen_at = pg_catalog.now(),
            last_wake_at = pg_catalog.now(),
            battery_voltage = coalesce(v_battery, d.battery_voltage),
            wifi_rssi = coalesce(v_rssi, d.wifi_rssi),
            firmware_version = coalesce(v_firmware, d.firmware_version),
            hardware_version = coalesce(v_hardware, d.hardware_version),
            manual_wake_override = d.manual_wake_override AND NOT v_clear_override,
            manual_wake_requested_by = CASE WHEN v_clear_override THEN NULL ELSE d.manual_wake_requested_by END,
            manual_wake_requested_at = CASE WHEN v_clear_override THEN NULL ELSE d.manual_wake_requested_at END,
            manual_wake_at = CASE WHEN v_clear_override THEN NULL ELSE d.manual_wake_at END,
            relay_wake = false
        WHERE d.device_id = v_device.device_id;
        SELECT p.wake_at INTO v_next FROM devicewake._wake_plan(v_device.device_id, pg_catalog.now()) p;
        UPDATE devicewake.devices d SET next_wake_at = v_next WHERE d.device_id = v_device.device_id;

        INSERT INTO devicewake.device_wake_sessions (device_id, telemetry_data, relay)
        VALUES (v_device.device_id, v_payload, v_relay)
        RETURNING session_id INTO v_session;
    END IF;

    -- images the device says it holds and we have never heard of wait for their upload
    INSERT INTO devicewake.device_images (device_id, session_id, image_name, status)
    SELECT DISTINCT v_device.device_id, v_session, n, 'pending' FROM unnest(v_names) n
    ON CONFLICT (device_id, image_name) DO NOTHING;
    GET DIAGNOSTICS v_created = ROW_COUNT;

    -- the device is awake: wake the dispatcher so its due commands go out now (with the on_wake
    -- policy, they become deliverable with the session just opened). Commands already claimed
    -- are in flight and left alone: releasing them here would publish them twice.
    PERFORM pg_catalog.pg_notify('devicewake_commands', '');

    INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
    VALUES (v_device.device_id, v_session, 'hello',
            pg_catalog.jsonb_build_object(
                'payload', v_payload,
                'ignored_fields', v_ignored,
                'previous_session', v_old_session,
                'previous_session_status', v_old_status,
                'same_wake', v_same_wake,
                'relay', coalesce(v_relay, false),
                'override_cleared', v_device.manual_wake_override AND coalesce(v_clear_override, false),
                'next_wake_at', v_next,
                'schedule', v_cron,
                'timezone', v_tz,
                'pending_images_created', v_created));
    RETURN v_session;
END
$$;

-- True when p_given (a device_id from a message body) names the same device as the normalised
-- p_mac; false when it names another device or is not a device identifier. Never raises.
CREATE FUNCTION devicewake._mac_matches(p_given text, p_mac text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN devicewake.normalize_mac(p_given) = p_mac;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END
$$;

REVOKE ALL ON FUNCTION devicewake.record_device_hello(text, jsonb),
    devicewake._mac_matches(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.record_device_hello(text, jsonb) TO devicewake_admin;

-- ===== sql/install/37_ingest.sql
-- What devices send (DESIGN §8), applied by the worker after src/core parsed and checked it:
-- image metadata, chunks (set-based, a batch at a time), completion and assembly, telemetry,
-- command acknowledgements, rejected messages, and requests for missing chunks. Internal
-- functions: executable by the worker (superuser) only.

-- METADATA: the image row becomes receiving (or is created) and the open wake session counts its
-- chunks. Returns what the METADATA is (the worker's conversation decides the answer):
--   kind 'new'      an image not seen before, or one resumed from an earlier wake (chunks kept)
--        'repeat'   the same name, count, size and capture time again in this wake: nothing
--                   changes (cameras repeat their METADATA every few chunks)
--        'restart'  a changed layout or picture, or a failed assembly: the chunks start over
--        'complete' the image is already complete (the camera missed the server's answer)
--        NULL       the device reported an error instead of an image
--   already_asked   a send_image or retry_image for this name went out during this wake
CREATE FUNCTION devicewake._ingest_metadata(
    p_mac text, p_image_name text, p_total_chunks integer, p_image_size integer,
    p_captured_at timestamptz, p_error integer, p_metadata jsonb, p_sensors jsonb,
    OUT kind text, OUT already_asked boolean)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid := devicewake._register_device(p_mac, p_mac, 'metadata');
    v_session uuid;
    v_started timestamptz;
    v_image devicewake.device_images%ROWTYPE;
    v_restart boolean := false;
    v_known boolean;
BEGIN
    already_asked := false;
    UPDATE devicewake.devices SET last_seen_at = now() WHERE device_id = v_device;
    SELECT s.session_id, s.started_at INTO v_session, v_started FROM devicewake.device_wake_sessions s
    WHERE s.device_id = v_device AND s.status = 'in_progress';
    IF p_error <> 0 THEN
        UPDATE devicewake.device_wake_sessions SET error_codes = error_codes || p_error::text
        WHERE session_id = v_session;
        INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
        VALUES (v_device, v_session, 'image_error',
                jsonb_build_object('image_name', p_image_name, 'error', p_error, 'metadata', p_metadata));
        RETURN;
    END IF;

    SELECT * INTO v_image FROM devicewake.device_images
    WHERE device_id = v_device AND image_name = p_image_name FOR UPDATE;
    v_known := FOUND;
    IF v_known AND v_image.status = 'complete' THEN
        kind := 'complete';
        RETURN;
    END IF;
    IF v_known AND v_image.status = 'receiving' AND v_image.session_id IS NOT DISTINCT FROM v_session
       AND v_image.total_chunks = p_total_chunks
       AND v_image.image_size IS NOT DISTINCT FROM p_image_size
       AND (p_captured_at IS NULL OR v_image.captured_at IS NOT DISTINCT FROM p_captured_at) THEN
        kind := 'repeat';
        RETURN;
    END IF;
    IF p_sensors IS NOT NULL AND p_sensors <> '{}' AND v_session IS NOT NULL THEN
        UPDATE devicewake.device_wake_sessions
        SET telemetry_data = telemetry_data || jsonb_build_object('sensors', p_sensors)
        WHERE session_id = v_session;
    END IF;
    already_asked := v_session IS NOT NULL AND EXISTS (
        SELECT FROM devicewake.device_commands c
        WHERE c.device_id = v_device AND c.command_type IN ('send_image', 'retry_image')
          AND c.command_payload ->> 'image_name' = p_image_name
          AND ((c.status IN ('sent', 'acknowledged') AND c.delivered_at >= v_started)
               OR (c.status = 'pending' AND c.claimed_at IS NOT NULL)));
    IF v_known THEN
        -- a new chunk layout or another picture under the same name makes the stored chunks
        -- meaningless; the same layout resumes, except after a failed assembly: every chunk is
        -- there and the bytes are bad, so start over
        v_restart := v_image.total_chunks IS NOT NULL
                     AND (v_image.total_chunks IS DISTINCT FROM p_total_chunks
                          OR v_image.image_size IS DISTINCT FROM p_image_size
                          OR (p_captured_at IS NOT NULL AND v_image.captured_at IS DISTINCT FROM p_captured_at)
                          OR (v_image.status = 'failed' AND v_image.received_chunks >= v_image.total_chunks));
        IF v_restart THEN
            DELETE FROM devicewake.image_chunks WHERE image_id = v_image.image_id;
        END IF;
        -- the metadata is replaced, never merged: what a device sends cannot accumulate
        UPDATE devicewake.device_images
        SET status = 'receiving', session_id = coalesce(v_session, session_id),
            total_chunks = p_total_chunks, image_size = p_image_size,
            captured_at = coalesce(p_captured_at, captured_at),
            received_chunks = CASE WHEN v_restart THEN 0 ELSE received_chunks END,
            last_chunk_at = NULL, last_resend_at = NULL, resend_requests = 0, metadata = p_metadata
        WHERE image_id = v_image.image_id;
    ELSE
        INSERT INTO devicewake.device_images (device_id, session_id, image_name, status,
                                              total_chunks, image_size, captured_at, metadata)
        VALUES (v_device, v_session, p_image_name, 'receiving', p_total_chunks, p_image_size,
                p_captured_at, p_metadata)
        RETURNING * INTO v_image;
    END IF;
    UPDATE devicewake.device_wake_sessions SET chunks_total = chunks_total + p_total_chunks
    WHERE session_id = v_session;

    -- the device is sending this image: a queued retry or send for it is superseded
    UPDATE devicewake.device_commands
    SET status = 'cancelled', error_message = 'superseded: the device started the upload'
    WHERE device_id = v_device AND status = 'pending' AND claimed_at IS NULL
      AND command_type IN ('retry_image', 'send_image')
      AND command_payload ->> 'image_name' = p_image_name;
    INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
    VALUES (v_device, v_session, 'image_metadata',
            jsonb_build_object('image_name', p_image_name, 'total_chunks', p_total_chunks,
                               'image_size', p_image_size, 'restarted', v_restart));
    kind := CASE WHEN v_restart THEN 'restart' ELSE 'new' END;
END
$$;

-- CHUNKs, a batch at a time (arrays of equal length, in arrival order). Stores each chunk once
-- (a duplicate is idempotent), keeps received_chunks and the session's chunks_sent current,
-- and completes every image whose last chunk arrived. Returns one row per chunk that could not
-- be applied (kind 'rejected', its 1-based position and the reason) and per completed or failed
-- image (kind 'complete' / 'failed', the device and image, and how many other images of its wake
-- are still arriving: the worker's conversation answers).
CREATE FUNCTION devicewake._ingest_chunks(
    p_macs text[], p_image_names text[], p_indexes integer[], p_data bytea[])
    RETURNS TABLE(kind text, ordinal bigint, device_mac text, image_name text, detail text,
                  others_receiving integer)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_touched uuid[];
BEGIN
    -- chunks that cannot be applied: kept by the caller in rejected_messages
    RETURN QUERY
    SELECT 'rejected', c.ord, c.mac, c.name,
           CASE WHEN i.image_id IS NULL OR i.total_chunks IS NULL
                    THEN 'chunk for an image without metadata'
                ELSE format('chunk_id %s is out of range for total_chunk_count %s', c.idx, i.total_chunks)
           END,
           NULL::integer
    FROM unnest(p_macs, p_image_names, p_indexes) WITH ORDINALITY AS c(mac, name, idx, ord)
    LEFT JOIN devicewake.devices d ON d.device_mac = c.mac
    LEFT JOIN devicewake.device_images i ON i.device_id = d.device_id AND i.image_name = c.name
    WHERE i.image_id IS NULL OR i.total_chunks IS NULL
       OR (i.status <> 'complete' AND c.idx >= i.total_chunks);

    WITH c AS (
        SELECT * FROM unnest(p_macs, p_image_names, p_indexes, p_data)
                      WITH ORDINALITY AS c(mac, name, idx, data, ord)),
    matched AS (
        SELECT DISTINCT ON (i.image_id, c.idx) i.image_id, c.idx, c.data
        FROM c
        JOIN devicewake.devices d ON d.device_mac = c.mac
        JOIN devicewake.device_images i ON i.device_id = d.device_id AND i.image_name = c.name
        WHERE i.status <> 'complete' AND c.idx < i.total_chunks
        ORDER BY i.image_id, c.idx, c.ord),
    stored AS (
        INSERT INTO devicewake.image_chunks (image_id, chunk_index, data)
        SELECT image_id, idx, data FROM matched
        ON CONFLICT (image_id, chunk_index) DO NOTHING
        RETURNING image_id),
    counted AS (SELECT s.image_id, count(*)::integer AS n FROM stored s GROUP BY s.image_id),
    images AS (
        UPDATE devicewake.device_images i
        SET received_chunks = i.received_chunks + counted.n, last_chunk_at = now(),
            status = 'receiving'
        FROM counted WHERE i.image_id = counted.image_id
        RETURNING i.image_id, i.device_id, i.session_id, counted.n),
    sessions AS (
        UPDATE devicewake.device_wake_sessions s SET chunks_sent = s.chunks_sent + per.n
        FROM (SELECT im.device_id, sum(im.n)::integer AS n FROM images im GROUP BY im.device_id) per
        WHERE s.device_id = per.device_id AND s.status = 'in_progress'),
    seen AS (
        UPDATE devicewake.devices d SET last_seen_at = now()
        WHERE d.device_id IN (SELECT im.device_id FROM images im))
    SELECT array_agg(im.image_id) INTO v_touched FROM images im;

    IF v_touched IS NOT NULL THEN
        RETURN QUERY SELECT * FROM devicewake._complete_images(v_touched);
    END IF;
END
$$;

-- Assembles every image among p_image_ids whose chunks are all there: the JPEG (checked for its
-- FF D8 FF start, FF D9 end and announced size) goes to image_data and the image is complete,
-- its failure cleared, its alerts resolved, the send_image / retry_image that asked for it
-- acknowledged, pending ones cancelled; a broken one
-- becomes failed with the reason and keeps its chunks.
CREATE FUNCTION devicewake._complete_images(p_image_ids uuid[])
    RETURNS TABLE(kind text, ordinal bigint, device_mac text, image_name text, detail text,
                  others_receiving integer)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN QUERY
    WITH ready AS (
        SELECT i.image_id FROM devicewake.device_images i
        WHERE i.image_id = ANY (p_image_ids) AND i.status = 'receiving'
          AND i.received_chunks = i.total_chunks
        FOR UPDATE),
    assembled AS (
        SELECT c.image_id, string_agg(c.data, ''::bytea ORDER BY c.chunk_index) AS bytes
        FROM devicewake.image_chunks c JOIN ready USING (image_id)
        GROUP BY c.image_id),
    checked AS (
        SELECT a.image_id, a.bytes,
               CASE WHEN length(a.bytes) < 5 OR substring(a.bytes FROM 1 FOR 3) <> '\xffd8ff'::bytea
                        THEN 'assembled image does not start with the JPEG marker FF D8 FF'
                    WHEN substring(a.bytes FROM length(a.bytes) - 1) <> '\xffd9'::bytea
                        THEN 'assembled image does not end with the JPEG marker FF D9'
                    WHEN i.image_size IS NOT NULL AND i.image_size <> length(a.bytes)
                        THEN format('assembled image has %s bytes, its metadata announced %s',
                                    length(a.bytes), i.image_size)
               END AS problem
        FROM assembled a JOIN devicewake.device_images i USING (image_id)),
    done AS (
        UPDATE devicewake.device_images i
        SET status = CASE WHEN k.problem IS NULL THEN 'complete' ELSE 'failed' END,
            image_data = CASE WHEN k.problem IS NULL THEN k.bytes END,
            image_size = coalesce(i.image_size, length(k.bytes)),
            completed_at = CASE WHEN k.problem IS NULL THEN now() END,
            failed_at = CASE WHEN k.problem IS NULL THEN NULL ELSE now() END,
            timeout_reason = k.problem
        FROM checked k WHERE i.image_id = k.image_id
        RETURNING i.image_id, i.device_id, i.session_id, i.image_name, i.status, k.problem,
                  length(k.bytes) AS bytes),
    dropped_chunks AS (
        DELETE FROM devicewake.image_chunks c USING done
        WHERE c.image_id = done.image_id AND done.status = 'complete'),
    resolved AS (
        UPDATE devicewake.device_alerts a SET resolved_at = now()
        FROM done WHERE a.image_id = done.image_id AND done.status = 'complete'
          AND a.resolved_at IS NULL),
    -- the image is the answer to the send_image / retry_image that asked for it (cameras send
    -- no command_ack for those)
    -- (one whose PUBACK the worker has not recorded yet counts as delivered, as for command_ack)
    answered AS (
        UPDATE devicewake.device_commands c
        SET status = 'acknowledged', acknowledged_at = now(),
            delivered_at = coalesce(c.delivered_at, now()), claimed_at = NULL
        FROM done
        WHERE done.status = 'complete' AND c.device_id = done.device_id
          AND (c.status = 'sent' OR (c.status = 'pending' AND c.claimed_at IS NOT NULL))
          AND c.command_type IN ('retry_image', 'send_image')
          AND c.command_payload ->> 'image_name' = done.image_name),
    superseded AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled', error_message = 'superseded: the image is complete'
        FROM done
        WHERE done.status = 'complete' AND c.device_id = done.device_id AND c.status = 'pending'
          AND c.claimed_at IS NULL AND c.command_type IN ('retry_image', 'send_image', 'resend_chunks')
          AND c.command_payload ->> 'image_name' = done.image_name),
    missing_cleared AS (
        UPDATE devicewake.device_wake_sessions s SET chunks_missing = '{}'
        FROM done WHERE s.session_id = done.session_id AND done.status = 'complete'
          AND s.chunks_missing <> '{}'),
    logged AS (
        INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
        SELECT done.device_id, done.session_id,
               CASE WHEN done.status = 'complete' THEN 'image_complete' ELSE 'image_failed' END,
               jsonb_build_object('image_name', done.image_name, 'bytes', done.bytes,
                                  'reason', done.problem)
        FROM done)
    SELECT done.status, NULL::bigint, d.device_mac, done.image_name, done.problem,
           -- the device's other images of this wake still arriving (those finished by this
           -- statement are not: its snapshot still shows them receiving)
           (SELECT count(*)::integer FROM devicewake.device_images o
            WHERE o.device_id = done.device_id AND o.session_id = done.session_id
              AND o.status = 'receiving' AND o.image_id <> ALL (ARRAY(SELECT image_id FROM done)))
    FROM done
    JOIN devicewake.devices d ON d.device_id = done.device_id;
END
$$;

-- Telemetry only: device readings and the open session's telemetry.
CREATE FUNCTION devicewake._ingest_telemetry(
    p_mac text, p_battery_voltage numeric, p_wifi_rssi integer, p_telemetry jsonb)
    RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid := devicewake._register_device(p_mac, p_mac, 'telemetry');
BEGIN
    UPDATE devicewake.devices
    SET last_seen_at = now(), battery_voltage = coalesce(p_battery_voltage, battery_voltage),
        wifi_rssi = coalesce(p_wifi_rssi, wifi_rssi)
    WHERE device_id = v_device;
    UPDATE devicewake.device_wake_sessions
    SET telemetry_data = telemetry_data || jsonb_build_object('telemetry', p_telemetry)
    WHERE device_id = v_device AND status = 'in_progress';
    INSERT INTO devicewake.device_history (device_id, event_type, event_data)
    VALUES (v_device, 'telemetry', p_telemetry);
END
$$;

-- A device's command acknowledgement: the named command, or without one the oldest sent one,
-- becomes acknowledged (application commands only: the conversation's messages are not). A command still awaiting its PUBACK counts as delivered. Returns NULL
-- when applied, otherwise why not (the worker records the message as rejected).
CREATE FUNCTION devicewake._ingest_command_ack(p_mac text, p_command_id uuid) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid := devicewake._register_device(p_mac, p_mac, 'ack');
    v_command uuid;
BEGIN
    UPDATE devicewake.devices SET last_seen_at = now() WHERE device_id = v_device;
    SELECT c.command_id INTO v_command FROM devicewake.device_commands c
    WHERE c.device_id = v_device
      AND (c.status = 'sent' OR (c.status = 'pending' AND c.claimed_at IS NOT NULL))
      AND (p_command_id IS NULL OR c.command_id = p_command_id)
      -- cameras acknowledge application commands, never the wake conversation's messages
      AND c.session_id IS NULL
    ORDER BY c.delivered_at NULLS LAST, c.issued_at
    LIMIT 1 FOR UPDATE;
    IF v_command IS NULL THEN
        RETURN CASE WHEN p_command_id IS NULL
                    THEN 'acknowledgement without command_id, and no command of this device awaits one'
                    ELSE format('command %s of this device is not awaiting an acknowledgement', p_command_id)
               END;
    END IF;
    UPDATE devicewake.device_commands
    SET status = 'acknowledged', acknowledged_at = now(),
        delivered_at = coalesce(delivered_at, now()), claimed_at = NULL
    WHERE command_id = v_command;
    INSERT INTO devicewake.device_history (device_id, event_type, event_data)
    VALUES (v_device, 'command_acknowledged', jsonb_build_object('command_id', v_command));
    RETURN NULL;
END
$$;

-- Quiet period with gaps: for images of awake devices whose upload has sent at least one chunk
-- and then nothing for p_quiet (counted from the last chunk or the last request, whichever is
-- later), a resend_chunks command (published on /ack) names the missing ones, at most
-- p_max_requests times per upload and 512 indexes per command, and the session's chunks_missing
-- is updated. Never before the camera has sent anything for the upload: a METADATA that resumes
-- or restarts an image clears last_chunk_at. Returns the number of requests queued.
CREATE FUNCTION devicewake._request_missing_chunks(p_quiet interval, p_max_requests integer)
    RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_count integer;
BEGIN
    WITH quiet AS (
        SELECT i.image_id, i.device_id, i.session_id, i.image_name, i.total_chunks
        FROM devicewake.device_images i
        WHERE i.status = 'receiving' AND i.last_chunk_at IS NOT NULL
          AND greatest(i.last_chunk_at, i.last_resend_at) < now() - p_quiet
          AND i.received_chunks < i.total_chunks AND i.resend_requests < p_max_requests
          AND EXISTS (SELECT FROM devicewake.device_wake_sessions s
                      WHERE s.device_id = i.device_id AND s.status = 'in_progress')
        FOR UPDATE OF i SKIP LOCKED),
    missing AS (
        SELECT q.image_id, q.device_id, q.session_id, q.image_name,
               (SELECT array_agg(n ORDER BY n) FROM generate_series(0, q.total_chunks - 1) n
                WHERE NOT EXISTS (SELECT FROM devicewake.image_chunks c
                                  WHERE c.image_id = q.image_id AND c.chunk_index = n)) AS chunks
        FROM quiet q),
    bumped AS (
        UPDATE devicewake.device_images i
        SET resend_requests = i.resend_requests + 1, last_resend_at = now()
        FROM missing m WHERE i.image_id = m.image_id),
    sessions AS (
        UPDATE devicewake.device_wake_sessions s SET chunks_missing = m.chunks
        FROM missing m WHERE s.device_id = m.device_id AND s.status = 'in_progress'),
    queued AS (
        INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, priority,
                                                expires_at, session_id)
        SELECT m.device_id, 'resend_chunks',
               jsonb_build_object('image_name', m.image_name, 'missing_chunks', to_jsonb(m.chunks[1:512])),
               10, now() + devicewake._session_idle_timeout(), s.session_id
        FROM missing m
        JOIN devicewake.device_wake_sessions s ON s.device_id = m.device_id AND s.status = 'in_progress'
        WHERE m.chunks IS NOT NULL
        RETURNING 1)
    SELECT count(*) INTO v_count FROM queued;
    RETURN v_count;
END
$$;

-- ===== sql/install/38_image_retry.sql
-- Stuck uploads heal themselves (DESIGN §4, docs/retries.md): the timeout sweep, image retries,
-- the "Retry all failed images" button, and the sweep's pg_cron schedule. The sweep and the
-- retries are SQL here, where EXPLAIN can read them; the pg_cron registration is native.

-- ---------------------------------------------------------------- the rules (docs/retries.md)
-- Each rule is written once, as an SQL-standard body: it is parsed when the extension is created,
-- so every name in it is bound then (pg_catalog first) and no caller's search_path can change
-- it, and the planner inlines it into the statements below. r is the image's retry_count before
-- this timeout; with max_retries = 3, timeouts 1, 2 and 3 queue a retry and timeout 3 (the last
-- retry) and every later one raise the alert; max_retries = 0 never retries and alerts at once.
CREATE FUNCTION devicewake._retry_should_queue(p_retry_count_before integer, p_max_retries integer)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN p_retry_count_before < p_max_retries;

CREATE FUNCTION devicewake._retry_should_alert(p_retry_count_before integer, p_max_retries integer)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN p_retry_count_before >= p_max_retries - 1;

-- When a retry command for a device whose next wake is p_wake (NULL: it has none) is deliverable.
-- A wake whose one-hour window is still open gives [wake - 5 min, wake + 1 h]; no wake, or one
-- whose window has closed (the device is long overdue), gives "due now (NULL), expires in 24 h",
-- so the retry waits for whenever the device next says HELLO.
CREATE FUNCTION devicewake._retry_scheduled_for(p_wake timestamptz) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN p_wake + interval '60 minutes' > now() THEN p_wake - interval '5 minutes' END;

CREATE FUNCTION devicewake._retry_expires_at(p_wake timestamptz) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN p_wake + interval '60 minutes' > now() THEN p_wake + interval '60 minutes'
                ELSE now() + interval '24 hours' END;

-- ---------------------------------------------------------------- the sweep
-- One statement. The uploads in flight (partial index device_images_receiving_idx) drive the
-- search, one primary-key probe of devices each: the cost follows the number of uploads in
-- flight, never the fleet's size or how many devices are overdue (OFFSET 0 keeps the planner from
-- flattening the lateral probes into joins it could turn around). Images are locked with SKIP
-- LOCKED and re-checked in the UPDATE, so overlapping sweeps fail each image exactly once (see
-- docs/retries.md); the expiry step skips locked commands too, so two sweeps never wait on each
-- other. Rows ordered by device and image name. Never raises by itself.
CREATE FUNCTION devicewake.timeout_stale_images()
    RETURNS TABLE (device_id uuid, image_id uuid, image_name text, retry_count integer,
                   command_id uuid, alert_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH stale AS (
        SELECT i.image_id, w.next_wake_at
        FROM devicewake.device_images i
        CROSS JOIN LATERAL (SELECT d.next_wake_at FROM devicewake.devices d
                            WHERE d.device_id = i.device_id AND d.next_wake_at <= pg_catalog.now()
                            OFFSET 0) w
        WHERE i.status = 'receiving'
        FOR UPDATE OF i SKIP LOCKED),
    failed AS (
        UPDATE devicewake.device_images i
        SET status = 'failed', failed_at = pg_catalog.now(),
            timeout_reason = 'Transmission not completed before next wake window',
            retry_count = i.retry_count + 1
        FROM stale s WHERE i.image_id = s.image_id AND i.status = 'receiving'
        RETURNING i.image_id, i.device_id, i.session_id, i.image_name, i.total_chunks,
                  i.retry_count - 1 AS retry_count_before, i.retry_count, i.max_retries,
                  s.next_wake_at AS wake,
                  -- the retry command's id, when this failure gets one
                  CASE WHEN devicewake._retry_should_queue(i.retry_count - 1, i.max_retries)
                       THEN pg_catalog.gen_random_uuid() END AS command_id),
    retry AS (
        SELECT f.image_id, f.device_id, f.image_name, f.total_chunks, f.wake, f.command_id,
               -- the chunk indexes (0-based, below total_chunks) not in image_chunks
               (SELECT coalesce(pg_catalog.jsonb_agg(g.n ORDER BY g.n), '[]'::jsonb)
                FROM pg_catalog.generate_series(0, coalesce(f.total_chunks, 0) - 1) AS g(n)
                WHERE NOT EXISTS (SELECT FROM devicewake.image_chunks ch
                                  WHERE ch.image_id = f.image_id AND ch.chunk_index = g.n)) AS missing_chunks
        FROM failed f WHERE f.command_id IS NOT NULL),
    -- a retry replaces, never duplicates: the image's pending retries not yet claimed and not past
    -- expiry are cancelled (the same steps as devicewake._queue_image_retries)
    superseded AS (
        SELECT x.command_id
        FROM retry r CROSS JOIN LATERAL
             (SELECT c.command_id FROM devicewake.device_commands c
              WHERE c.device_id = r.device_id AND c.status = 'pending'
                AND c.command_type = 'retry_image' AND c.claimed_at IS NULL
                AND c.expires_at > pg_catalog.now()
                AND c.command_payload ->> 'image_id' = r.image_id::text OFFSET 0) x),
    cancelled AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled', error_message = 'superseded by a newer retry of the same image'
        FROM superseded k WHERE c.command_id = k.command_id
          AND c.status = 'pending' AND c.claimed_at IS NULL AND c.expires_at > pg_catalog.now()
        RETURNING c.command_id),
    queued AS (
        INSERT INTO devicewake.device_commands
            (command_id, device_id, command_type, command_payload, priority, scheduled_for,
             expires_at, created_by_user_id)
        SELECT r.command_id, r.device_id, 'retry_image',
               pg_catalog.jsonb_build_object('image_id', r.image_id, 'image_name', r.image_name,
                   'total_chunks', r.total_chunks, 'missing_chunks', r.missing_chunks),
               8, devicewake._retry_scheduled_for(r.wake), devicewake._retry_expires_at(r.wake),
               NULL::uuid
        FROM retry r
        RETURNING command_id, device_id),
    alerted AS (
        INSERT INTO devicewake.device_alerts
            (device_id, image_id, alert_type, severity, message, metadata, attempt)
        SELECT f.device_id, f.image_id, 'image_transmission_failed', 'critical',
               pg_catalog.format('Image %s failed to transmit (attempt %s of %s): %s', f.image_name,
                   f.retry_count, f.max_retries,
                   CASE WHEN devicewake._retry_should_queue(f.retry_count_before, f.max_retries)
                        THEN 'last retry queued' ELSE 'no retries left' END),
               pg_catalog.jsonb_build_object('image_name', f.image_name, 'retry_count', f.retry_count,
                   'max_retries', f.max_retries,
                   'reason', 'Transmission not completed before next wake window',
                   'retry_queued', devicewake._retry_should_queue(f.retry_count_before, f.max_retries)),
               f.retry_count
        FROM failed f WHERE devicewake._retry_should_alert(f.retry_count_before, f.max_retries)
        ON CONFLICT (image_id, alert_type, attempt) WHERE resolved_at IS NULL DO NOTHING
        RETURNING alert_id, image_id),
    history AS (
        INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
        SELECT f.device_id, f.session_id, 'image_timeout',
               pg_catalog.jsonb_build_object('image_id', f.image_id, 'image_name', f.image_name,
                   'retry_count', f.retry_count, 'max_retries', f.max_retries,
                   'reason', 'Transmission not completed before next wake window',
                   'retry_command_id', f.command_id)
        FROM failed f),
    -- (a wake conversation's message, once sent, is done: cameras do not acknowledge them)
    expiring AS (
        SELECT c.command_id FROM devicewake.device_commands c
        WHERE (c.status = 'pending' OR (c.status = 'sent' AND c.session_id IS NULL))
          AND c.expires_at <= pg_catalog.now()
        FOR UPDATE OF c SKIP LOCKED),
    expired AS (
        UPDATE devicewake.device_commands c
        SET status = 'expired', claimed_at = NULL,
            error_message = CASE c.status WHEN 'sent' THEN 'expired before the device acknowledged it'
                                          ELSE 'expired before delivery' END || ' (expires_at passed)'
        FROM expiring e WHERE c.command_id = e.command_id AND c.status IN ('pending', 'sent')
          AND c.expires_at <= pg_catalog.now())
    SELECT f.device_id, f.image_id, f.image_name, f.retry_count, f.command_id, a.alert_id
    FROM failed f LEFT JOIN alerted a ON a.image_id = f.image_id
    ORDER BY f.device_id, f.image_name;
END
$$;
COMMENT ON FUNCTION devicewake.timeout_stale_images() IS
    'fails images still receiving when their device''s next wake has come, queues retries, raises alerts, expires old commands';

-- ---------------------------------------------------------------- manual retries
-- Queues a retry_image command (priority 8, payload {image_id, image_name, total_chunks,
-- missing_chunks}) for each image of p_image_ids, for the device's next wake: its next_wake_at,
-- else devicewake._wake_target (its schedule's next slot, a manual wake, the default schedule). Cancels each image's pending retry not
-- yet claimed (a retry replaces, never duplicates) and writes an image_retry_queued event per
-- image, attributed to the caller (DESIGN §9). Returns the new commands' ids. Internal: the
-- caller has checked access and locked the images (FOR UPDATE) in an earlier statement, so this
-- statement's snapshot sees what a concurrent retry of the same images committed.
CREATE FUNCTION devicewake._queue_image_retries(p_image_ids uuid[]) RETURNS SETOF uuid
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_caller uuid := devicewake.current_user_id();
BEGIN
    RETURN QUERY
    WITH retry AS (
        SELECT i.image_id, i.device_id, i.image_name, i.total_chunks,
               -- the device's next wake (one line, the one place that says what it is)
               coalesce(d.next_wake_at, devicewake._wake_target(i.device_id)) AS wake,
               pg_catalog.gen_random_uuid() AS command_id,
               -- the chunk indexes (0-based, below total_chunks) not in image_chunks
               (SELECT coalesce(pg_catalog.jsonb_agg(g.n ORDER BY g.n), '[]'::jsonb)
                FROM pg_catalog.generate_series(0, coalesce(i.total_chunks, 0) - 1) AS g(n)
                WHERE NOT EXISTS (SELECT FROM devicewake.image_chunks ch
                                  WHERE ch.image_id = i.image_id AND ch.chunk_index = g.n)) AS missing_chunks
        FROM devicewake.device_images i
        JOIN devicewake.devices d ON d.device_id = i.device_id
        WHERE i.image_id = ANY (p_image_ids)),
    -- the same steps as the sweep's
    superseded AS (
        SELECT x.command_id
        FROM retry r CROSS JOIN LATERAL
             (SELECT c.command_id FROM devicewake.device_commands c
              WHERE c.device_id = r.device_id AND c.status = 'pending'
                AND c.command_type = 'retry_image' AND c.claimed_at IS NULL
                AND c.expires_at > pg_catalog.now()
                AND c.command_payload ->> 'image_id' = r.image_id::text OFFSET 0) x),
    cancelled AS (
        UPDATE devicewake.device_commands c
        SET status = 'cancelled', error_message = 'superseded by a newer retry of the same image'
        FROM superseded k WHERE c.command_id = k.command_id
          AND c.status = 'pending' AND c.claimed_at IS NULL AND c.expires_at > pg_catalog.now()
        RETURNING c.command_id),
    queued AS (
        INSERT INTO devicewake.device_commands
            (command_id, device_id, command_type, command_payload, priority, scheduled_for,
             expires_at, created_by_user_id)
        SELECT r.command_id, r.device_id, 'retry_image',
               pg_catalog.jsonb_build_object('image_id', r.image_id, 'image_name', r.image_name,
                   'total_chunks', r.total_chunks, 'missing_chunks', r.missing_chunks),
               8, devicewake._retry_scheduled_for(r.wake), devicewake._retry_expires_at(r.wake),
               v_caller
        FROM retry r
        RETURNING command_id),
    history AS (
        INSERT INTO devicewake.device_history (device_id, event_type, event_data)
        SELECT r.device_id, 'image_retry_queued',
               pg_catalog.jsonb_build_object('image_id', r.image_id, 'image_name', r.image_name,
                   'retry_command_id', r.command_id, 'missing_chunks', r.missing_chunks,
                   'requested_by', v_caller)
        FROM retry r)
    SELECT q.command_id FROM queued q;
END
$$;

-- Queues a retry of one image for its device's next wake, replacing a pending one; returns the
-- new retry_image command's id. Raises 22004 for NULL, P0002 for an image that does not exist or
-- that the caller may not see, 55000 for an image already complete.
CREATE FUNCTION devicewake.queue_image_retry(p_image_id uuid) RETURNS uuid
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid;
    v_status text;
    v_command uuid;
    v_queued integer;
BEGIN
    IF p_image_id IS NULL THEN
        RAISE EXCEPTION 'image id must not be null' USING ERRCODE = '22004';
    END IF;
    -- 1. which device; may the caller act on it? (a hidden device reads as a missing image)
    SELECT i.device_id INTO v_device FROM devicewake.device_images i WHERE i.image_id = p_image_id;
    IF v_device IS NULL OR devicewake.can_access_device(v_device) IS NOT TRUE THEN
        RAISE EXCEPTION 'image % does not exist', p_image_id USING ERRCODE = 'P0002';
    END IF;
    PERFORM devicewake.require_device_access(v_device);
    -- 2. lock the image: concurrent retries of one image queue one after the other, and the next
    --    statement's fresh snapshot sees the command the previous one queued (and cancels it)
    SELECT i.status INTO v_status FROM devicewake.device_images i
    WHERE i.image_id = p_image_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'image % does not exist', p_image_id USING ERRCODE = 'P0002';
    END IF;
    IF v_status = 'complete' THEN
        RAISE EXCEPTION 'image % is already complete', p_image_id
            USING ERRCODE = '55000', DETAIL = 'A complete image has nothing left to transmit.';
    END IF;
    -- 3. cancel the pending retry of this image, queue the new one, log it: one statement
    SELECT q.id INTO v_command FROM devicewake._queue_image_retries(ARRAY[p_image_id]) AS q(id);
    GET DIAGNOSTICS v_queued = ROW_COUNT;
    IF v_queued <> 1 THEN
        RAISE EXCEPTION 'queueing the image retry failed' USING ERRCODE = 'XX000';
    END IF;
    RETURN v_command;
END
$$;
COMMENT ON FUNCTION devicewake.queue_image_retry(uuid) IS
    'queues a retry_image command (priority 8) for the device''s next wake, replacing a pending one';

-- The "Retry all failed images" button: resets retry_count to 0 for the device's failed images,
-- resolves their open timeout alerts (the user acted on them; a new cycle of failures may raise
-- them again) and queues a retry for each; returns the number queued. Raises like
-- require_device_access (22004 for NULL, P0002 for an unknown or hidden device).
CREATE FUNCTION devicewake.retry_failed_images(p_device_id uuid) RETURNS integer
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_images uuid[];
BEGIN
    PERFORM devicewake.require_device_access(p_device_id);
    -- lock first, then queue in statements whose snapshots see what a concurrent call committed
    PERFORM FROM devicewake.device_images i
    WHERE i.device_id = p_device_id AND i.status = 'failed' ORDER BY i.image_id FOR UPDATE;
    WITH targets AS (
        UPDATE devicewake.device_images i SET retry_count = 0
        WHERE i.device_id = p_device_id AND i.status = 'failed'
        RETURNING i.image_id),
    resolved AS (
        UPDATE devicewake.device_alerts a SET resolved_at = pg_catalog.now()
        FROM targets t WHERE a.image_id = t.image_id
          AND a.alert_type = 'image_transmission_failed' AND a.resolved_at IS NULL)
    SELECT pg_catalog.array_agg(t.image_id) INTO v_images FROM targets t;
    RETURN (SELECT pg_catalog.count(*) FROM devicewake._queue_image_retries(v_images))::integer;
END
$$;
COMMENT ON FUNCTION devicewake.retry_failed_images(uuid) IS
    'resets retry_count of the device''s failed images to 0 and queues a retry for each';

-- ---------------------------------------------------------------- the schedule (pg_cron)
CREATE FUNCTION devicewake.schedule_timeout_monitor(p_schedule text DEFAULT '*/5 * * * *')
    RETURNS bigint
    LANGUAGE c VOLATILE CALLED ON NULL INPUT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'devicewake_schedule_timeout_monitor';
COMMENT ON FUNCTION devicewake.schedule_timeout_monitor(text) IS
    'runs timeout_stale_images() as pg_cron job devicewake_timeout_monitor (re-schedules if present)';

CREATE FUNCTION devicewake.unschedule_timeout_monitor() RETURNS boolean
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'devicewake_unschedule_timeout_monitor';

REVOKE ALL ON FUNCTION devicewake._retry_should_queue(integer, integer),
    devicewake._retry_should_alert(integer, integer), devicewake._retry_scheduled_for(timestamptz),
    devicewake._retry_expires_at(timestamptz), devicewake._queue_image_retries(uuid[]),
    devicewake.timeout_stale_images(), devicewake.queue_image_retry(uuid),
    devicewake.retry_failed_images(uuid), devicewake.schedule_timeout_monitor(text),
    devicewake.unschedule_timeout_monitor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.queue_image_retry(uuid), devicewake.retry_failed_images(uuid)
    TO devicewake_operator;
GRANT EXECUTE ON FUNCTION devicewake.timeout_stale_images(), devicewake.schedule_timeout_monitor(text),
    devicewake.unschedule_timeout_monitor() TO devicewake_admin;

-- ===== sql/install/39_wake_conversation.sql
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

-- ===== sql/install/40_image_views.sql
-- Views for DBAs and dashboards on uploads and commands (DESIGN §5). security_invoker: a reader
-- sees through them exactly the rows the tables' policies let it see.

-- Per device: the yellow "[1 pending]" (uploads in flight) and red "[2 failed]" badges, and the
-- failed images with their retry count and reason (newest failure first).
CREATE VIEW devicewake.device_image_summary WITH (security_invoker = true) AS
SELECT d.device_id,
       d.device_mac,
       d.device_name,
       coalesce(c.pending_count, 0) AS pending_count,
       coalesce(c.failed_count, 0) AS failed_count,
       coalesce(c.failed_images, '[]'::jsonb) AS failed_images
FROM devicewake.devices d
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE i.status = 'receiving') AS pending_count,
           count(*) FILTER (WHERE i.status = 'failed') AS failed_count,
           jsonb_agg(jsonb_build_object(
                   'image_id', i.image_id, 'image_name', i.image_name,
                   'retry_count', i.retry_count, 'max_retries', i.max_retries,
                   'timeout_reason', i.timeout_reason, 'failed_at', i.failed_at)
               ORDER BY i.failed_at DESC NULLS LAST, i.image_name)
               FILTER (WHERE i.status = 'failed') AS failed_images
    FROM devicewake.device_images i
    WHERE i.device_id = d.device_id AND i.status IN ('receiving', 'failed')
) c ON true;

-- Exactly the images timeout_stale_images() would fail now, and what it would do with each.
CREATE VIEW devicewake.stale_images WITH (security_invoker = true) AS
SELECT i.image_id,
       i.device_id,
       d.device_mac,
       i.image_name,
       i.received_chunks,
       i.total_chunks,
       i.retry_count,
       i.max_retries,
       d.next_wake_at,
       now() - d.next_wake_at AS overdue_by,
       i.retry_count < i.max_retries AS will_queue_retry,
       i.retry_count >= i.max_retries - 1 AS will_raise_alert
FROM devicewake.device_images i
JOIN devicewake.devices d ON d.device_id = i.device_id
WHERE i.status = 'receiving' AND d.next_wake_at <= now();

-- Commands not yet final (pending or sent), in dispatch order. state: scheduled (not yet due),
-- due (pending, deliverable now), sent (published, awaiting the device's acknowledgement),
-- expired (past expires_at, the next sweep marks it). overdue_by: how long a due command has
-- waited since it became due.
CREATE VIEW devicewake.command_queue WITH (security_invoker = true) AS
SELECT c.command_id,
       c.device_id,
       d.device_mac,
       c.command_type,
       c.priority,
       c.status,
       CASE WHEN c.expires_at <= now() THEN 'expired'
            WHEN c.status = 'sent' THEN 'sent'
            WHEN coalesce(c.scheduled_for, c.issued_at) <= now() THEN 'due'
            ELSE 'scheduled' END AS state,
       c.status = 'pending' AND coalesce(c.scheduled_for, c.issued_at) <= now()
           AND c.expires_at > now() AS is_due,
       CASE WHEN c.status = 'pending' AND coalesce(c.scheduled_for, c.issued_at) <= now()
            THEN now() - coalesce(c.scheduled_for, c.issued_at) END AS overdue_by,
       now() - c.issued_at AS age,
       c.scheduled_for,
       c.expires_at,
       c.issued_at,
       c.delivered_at,
       c.retry_count,
       c.command_payload
FROM devicewake.device_commands c
JOIN devicewake.devices d ON d.device_id = c.device_id
-- (a wake conversation's message is done once sent: cameras do not acknowledge them)
WHERE c.status = 'pending' OR (c.status = 'sent' AND c.session_id IS NULL)
ORDER BY c.priority DESC, coalesce(c.scheduled_for, c.issued_at), c.issued_at;

GRANT SELECT ON devicewake.device_image_summary, devicewake.stale_images, devicewake.command_queue
    TO devicewake_viewer;

-- ===== sql/install/45_fleet_views.sql
-- Dashboard views of DESIGN §5 about devices themselves: who asked which device to wake
-- (manual_wake_overrides) and which devices need attention (fleet_health). Both run with the
-- caller's privileges (security_invoker), so row-level security shows each user its own fleet.

-- Devices with an active manual-wake override, who asked (user id and display name) and when,
-- and the newest set_wake_schedule command still pending for it (NULL once sent).
CREATE VIEW devicewake.manual_wake_overrides WITH (security_invoker = true) AS
SELECT d.device_id,
       d.device_mac,
       d.device_name,
       d.site_id,
       d.next_wake_at               AS wake_at,
       d.manual_wake_requested_by   AS requested_by,
       u.display_name               AS requested_by_name,
       d.manual_wake_requested_at   AS requested_at,
       c.command_id,
       c.status                     AS command_status,
       c.command_payload            AS command_payload
FROM devicewake.devices d
LEFT JOIN devicewake.users u ON u.user_id = d.manual_wake_requested_by
LEFT JOIN LATERAL (
    SELECT c.command_id, c.status, c.command_payload
    FROM devicewake.device_commands c
    WHERE c.device_id = d.device_id AND c.command_type = 'set_wake_schedule'
      AND c.status = 'pending'
    ORDER BY c.issued_at DESC, c.command_id
    LIMIT 1) c ON true
WHERE d.manual_wake_override;

-- Active devices that need attention, one row per device and reason:
--   missed_wake   next_wake_at is more than 15 minutes past and no HELLO came since it;
--   low_battery   battery_voltage below 3.4 V (a 1-cell Li-ion under load is nearly empty there);
--   offline       last seen more than 24 hours ago (or never, for a device registered that long ago).
-- details says by how much.
CREATE VIEW devicewake.fleet_health WITH (security_invoker = true) AS
SELECT d.device_id, d.device_mac, d.device_name, d.site_id, r.reason, r.details,
       d.next_wake_at, d.last_seen_at, d.battery_voltage
FROM devicewake.devices d
CROSS JOIN LATERAL (
    SELECT 'missed_wake'::text AS reason,
           'expected at ' || d.next_wake_at::text || ', overdue by '
               || date_trunc('second', now() - d.next_wake_at)::text AS details
    WHERE d.next_wake_at < now() - interval '15 minutes'
      AND (d.last_seen_at IS NULL OR d.last_seen_at < d.next_wake_at)
    UNION ALL
    SELECT 'low_battery', d.battery_voltage::text || ' V (threshold 3.4 V)'
    WHERE d.battery_voltage < 3.4
    UNION ALL
    SELECT 'offline',
           coalesce('last seen ' || date_trunc('second', now() - d.last_seen_at)::text || ' ago',
                    'never seen since registration ' || date_trunc('second', now() - d.created_at)::text || ' ago')
    WHERE coalesce(d.last_seen_at, d.created_at) < now() - interval '24 hours') r
WHERE d.is_active;

COMMENT ON VIEW devicewake.manual_wake_overrides IS
    'Devices with an active manual-wake override: requester, time, pending set_wake_schedule command';
COMMENT ON VIEW devicewake.fleet_health IS
    'Active devices with a missed wake (15 min grace), low battery (< 3.4 V) or offline (> 24 h)';

-- ===== sql/install/50_security.sql
-- Privileges and row-level security (DESIGN §9, docs/security.md). Runs after every table,
-- function and view exists. The tables' owner (the superuser who created the extension, which is
-- also the worker's role) is not subject to RLS (ENABLE, not FORCE), nor are the SECURITY DEFINER
-- functions it owns: they check access themselves with devicewake.require_device_access.
--   viewer:   SELECT on the tables and views, rows of its companies only;
--   operator: the viewer's rows; writes only through SECURITY DEFINER functions;
--   admin:    every row; manages companies, users, memberships, sites and devices directly;
--   rejected_messages: admins only.

-- Nothing in the schema for PUBLIC: each function is granted to the roles that need it, where it
-- is defined; this also catches functions whose defining file forgot the REVOKE.
REVOKE ALL ON ALL TABLES IN SCHEMA devicewake FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA devicewake FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA devicewake FROM PUBLIC;
REVOKE ALL ON TYPE devicewake.time_zone_name FROM PUBLIC;
GRANT USAGE ON TYPE devicewake.time_zone_name TO devicewake_viewer;
-- used by CHECK constraints and domains, evaluated with the writer's privileges
GRANT EXECUTE ON FUNCTION devicewake.normalize_mac(text), devicewake.check_timezone(text)
    TO devicewake_viewer;

GRANT SELECT ON devicewake.companies, devicewake.users, devicewake.company_members,
    devicewake.sites, devicewake.devices, devicewake.device_wake_sessions,
    devicewake.device_images, devicewake.image_chunks, devicewake.device_commands,
    devicewake.device_alerts, devicewake.device_history,
    devicewake.manual_wake_overrides, devicewake.fleet_health
    TO devicewake_viewer;
GRANT SELECT ON devicewake.rejected_messages TO devicewake_admin;
GRANT INSERT, UPDATE, DELETE ON devicewake.companies, devicewake.users,
    devicewake.company_members, devicewake.sites, devicewake.devices TO devicewake_admin;

ALTER TABLE devicewake.companies ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.company_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.device_wake_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.device_images ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.image_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.device_commands ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.device_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.device_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.rejected_messages ENABLE ROW LEVEL SECURITY;

-- (SELECT f()) makes each helper an init plan, evaluated once per query rather than per row.

-- Fleet admins: every row, and writes where the table grants them.
CREATE POLICY fleet_admin_all ON devicewake.companies TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin())) WITH CHECK ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_all ON devicewake.users TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin())) WITH CHECK ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_all ON devicewake.company_members TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin())) WITH CHECK ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_all ON devicewake.sites TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin())) WITH CHECK ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_all ON devicewake.devices TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin())) WITH CHECK ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_read ON devicewake.device_wake_sessions FOR SELECT TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_read ON devicewake.device_images FOR SELECT TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_read ON devicewake.image_chunks FOR SELECT TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_read ON devicewake.device_commands FOR SELECT TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_read ON devicewake.device_alerts FOR SELECT TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_read ON devicewake.device_history FOR SELECT TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin()));
CREATE POLICY fleet_admin_read ON devicewake.rejected_messages FOR SELECT TO devicewake_admin
    USING ((SELECT devicewake.caller_is_fleet_admin()));

-- Members: read the rows of their companies.
CREATE POLICY member_read ON devicewake.companies FOR SELECT TO devicewake_viewer
    USING (company_id IN (SELECT devicewake.caller_company_ids()));
CREATE POLICY member_read ON devicewake.company_members FOR SELECT TO devicewake_viewer
    USING (company_id IN (SELECT devicewake.caller_company_ids()));
-- oneself, and the people one shares a company with (names of who asked for a wake)
CREATE POLICY member_read ON devicewake.users FOR SELECT TO devicewake_viewer
    USING (user_id = (SELECT devicewake.current_user_id())
           OR user_id IN (SELECT m.user_id FROM devicewake.company_members m
                          WHERE m.company_id IN (SELECT devicewake.caller_company_ids())));
CREATE POLICY member_read ON devicewake.sites FOR SELECT TO devicewake_viewer
    USING (site_id IN (SELECT devicewake.caller_site_ids()));
CREATE POLICY member_read ON devicewake.devices FOR SELECT TO devicewake_viewer
    USING (device_id IN (SELECT devicewake.caller_device_ids()));
CREATE POLICY member_read ON devicewake.device_wake_sessions FOR SELECT TO devicewake_viewer
    USING (device_id IN (SELECT devicewake.caller_device_ids()));
CREATE POLICY member_read ON devicewake.device_images FOR SELECT TO devicewake_viewer
    USING (device_id IN (SELECT devicewake.caller_device_ids()));
CREATE POLICY member_read ON devicewake.image_chunks FOR SELECT TO devicewake_viewer
    USING (image_id IN (SELECT i.image_id FROM devicewake.device_images i
                        WHERE i.device_id IN (SELECT devicewake.caller_device_ids())));
CREATE POLICY member_read ON devicewake.device_commands FOR SELECT TO devicewake_viewer
    USING (device_id IN (SELECT devicewake.caller_device_ids()));
CREATE POLICY member_read ON devicewake.device_alerts FOR SELECT TO devicewake_viewer
    USING (device_id IN (SELECT devicewake.caller_device_ids()));
CREATE POLICY member_read ON devicewake.device_history FOR SELECT TO devicewake_viewer
    USING (device_id IN (SELECT devicewake.caller_device_ids()));
