# Upgrade path: every older version of pg_devicewake that has an update path to default_version is
# installed in a scratch database and walked with ALTER EXTENSION UPDATE; its catalog (functions
# with their bodies, settings and privileges; tables, columns, constraints, indexes, triggers,
# policies, views, comments) must equal a fresh install of default_version, and the rows a fleet had
# under the old version (a company, a site, a device mid-upload with chunks, commands, an alert,
# history) must still be there and still work after the update. The same comparison checks that
# DROP EXTENSION removes everything and a CREATE after it gives back exactly the fresh install.
source "$(dirname "$0")/lib.sh"

EXT=pg_devicewake
FRESH=dw_upgrade_fresh
WALK=dw_upgrade_walk

qd() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# The catalog of schema devicewake as sorted text lines, one object (or column) a line.
snapshot() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT 'function ' || p.oid::regprocedure::text || ' returns ' || pg_get_function_result(p.oid)
       || ' ' || p.provolatile::text || p.proparallel::text || ' secdef=' || p.prosecdef || ' strict=' || p.proisstrict
       || ' config=' || coalesce(array_to_string(p.proconfig, ','), '')
       || ' acl=' || coalesce(p.proacl::text, 'default') || ' lang=' || l.lanname
       || ' src=' || md5(p.prosrc || coalesce(p.probin, ''))
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'devicewake'::regnamespace
UNION ALL
SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text || ' rls=' || c.relrowsecurity
       || ' force_rls=' || c.relforcerowsecurity || ' acl=' || coalesce(c.relacl::text, 'default')
       || ' options=' || coalesce(array_to_string(c.reloptions, ','), '')
FROM pg_class c WHERE c.relnamespace = 'devicewake'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' notnull=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
       || ' pos=' || a.attnum
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace = 'devicewake'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE c.relnamespace = 'devicewake'::regnamespace
UNION ALL
SELECT 'domain-constraint ' || t.typname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_type t ON t.oid = k.contypid
WHERE t.typnamespace = 'devicewake'::regnamespace
UNION ALL
SELECT 'type ' || t.typname || ' ' || t.typtype::text
FROM pg_type t WHERE t.typnamespace = 'devicewake'::regnamespace AND t.typtype IN ('d', 'e', 'c')
  AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
UNION ALL
SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'devicewake'
UNION ALL
SELECT 'trigger ' || c.relname || ' ' || pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'devicewake'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT 'policy ' || tablename || ' ' || policyname || ' ' || permissive || ' ' || array_to_string(roles, ',')
       || ' ' || cmd || ' using=' || regexp_replace(coalesce(qual, ''), '\s+', ' ', 'g') || ' check=' || regexp_replace(coalesce(with_check, ''), '\s+', ' ', 'g')
FROM pg_policies WHERE schemaname = 'devicewake'
UNION ALL
SELECT 'view ' || viewname || ' ' || md5(definition) FROM pg_views WHERE schemaname = 'devicewake'
UNION ALL
SELECT 'comment ' || d.classoid::regclass::text || ' ' || d.objsubid || ' '
       || coalesce(p.oid::regprocedure::text, c.relname, '?') || ' ' || md5(d.description)
FROM pg_description d
LEFT JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid
LEFT JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
WHERE coalesce(p.pronamespace, c.relnamespace) = 'devicewake'::regnamespace
UNION ALL
SELECT 'schema-acl ' || coalesce(nspacl::text, 'default') FROM pg_namespace WHERE nspname = 'devicewake'
ORDER BY 1;
SQL
}

# compare_snapshots NAME_A FILE_A NAME_B FILE_B DESCRIPTION
compare_snapshots() {
  if diff -u "$2" "$4" >"$DW_RUN/upgrade.diff"; then
    ok 0 "$5"
  else
    ok 1 "$5"
    sed -e 's/^/#   /' "$DW_RUN/upgrade.diff" | head -n 60 >&2
  fi
}

for db in $FRESH $WALK; do
  qd postgres "DROP DATABASE IF EXISTS $db" >/dev/null
  qd postgres "CREATE DATABASE $db" >/dev/null
done

# A released install script is frozen: users who installed it have exactly these bytes.
is "$(sha256sum "$(dirname "$0")/../../sql/$EXT--1.0.sql" | cut -d' ' -f1)" \
  "2a2c27f905a6c55c7f2e19785ccbdd50270e8060b50e21402f6cdad97398830b" "sql/$EXT--1.0.sql is the 1.0 release, unchanged"

