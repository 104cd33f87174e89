-- Citus (docs/design.md §10): devicewake.distribute_on_citus(), run once on the coordinator after
-- CREATE EXTENSION pg_devicewake on every node, distributes every device table by device_id,
-- co-located (a device's rows, whatever the table, are on one node), and makes the tables every
-- node reads whole (companies, sites, the identity tables, the device directory, campaigns)
-- reference tables. Citus calls are made by name at run time: on a server without Citus the
-- function raises before reaching one.

-- The tables distribute_on_citus() distributes by device_id, in an order in which every table a
-- foreign key refers to comes first; and the reference tables, likewise.
CREATE FUNCTION devicewake._citus_tables(OUT table_name regclass, OUT reference boolean)
    RETURNS SETOF record
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS
$$
    SELECT t.name::regclass, t.reference
    FROM (VALUES (1, 'devicewake.companies', true), (2, 'devicewake.users', true),
                 (3, 'devicewake.company_members', true), (4, 'devicewake.sites', true),
                 (5, 'devicewake.device_directory', true), (6, 'devicewake.campaigns', true),
                 (7, 'devicewake.devices', false), (8, 'devicewake.device_wake_sessions', false),
                 (9, 'devicewake.device_images', false), (10, 'devicewake.image_chunks', false),
                 (11, 'devicewake.device_commands', false), (12, 'devicewake.device_alerts', false),
                 (13, 'devicewake.device_history', false), (14, 'devicewake.manual_wakes', false),
                 (15, 'devicewake.campaign_targets', false), (16, 'devicewake.events', false))
         AS t(ord, name, reference)
    ORDER BY t.ord
$$;

-- Distributes the schema on the Citus cluster this database is the coordinator of. Raises 42704
-- when Citus is not installed in this database, 55000 when this is not the coordinator, when it
-- has no worker node, or when a node lacks pg_devicewake at this version; a table distributed
-- already is left as it is, so a second call changes nothing. Returns the tables it distributed.
CREATE FUNCTION devicewake.distribute_on_citus() RETURNS SETOF regclass
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_version text;
    v_missing text;
    t record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'extension "citus" is not installed in this database'
            USING ERRCODE = '42704',
                  HINT = 'Install Citus 13.2 on every node (postgresql-15-citus-13.2), put citus first in '
                         'shared_preload_libraries, CREATE EXTENSION citus and then pg_devicewake on every '
                         'node, add the workers with citus_add_node, then call this on the coordinator.';
    END IF;
    IF NOT pg_catalog.citus_is_coordinator() THEN
        RAISE EXCEPTION 'distribute_on_citus() runs on the Citus coordinator'
            USING ERRCODE = '55000';
    END IF;
    SELECT e.extversion INTO v_version FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_devicewake';
    -- Citus does not create the tables an extension owns on the workers: each node must have its own
    SELECT pg_catalog.string_agg(w.nodename || ':' || w.nodeport, ', ' ORDER BY w.nodename, w.nodeport)
    INTO v_missing
    FROM pg_catalog.run_command_on_workers(
        $q$SELECT coalesce((SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_devicewake'), 'none')$q$) w
    WHERE NOT w.success OR w.result IS DISTINCT FROM v_version;
    IF NOT EXISTS (SELECT FROM pg_catalog.citus_get_active_worker_nodes()) THEN
        RAISE EXCEPTION 'the Citus cluster has no worker node'
            USING ERRCODE = '55000', HINT = 'Add the workers with citus_add_node first.';
    END IF;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION 'pg_devicewake % is not installed on every Citus node', v_version
            USING ERRCODE = '55000',
                  DETAIL = pg_catalog.format('Nodes without it at this version: %s.', v_missing),
                  HINT = 'Run CREATE EXTENSION pg_devicewake (or ALTER EXTENSION pg_devicewake UPDATE) on those nodes.';
    END IF;
    -- the row triggers of the device tables run on the shards, on each row's node (their writes
    -- stay on that device's shards: co-located); one transaction distributes tables with foreign
    -- keys to the reference tables it creates; and a table whose referring tables are still
    -- local (they come later in the list) stays the extension's table rather than being converted
    -- to a Citus local table, which would replace it by a copy that is not the extension's
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
    PERFORM pg_catalog.set_config('citus.enable_local_reference_table_foreign_keys', 'off', true);
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    FOR t IN SELECT * FROM devicewake._citus_tables() LOOP
        CONTINUE WHEN EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = t.table_name);
        IF t.reference THEN
            PERFORM pg_catalog.create_reference_table(t.table_name);
        ELSE
            PERFORM pg_catalog.create_distributed_table(t.table_name, 'device_id',
                                                        colocate_with => CASE WHEN t.table_name = 'devicewake.devices'::regclass
                                                                              THEN 'default' ELSE 'devicewake.devices' END);
        END IF;
        RETURN NEXT t.table_name;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION devicewake._citus_tables(), devicewake.distribute_on_citus() FROM PUBLIC;
