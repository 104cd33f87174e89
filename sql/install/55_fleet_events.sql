-- The change feed apps follow (issue 16): devicewake.events, one row per thing that happened to a
-- device (awake, image complete or failed, command acknowledged, alert raised or resolved, manual
-- wake confirmed or missed, campaign finished), written by AFTER triggers on the tables whose
-- state changes, readable under RLS by company. NOTIFY has no ACL, so devicewake_events carries
-- no payload: it only says "read events_since()". Runs after 50_security.sql: grants, RLS and
-- REVOKEs for what it creates are here.

CREATE TABLE devicewake.events (
    -- unique by construction (an identity nobody may set); not a key, since on Citus a key would
    -- have to include device_id, which the events of a campaign do not have
    event_id    bigint GENERATED ALWAYS AS IDENTITY,
    -- the writing transaction: the feed's order is (txid, event_id), see events_since()
    txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- the device's company when the event happened (NULL: an unassigned device, admins only)
    company_id  uuid REFERENCES devicewake.companies ON DELETE CASCADE,
    device_id   uuid REFERENCES devicewake.devices ON DELETE CASCADE,
    event_type  text NOT NULL CHECK (event_type IN (
                    'device_awake', 'image_complete', 'image_failed', 'command_acknowledged',
                    'alert_raised', 'alert_resolved', 'manual_wake_confirmed',
                    'manual_wake_missed', 'campaign_completed', 'campaign_aborted')),
    -- the session, image, command, alert, manual wake (its command) or campaign concerned
    subject_id  uuid,
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_feed_idx ON devicewake.events (txid, event_id);
CREATE INDEX events_company_idx ON devicewake.events (company_id, event_id);
CREATE INDEX events_created_idx ON devicewake.events (created_at);
COMMENT ON TABLE devicewake.events IS
    'Change feed by company (RLS): read with events_since(), woken by NOTIFY devicewake_events';

-- Appends events for the devices of p_rows (device_id, subject_id, data), with the company of
-- each device's site now. The one writer of devicewake.events. PL/pgSQL: Citus cannot plan a
-- parameterised SQL function's query of a distributed table, and a SQL function with a SET clause
-- is never inlined and plans its statement again at every call (about 0.3 ms, once per HELLO in
-- bench/ingest.sh); PL/pgSQL keeps the plan.
CREATE FUNCTION devicewake._append_events(p_type text, p_device_ids uuid[], p_subject_ids uuid[],
                                          p_data jsonb[])
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_company uuid;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        INSERT INTO devicewake.events (company_id, device_id, event_type, subject_id, data)
        SELECT s.company_id, r.device_id, p_type, r.subject_id, coalesce(r.data, '{}'::jsonb)
        FROM ROWS FROM (pg_catalog.unnest(p_device_ids), pg_catalog.unnest(p_subject_ids), pg_catalog.unnest(p_data)) AS r(device_id, subject_id, data)
        LEFT JOIN devicewake.devices d ON d.device_id = r.device_id
        LEFT JOIN devicewake.sites s ON s.site_id = d.site_id;
        RETURN;
    END IF;
    -- On Citus, one device at a time: a trigger on a shard may only run statements on that
    -- device's shards (on its own node), which one statement over several devices is not
    FOR i IN 1 .. coalesce(pg_catalog.array_length(p_device_ids, 1), 0) LOOP
        SELECT s.company_id INTO v_company
        FROM devicewake.devices d JOIN devicewake.sites s ON s.site_id = d.site_id
        WHERE d.device_id = p_device_ids[i];
        INSERT INTO devicewake.events (company_id, device_id, event_type, subject_id, data)
        VALUES (v_company, p_device_ids[i], p_type, p_subject_ids[i], coalesce(p_data[i], '{}'::jsonb));
    END LOOP;
END
$$;

-- A payload-free notification per statement that appended events (PostgreSQL folds the
-- repeats of one transaction into one). Not on a Citus shard (the trigger's table is then a shard
-- of events, named events_<shard>): the node's part of a transaction spanning nodes is prepared
-- (two-phase commit), which PostgreSQL refuses after a NOTIFY.
CREATE FUNCTION devicewake._notify_events() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF TG_TABLE_NAME = 'events' THEN
        PERFORM pg_catalog.pg_notify('devicewake_events', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON devicewake.events
    FOR EACH STATEMENT EXECUTE FUNCTION devicewake._notify_events();

-- The triggers' functions run as their owner: the rows they watch are also written by admins
-- directly (devices, sites), who may not write the feed.

-- A HELLO opened a wake session: device_awake (one statement, one pass).
CREATE FUNCTION devicewake._event_device_awake() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    PERFORM devicewake._append_events('device_awake',
        (SELECT pg_catalog.array_agg(n.device_id ORDER BY n.started_at) FROM opened n),
        (SELECT pg_catalog.array_agg(n.session_id ORDER BY n.started_at) FROM opened n),
        (SELECT pg_catalog.array_agg(pg_catalog.jsonb_build_object('relay', n.relay) ORDER BY n.started_at)
         FROM opened n));
    RETURN NULL;
END
$$;
CREATE TRIGGER wake_sessions_event AFTER INSERT ON devicewake.device_wake_sessions
    REFERENCING NEW TABLE AS opened
    FOR EACH STATEMENT EXECUTE FUNCTION devicewake._event_device_awake();

-- Row events. A row trigger per event calling SQL cost a PL/pgSQL call, a GUC save/restore and
-- a planned INSERT per row (a sweep failing 30,000 images spent most of its time there), so the
-- row triggers only queue (kind, subject id) in backend memory (C, src/pg/trigger_functions.cpp;
-- the WHEN clauses choose the rows without calling anything), and the statement trigger of the
-- same statement applies what was queued with one call of _apply_queued_rows, in the order the
-- row triggers fired. (Transition tables would copy every updated row of every statement, an
-- image's bytes included, and cannot be used with the column lists of these triggers.) The
-- manual wakes' told and cancelled outcomes (56_manual_wakes.sql) go through the same queue.
CREATE FUNCTION devicewake._queue_row_event() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'devicewake_queue_row_event';
CREATE FUNCTION devicewake._apply_queued() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'devicewake_apply_queued';

-- Applies what the row triggers of a statement queued, p_kinds[i] for the row p_ids[i] of the
-- device p_device_ids[i], as the rows are at the end of that statement (the values its row
-- triggers saw):
--   manual_wake_told, manual_wake_cancelled: the set_wake_schedule command p_ids[i] was sent or
--     acknowledged, or cancelled, while its manual wake was still requested (56_manual_wakes.sql);
--   the change feed's events, in that order: image_finished (image_complete or image_failed),
--     command_acknowledged, alert_resolved, manual_wake (manual_wake_confirmed or _missed).
-- Called by _apply_queued, the statement trigger. On Citus the trigger runs on a shard, where it
-- may only run statements on that device's shards: there the rows are applied one at a time, by
-- device (_apply_queued_row), in the same order and with the same outcome.
CREATE FUNCTION devicewake._apply_queued_rows(p_kinds text[], p_ids uuid[], p_device_ids uuid[])
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        FOR i IN 1 .. coalesce(pg_catalog.array_length(p_kinds, 1), 0) LOOP
            PERFORM devicewake._apply_queued_row(p_kinds[i], p_ids[i], p_device_ids[i]);
        END LOOP;
        RETURN;
    END IF;
    IF 'manual_wake_told' = ANY (p_kinds) OR 'manual_wake_cancelled' = ANY (p_kinds) THEN
        UPDATE devicewake.manual_wakes w
        SET state = q.outcome, state_at = pg_catalog.now(),
            told_at = CASE WHEN q.outcome = 'told' THEN pg_catalog.now() ELSE w.told_at END
        FROM (SELECT DISTINCT ON (u.id) u.id,
                     CASE u.kind WHEN 'manual_wake_told' THEN 'told' ELSE 'cancelled' END AS outcome
              FROM ROWS FROM (pg_catalog.unnest(p_kinds), pg_catalog.unnest(p_ids)) WITH ORDINALITY AS u(kind, id, n)
              WHERE u.kind IN ('manual_wake_told', 'manual_wake_cancelled')
              ORDER BY u.id, u.n) q
        WHERE w.command_id = q.id AND w.state = 'requested';
    END IF;
    -- (only when there are events: an INSERT of no rows would still notify devicewake_events)
    IF EXISTS (SELECT FROM pg_catalog.unnest(p_kinds) AS k(kind)
               WHERE k.kind NOT IN ('manual_wake_told', 'manual_wake_cancelled')) THEN
        INSERT INTO devicewake.events (company_id, device_id, event_type, subject_id, data)
        SELECT s.company_id, e.device_id, e.event_type, q.id, e.data
        FROM ROWS FROM (pg_catalog.unnest(p_kinds), pg_catalog.unnest(p_ids)) WITH ORDINALITY AS q(kind, id, n)
        CROSS JOIN LATERAL (
            SELECT i.device_id,
                   CASE i.status WHEN 'complete' THEN 'image_complete' ELSE 'image_failed' END,
                   pg_catalog.jsonb_build_object('image_name', i.image_name,
                                                 'retry_count', i.retry_count,
                                                 'reason', i.timeout_reason)
            FROM devicewake.device_images i WHERE q.kind = 'image_finished' AND i.image_id = q.id
            UNION ALL
            SELECT c.device_id, 'command_acknowledged',
                   pg_catalog.jsonb_build_object('command_type', c.command_type)
            FROM devicewake.device_commands c
            WHERE q.kind = 'command_acknowledged' AND c.command_id = q.id
            UNION ALL
            SELECT a.device_id, 'alert_resolved', pg_catalog.jsonb_build_object('alert_type', a.alert_type)
            FROM devicewake.device_alerts a WHERE q.kind = 'alert_resolved' AND a.alert_id = q.id
            UNION ALL
            SELECT w.device_id, 'manual_wake_' || w.state,
                   pg_catalog.jsonb_build_object('wake_at', w.wake_at, 'requested_by', w.requested_by,
                                                 'then_command_ids', pg_catalog.to_jsonb(w.then_command_ids))
            FROM devicewake.manual_wakes w WHERE q.kind = 'manual_wake' AND w.command_id = q.id
        ) e(device_id, event_type, data)
        LEFT JOIN devicewake.devices d ON d.device_id = e.device_id
        LEFT JOIN devicewake.sites s ON s.site_id = d.site_id
        ORDER BY q.n;
    END IF;
END
$$;

-- One queued row of _apply_queued_rows on Citus: every statement names the device, so each runs
-- on that device's shards. The steps of _apply_queued_rows for one row.
CREATE FUNCTION devicewake._apply_queued_row(p_kind text, p_id uuid, p_device_id uuid)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_now timestamptz := pg_catalog.now();
    v_type text;
    v_data jsonb;
    v_company uuid;
BEGIN
    IF p_kind IN ('manual_wake_told', 'manual_wake_cancelled') THEN
        IF p_kind = 'manual_wake_told' THEN
            UPDATE devicewake.manual_wakes w SET state = 'told', state_at = v_now, told_at = v_now
            WHERE w.device_id = p_device_id AND w.command_id = p_id AND w.state = 'requested';
        ELSE
            UPDATE devicewake.manual_wakes w SET state = 'cancelled', state_at = v_now
            WHERE w.device_id = p_device_id AND w.command_id = p_id AND w.state = 'requested';
        END IF;
        RETURN;
    ELSIF p_kind = 'image_finished' THEN
        SELECT CASE i.status WHEN 'complete' THEN 'image_complete' ELSE 'image_failed' END,
               pg_catalog.jsonb_build_object('image_name', i.image_name, 'retry_count', i.retry_count,
                                             'reason', i.timeout_reason)
        INTO v_type, v_data
        FROM devicewake.device_images i WHERE i.device_id = p_device_id AND i.image_id = p_id;
    ELSIF p_kind = 'command_acknowledged' THEN
        SELECT 'command_acknowledged', pg_catalog.jsonb_build_object('command_type', c.command_type)
        INTO v_type, v_data
        FROM devicewake.device_commands c WHERE c.device_id = p_device_id AND c.command_id = p_id;
    ELSIF p_kind = 'alert_resolved' THEN
        SELECT 'alert_resolved', pg_catalog.jsonb_build_object('alert_type', a.alert_type)
        INTO v_type, v_data
        FROM devicewake.device_alerts a WHERE a.device_id = p_device_id AND a.alert_id = p_id;
    ELSIF p_kind = 'manual_wake' THEN
        SELECT 'manual_wake_' || w.state,
               pg_catalog.jsonb_build_object('wake_at', w.wake_at, 'requested_by', w.requested_by,
                                             'then_command_ids', pg_catalog.to_jsonb(w.then_command_ids))
        INTO v_type, v_data
        FROM devicewake.manual_wakes w WHERE w.device_id = p_device_id AND w.command_id = p_id;
    END IF;
    IF v_type IS NULL THEN
        RETURN;
    END IF;
    SELECT s.company_id INTO v_company
    FROM devicewake.devices d JOIN devicewake.sites s ON s.site_id = d.site_id
    WHERE d.device_id = p_device_id;
    INSERT INTO devicewake.events (company_id, device_id, event_type, subject_id, data)
    VALUES (v_company, p_device_id, v_type, p_id, v_data);
END
$$;

-- An image became complete or failed.
CREATE TRIGGER device_images_event AFTER UPDATE OF status ON devicewake.device_images
    FOR EACH ROW WHEN (NEW.status IN ('complete', 'failed') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION devicewake._queue_row_event('image_finished', 'image_id');
CREATE TRIGGER device_images_queue_apply AFTER UPDATE ON devicewake.device_images
    FOR EACH STATEMENT EXECUTE FUNCTION devicewake._apply_queued();

-- The device acknowledged a command.
CREATE TRIGGER device_commands_event AFTER UPDATE OF status ON devicewake.device_commands
    FOR EACH ROW WHEN (NEW.status = 'acknowledged' AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION devicewake._queue_row_event('command_acknowledged', 'command_id');
CREATE TRIGGER device_commands_queue_apply AFTER UPDATE ON devicewake.device_commands
    FOR EACH STATEMENT EXECUTE FUNCTION devicewake._apply_queued();

-- Alerts raised (one statement, one pass: the sweep raises many at once) and resolved.
CREATE FUNCTION devicewake._event_alert_raised() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    PERFORM devicewake._append_events('alert_raised',
        (SELECT pg_catalog.array_agg(n.device_id ORDER BY n.created_at) FROM raised n),
        (SELECT pg_catalog.array_agg(n.alert_id ORDER BY n.created_at) FROM raised n),
        (SELECT pg_catalog.array_agg(pg_catalog.jsonb_build_object(
                    'alert_type', n.alert_type, 'severity', n.severity) ORDER BY n.created_at)
         FROM raised n));
    RETURN NULL;
END
$$;
CREATE TRIGGER device_alerts_raised_event AFTER INSERT ON devicewake.device_alerts
    REFERENCING NEW TABLE AS raised
    FOR EACH STATEMENT EXECUTE FUNCTION devicewake._event_alert_raised();

CREATE TRIGGER device_alerts_resolved_event AFTER UPDATE OF resolved_at ON devicewake.device_alerts
    FOR EACH ROW WHEN (OLD.resolved_at IS NULL AND NEW.resolved_at IS NOT NULL)
    EXECUTE FUNCTION devicewake._queue_row_event('alert_resolved', 'alert_id');
CREATE TRIGGER device_alerts_queue_apply AFTER UPDATE ON devicewake.device_alerts
    FOR EACH STATEMENT EXECUTE FUNCTION devicewake._apply_queued();

-- The caller's events after p_after, oldest first, at most p_limit (1..1000) of them. Runs with
-- the caller's privileges: RLS on devicewake.events decides which companies' events it sees, so
-- it is safe through PostgREST's rpc. Pass 0 first, then the event_id of the last row returned.
-- The order is (txid, event_id), and only events of transactions older than every transaction
-- still running are returned: an event whose id was taken by a transaction that commits later
-- can then never appear behind a cursor already handed out. (A cursor no longer in the table,
-- pruned by prune_events, continues with the events of higher ids.)
-- Raises 22004 for a NULL argument and 22023 for a limit outside 1..1000.
CREATE FUNCTION devicewake.events_since(p_after bigint, p_limit integer DEFAULT 100)
    RETURNS SETOF devicewake.events
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_txid xid8;
BEGIN
    IF p_after IS NULL OR p_limit IS NULL THEN
        RAISE EXCEPTION 'events_since arguments must not be null' USING ERRCODE = '22004';
    END IF;
    IF p_limit NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 1000'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Asked for %s events.', p_limit);
    END IF;
    SELECT e.txid INTO v_txid FROM devicewake.events e WHERE e.event_id = p_after;
    RETURN QUERY
    SELECT e.* FROM devicewake.events e
    WHERE e.txid < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
      AND CASE WHEN v_txid IS NULL THEN e.event_id > p_after
               ELSE (e.txid, e.event_id) > (v_txid, p_after) END
    ORDER BY e.txid, e.event_id
    LIMIT p_limit;
END
$$;

-- Retention: deletes events older than p_keep (default 7 days) and returns how many. For a
-- pg_cron job, e.g. SELECT cron.schedule('devicewake-prune-events', '17 3 * * *',
-- $$SELECT devicewake.prune_events()$$). Raises 22004 for NULL and 22023 for p_keep < 1 hour.
CREATE FUNCTION devicewake.prune_events(p_keep interval DEFAULT interval '7 days') RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_count bigint;
BEGIN
    IF p_keep IS NULL THEN
        RAISE EXCEPTION 'retention must not be null' USING ERRCODE = '22004';
    END IF;
    IF p_keep < interval '1 hour' THEN
        RAISE EXCEPTION 'retention must be at least 1 hour'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Asked to keep %s.', p_keep);
    END IF;
    DELETE FROM devicewake.events e WHERE e.created_at < pg_catalog.now() - p_keep;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

ALTER TABLE devicewake.events ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON devicewake.events TO devicewake_viewer;
CREATE POLICY fleet_admin_read ON devicewake.events FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());
CREATE POLICY member_read ON devicewake.events FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_company(company_id));

REVOKE ALL ON FUNCTION devicewake._append_events(text, uuid[], uuid[], jsonb[]),
    devicewake._notify_events(), devicewake._event_device_awake(),
    devicewake._queue_row_event(), devicewake._apply_queued(),
    devicewake._apply_queued_rows(text[], uuid[], uuid[]), devicewake._apply_queued_row(text, uuid, uuid),
    devicewake._event_alert_raised(),
    devicewake.events_since(bigint, integer), devicewake.prune_events(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.events_since(bigint, integer) TO devicewake_viewer;
GRANT EXECUTE ON FUNCTION devicewake.prune_events(interval) TO devicewake_admin;