default=$(qd postgres "SELECT default_version FROM pg_available_extensions WHERE name = '$EXT'")
ok $([ -n "$default" ]; echo $?) "the extension is available (default_version $default)"

qd $FRESH "CREATE EXTENSION $EXT" >/dev/null
snapshot $FRESH >"$DW_RUN/upgrade.fresh"
objects=$(wc -l <"$DW_RUN/upgrade.fresh")
ok $([ "$objects" -gt 100 ]; echo $?) "a fresh install's catalog snapshot lists its objects ($objects lines)"
for kind in function relation column constraint index trigger policy view; do
  grep -q "^$kind " "$DW_RUN/upgrade.fresh"; ok $? "the snapshot covers ${kind}s"
done

# Every version with an update path to default_version (ALTER EXTENSION walks the path).
olds=$(qd $FRESH "SELECT source FROM pg_extension_update_paths('$EXT')
                  WHERE target = '$default' AND path IS NOT NULL AND source <> '$default'
                  ORDER BY string_to_array(source, '.')::int[]")
shipped=$(ls "$(dirname "$0")/../../sql/"$EXT--*--*.sql 2>/dev/null | wc -l)
if [ "$shipped" -gt 0 ]; then
  ok $([ -n "$olds" ]; echo $?) "the $shipped upgrade script(s) in sql/ give an update path to $default"
fi

# A small fleet as every version since 1.0 stores it (only columns 1.0 has), with fixed ids.
seed_fleet() {
  qd "$1" "
INSERT INTO devicewake.companies (company_id, name) VALUES ('00000000-0000-0000-0000-0000000000c1', 'Upgrade Co');
INSERT INTO devicewake.sites (site_id, name, timezone, wake_schedule_cron, company_id)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'Upgrade site', 'Europe/Berlin', '0 8,16 * * *',
        '00000000-0000-0000-0000-0000000000c1');
INSERT INTO devicewake.devices (device_id, device_mac, device_name, site_id, next_wake_at)
VALUES ('00000000-0000-0000-0000-0000000000d1', 'B8F862F9C1C4', 'upgrade cam',
        '00000000-0000-0000-0000-0000000000a1', '2026-12-02 07:00+00'),
       ('00000000-0000-0000-0000-0000000000d2', 'B8F862F9C1C5', 'upgrade cam 2',
        '00000000-0000-0000-0000-0000000000a1', NULL);
INSERT INTO devicewake.device_wake_sessions (session_id, device_id)
VALUES ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000d1');
INSERT INTO devicewake.device_images (image_id, device_id, session_id, image_name, status, total_chunks,
                                      received_chunks, image_size)
VALUES ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000d1',
        '00000000-0000-0000-0000-0000000000e1', 'image_1.jpg', 'receiving', 3, 2, 6);
INSERT INTO devicewake.image_chunks (image_id, chunk_index, data)
VALUES ('00000000-0000-0000-0000-0000000000f1', 0, '\\xffd8'), ('00000000-0000-0000-0000-0000000000f1', 2, '\\xffd9');
INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
VALUES ('00000000-0000-0000-0000-0000000000d1', 'capture_image', '{}'),
       ('00000000-0000-0000-0000-0000000000d2', 'ping', '{}');
INSERT INTO devicewake.device_alerts (device_id, image_id, alert_type, severity, message)
VALUES ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000f1',
        'image_failed', 'warning', 'upgrade test alert');
INSERT INTO devicewake.device_history (device_id, event_type, event_data)
VALUES ('00000000-0000-0000-0000-0000000000d1', 'hello', '{}');" >/dev/null
}
# Row counts of every table of schema devicewake, one "table rows" a line.
row_counts() {
  qd "$1" "SELECT string_agg(format('%s %s', c.relname,
                 (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM devicewake.%I', c.relname),
                                                      false, true, '')))[1]::text), E'\n' ORDER BY c.relname)
           FROM pg_class c WHERE c.relnamespace = 'devicewake'::regnamespace AND c.relkind IN ('r', 'p')"
}

