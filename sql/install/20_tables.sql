-- The data model of docs/design.md §2. Every table is keyed and joined by device_id (docs/design.md §10):
-- the key of every device table and each of its unique constraints include device_id, and its
-- foreign keys to other device tables carry device_id too, so that on Citus every table of a
-- device distributes by device_id on the same node (devicewake.distribute_on_citus()). A device's
-- MAC is unique through devicewake.device_directory (21_device_directory.sql).
-- Status vocabularies are CHECK constraints; indexes serve the sweep and the dispatcher.

CREATE TABLE devicewake.companies (
    company_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- People and services that act on devices. Identity (docs/design.md §9): the JWT subject when present,
-- otherwise the row bound to the database role: role_name as written, role_oid the OID of that
-- role when the row was written (set by a trigger, 22_identity.sql; what identity compares).
CREATE TABLE devicewake.users (
    user_id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role_name     name UNIQUE,
    display_name  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    role_oid      oid UNIQUE
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
    device_mac                text NOT NULL
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
CREATE INDEX devices_mac_idx ON devicewake.devices (device_mac);
-- auto-registrations per minute (devicewake._admit_device)
CREATE INDEX devices_unassigned_created_idx ON devicewake.devices (created_at) WHERE site_id IS NULL;
CREATE INDEX devices_next_wake_idx ON devicewake.devices (next_wake_at);

CREATE TABLE devicewake.device_wake_sessions (
    session_id      uuid NOT NULL DEFAULT gen_random_uuid(),
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
    CHECK ((status = 'in_progress') = (ended_at IS NULL)),
    PRIMARY KEY (session_id, device_id)
);
-- at most one open wake session per device
CREATE UNIQUE INDEX device_wake_sessions_open_idx
    ON devicewake.device_wake_sessions (device_id) WHERE status = 'in_progress';
CREATE INDEX device_wake_sessions_device_idx
    ON devicewake.device_wake_sessions (device_id, started_at DESC);

CREATE TABLE devicewake.device_images (
    image_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    device_id        uuid NOT NULL REFERENCES devicewake.devices ON DELETE CASCADE,
    -- its wake session (a session that still has images cannot be deleted: nothing received is
    -- thrown away, and a distribution key is never set to NULL)
    session_id       uuid,
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
    -- bytes of the chunks stored (the running total, checked before each chunk is kept: #14 item 3)
    received_bytes   bigint NOT NULL DEFAULT 0 CHECK (received_bytes >= 0),
    UNIQUE (device_id, image_name),
    CHECK (total_chunks IS NULL OR received_chunks <= total_chunks),
    CHECK (status <> 'complete' OR image_data IS NOT NULL),
    PRIMARY KEY (image_id, device_id),
    FOREIGN KEY (session_id, device_id) REFERENCES devicewake.device_wake_sessions (session_id, device_id)
);
-- the sweep reads only uploads in flight
CREATE INDEX device_images_receiving_idx
    ON devicewake.device_images (device_id) WHERE status = 'receiving';
CREATE INDEX device_images_failed_idx
    ON devicewake.device_images (device_id) WHERE status = 'failed';

-- Chunk bytes as received, per (image, chunk index counted from 0). Duplicates are idempotent.
CREATE TABLE devicewake.image_chunks (
    image_id     uuid NOT NULL,
    chunk_index  integer NOT NULL CHECK (chunk_index >= 0),
    data         bytea NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    -- the image's device (its distribution key)
    device_id    uuid NOT NULL,
    PRIMARY KEY (image_id, chunk_index, device_id),
    FOREIGN KEY (image_id, device_id) REFERENCES devicewake.device_images (image_id, device_id)
        ON DELETE CASCADE
);

CREATE TABLE devicewake.device_commands (
    command_id          uuid NOT NULL DEFAULT gen_random_uuid(),
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
    -- dispatcher bookkeeping: a claim is taken in the database before publishing (docs/design.md §6)
    -- (meaningful only while pending; un-PUBACKed claims return to pending at worker start)
    claimed_at          timestamptz,
    publish_count       integer NOT NULL DEFAULT 0 CHECK (publish_count >= 0),
    -- the wake session whose conversation queued it (NULL: an application's command); such a
    -- command goes out after the device's due application commands and dies with the session
    session_id          uuid,
    PRIMARY KEY (command_id, device_id)
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
    alert_id     uuid NOT NULL DEFAULT gen_random_uuid(),
    device_id    uuid NOT NULL REFERENCES devicewake.devices ON DELETE CASCADE,
    image_id     uuid,
    alert_type   text NOT NULL,
    severity     text NOT NULL CHECK (severity IN ('info', 'warning', 'error', 'critical')),
    message      text NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}',
    -- the image's retry_count after the failure this alert reports (NULL for other alerts)
    attempt      integer,
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz,
    PRIMARY KEY (alert_id, device_id),
    FOREIGN KEY (image_id, device_id) REFERENCES devicewake.device_images (image_id, device_id)
        ON DELETE CASCADE
);
CREATE INDEX device_alerts_device_idx ON devicewake.device_alerts (device_id, created_at DESC);
-- one open alert per image, type and attempt: overlapping sweeps cannot raise it twice
CREATE UNIQUE INDEX device_alerts_image_attempt_idx
    ON devicewake.device_alerts (image_id, alert_type, attempt, device_id) WHERE resolved_at IS NULL;
CREATE INDEX device_alerts_open_idx ON devicewake.device_alerts (image_id) WHERE resolved_at IS NULL;

-- Append-only event log.
CREATE TABLE devicewake.device_history (
    history_id  bigint GENERATED ALWAYS AS IDENTITY,
    device_id   uuid NOT NULL REFERENCES devicewake.devices ON DELETE CASCADE,
    session_id  uuid,
    event_type  text NOT NULL,
    event_data  jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (history_id, device_id)
);
CREATE INDEX device_history_device_idx ON devicewake.device_history (device_id, created_at DESC);

-- Inbound MQTT messages that could not be applied: kept, never dropped silently, and bounded
-- (#14 item 4): payload holds at most the first 64 KiB, payload_length and payload_sha256 describe
-- the whole message (NULL on rows written before 1.1: their payload is whole). The sweep deletes
-- rows older than devicewake.rejected_retention.
CREATE TABLE devicewake.rejected_messages (
    rejected_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic           text NOT NULL,
    payload         bytea NOT NULL,
    reason          text NOT NULL,
    device_mac      text,
    received_at     timestamptz NOT NULL DEFAULT now(),
    payload_length  bigint CHECK (payload_length >= 0),
    payload_sha256  bytea CHECK (length(payload_sha256) = 32)
);
CREATE INDEX rejected_messages_received_idx ON devicewake.rejected_messages (received_at DESC);