for old in $olds; do
  qd $WALK "DROP EXTENSION IF EXISTS $EXT CASCADE" >/dev/null 2>&1
  qd $WALK "CREATE EXTENSION $EXT VERSION '$old'" >/dev/null
  is "$(qd $WALK "SELECT extversion FROM pg_extension WHERE extname = '$EXT'")" "$old" "installed $old"
  seed_fleet $WALK; ok $? "a fleet's rows are stored under $old"
  before=$(row_counts $WALK)
  out=$(qd $WALK "ALTER EXTENSION $EXT UPDATE" 2>&1); ok $? "ALTER EXTENSION UPDATE from $old${out:+: $out}"
  is "$(qd $WALK "SELECT extversion FROM pg_extension WHERE extname = '$EXT'")" "$default" \
    "$old updates to $default"
  snapshot $WALK >"$DW_RUN/upgrade.walk"
  compare_snapshots fresh "$DW_RUN/upgrade.fresh" "walk from $old" "$DW_RUN/upgrade.walk" \
    "$old updated to $default has the catalog of a fresh $default install"
  after=$(row_counts $WALK)
  # (tables new in $default start empty and appear only in the later list)
  missing=$(comm -23 <(echo "$before" | sort) <(echo "$after" | sort))
  is "$missing" "" "every table keeps its rows through the update from $old"
  is "$(qd $WALK "SELECT string_agg(c.chunk_index::text, ',' ORDER BY c.chunk_index) || ' ' || min(i.status)
                  FROM devicewake.image_chunks c JOIN devicewake.device_images i USING (image_id)
                  WHERE c.image_id = '00000000-0000-0000-0000-0000000000f1'")" \
    "0,2 receiving" "the upload in progress under $old keeps its chunks and its state"
  is "$(qd $WALK "SELECT count(*) FILTER (WHERE c.device_id = i.device_id) || '/' || count(*)
                  FROM devicewake.image_chunks c JOIN devicewake.device_images i USING (image_id)")" \
    "2/2" "the chunks stored under $old carry their image's device_id after the update"
  is "$(qd $WALK "SELECT string_agg(r.device_mac, ',' ORDER BY r.device_mac) FROM devicewake.device_directory r
                  JOIN devicewake.devices d ON d.device_id = r.device_id AND d.device_mac = r.device_mac")" \
    "B8F862F9C1C4,B8F862F9C1C5" "the devices of $old are in the directory after the update"
  out=$(qd $WALK "INSERT INTO devicewake.devices (device_mac) VALUES ('B8F862F9C1C5')" 2>&1)
  grep -q 'ERROR:  duplicate key value violates unique constraint "device_directory_pkey"' <<<"$out"
  ok $? "a MAC of a device of $old stays unique after the update"
  is "$(qd $WALK "SET TIME ZONE 'UTC'; SELECT devicewake.fn_calculate_next_wake_time('2026-12-02 07:30+00', '0 8,16 * * *', 'Europe/Berlin')")" \
    "2026-12-02 15:00:00+00" "next-wake arithmetic works after the update from $old"
  is "$(qd $WALK "SELECT count(*) FROM devicewake.device_commands WHERE status = 'pending'")" "2" \
    "the commands queued under $old are still pending after the update"
done

# DROP/CREATE: nothing is left behind, and a reinstall equals the fresh install.
qd $WALK "DROP EXTENSION IF EXISTS $EXT CASCADE" >/dev/null 2>&1
qd $WALK "CREATE EXTENSION $EXT" >/dev/null
snapshot $WALK >"$DW_RUN/upgrade.first"
qd $WALK "INSERT INTO devicewake.devices (device_mac, device_name) VALUES ('B8F862F9C1C4', 'upgrade test')" >/dev/null
qd $WALK "DROP EXTENSION $EXT" >/dev/null; ok $? "DROP EXTENSION succeeds with data in the tables"
# (the schema itself stays: PostgreSQL creates it for the control file's schema = devicewake but
# does not make it a member of the extension)
is "$(qd $WALK "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'devicewake'::regnamespace)
                     + (SELECT count(*) FROM pg_proc WHERE pronamespace = 'devicewake'::regnamespace)
                     + (SELECT count(*) FROM pg_type WHERE typnamespace = 'devicewake'::regnamespace)")" 0 \
  "DROP EXTENSION leaves no table, view, function or type in schema devicewake"
qd $WALK "CREATE EXTENSION $EXT" >/dev/null; ok $? "CREATE EXTENSION after DROP succeeds"
snapshot $WALK >"$DW_RUN/upgrade.second"
compare_snapshots first "$DW_RUN/upgrade.first" second "$DW_RUN/upgrade.second" \
  "a reinstall after DROP EXTENSION has the same catalog"
compare_snapshots fresh "$DW_RUN/upgrade.fresh" reinstall "$DW_RUN/upgrade.second" \
  "and it equals the fresh install in another database"
[ -n "$olds" ] || echo "# no update path to $default yet: only the reinstall comparison ran"

for db in $FRESH $WALK; do qd postgres "DROP DATABASE IF EXISTS $db" >/dev/null; done
done_testing
