# Security (issue #14 item 1, docs/design.md §7, §9, docs/security.md): the owner of the worker's database
# is not a superuser, but it owns schema public and may ALTER DATABASE ... SET search_path. It plants
# look-alikes in public of the functions, aggregates, operators and type names that the worker,
# the ingest functions and the sweep use, each of which makes it superuser when superuser code
# runs it, and puts public before pg_catalog for every new session of the database. Then the
# restarted worker dispatches and expires commands and ingests a HELLO, an image's metadata and
# chunks and a malformed message, and pg_cron (a new session per run) runs the sweep, which times
# an image out: the owner must still not be superuser, and no look-alike ran as superuser.
# Everything is undone on exit, also when the test fails.
source "$(dirname "$0")/lib.sh"

OWNER=dw_attack_owner
DB=$PGDATABASE
MAC=0A5EA5C0FFEE
T=ESP32CAM/$MAC
OUT=$DW_RUN/search_path_attack.sub
LOG=$DW_RUN/postgres.log
# This test's own sessions never take the database's search_path: they would run the look-alikes
# as superuser themselves. Only the worker and pg_cron's job sessions (and the control below) do.
export PGOPTIONS='-c search_path=pg_catalog,pg_temp'
as_owner() { psql -X -q -A -t -v ON_ERROR_STOP=1 -U "$OWNER" "$@"; }
hostile() { PGOPTIONS= psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }  # a superuser session on the database's search_path

old_owner=$(q "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")
cleanup() {
  kill "$SUB" 2>/dev/null
  q "ALTER DATABASE $DB RESET search_path" >/dev/null 2>&1
  q "ALTER DATABASE $DB OWNER TO $old_owner" >/dev/null 2>&1
  q "SELECT devicewake.unschedule_timeout_monitor()" >/dev/null 2>&1
  q "DELETE FROM devicewake.devices WHERE device_mac IN ('$MAC', 'TEST-SPA-CMD')" >/dev/null 2>&1
  q "DROP OWNED BY $OWNER" >/dev/null 2>&1
  q "DROP ROLE IF EXISTS $OWNER" >/dev/null 2>&1
  # the next worker starts on the database's own search_path again
  q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'pg_devicewake worker'" >/dev/null 2>&1
  wait_for 30 "SELECT connected FROM devicewake.worker_status()" 2>/dev/null
}
trap cleanup EXIT

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
q "DROP ROLE IF EXISTS $OWNER" >/dev/null 2>&1
q "CREATE ROLE $OWNER LOGIN NOSUPERUSER PASSWORD '$DW_PGPASSWORD'" >/dev/null  # pg_hba.conf: scram only
q "ALTER DATABASE $DB OWNER TO $OWNER" >/dev/null
is "$(q "SELECT pg_get_userbyid(datdba) || ' ' || rolsuper FROM pg_database, pg_roles
         WHERE datname = current_database() AND rolname = '$OWNER'")" "$OWNER false" \
  "a role that is not superuser owns the worker's database"

# ---------------------------------------------------------------- the look-alikes
as_owner >"$DW_RUN/search_path_attack.plant" 2>&1 <<'SQL'
CREATE TABLE public.dw_attack_marker (what pg_catalog.text, by_role pg_catalog.name,
                                      at pg_catalog.timestamptz DEFAULT pg_catalog.now());
GRANT ALL ON public.dw_attack_marker TO PUBLIC;
-- The payload: run by a superuser it makes the owner superuser and leaves a marker (both are kept
-- only if the caller's transaction commits, so it also says so in the server log). Run by anyone
-- else it does nothing, and every look-alike then returns what the real function would.
CREATE FUNCTION public.dw_attack_trap(p_what pg_catalog.text) RETURNS pg_catalog.void
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
        RAISE WARNING 'dw_attack_trap: % ran as superuser %', p_what, current_user;
        BEGIN
            EXECUTE 'ALTER ROLE dw_attack_owner SUPERUSER';
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'dw_attack_trap: ALTER ROLE failed: %', SQLERRM;
        END;
        BEGIN
            INSERT INTO public.dw_attack_marker (what, by_role) VALUES (p_what, current_user);
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'dw_attack_trap: marker failed: %', SQLERRM;
        END;
    END IF;
END
$$;

-- Functions: a copy in public of every pg_catalog function of these names (same arguments, so it
-- hides the real one on search_path = public, pg_catalog), running the payload, then the real one.
-- Functions taking "any" (VARIADIC "any": jsonb_build_object, format, ...) cannot be copied by a
-- role in PL/pgSQL; they get text overloads below.
DO $plant$
DECLARE
    p record;
    fwd text;
    made integer := 0;
    skipped text[] := '{}';
BEGIN
    FOR p IN
        SELECT f.oid, f.proname, f.proretset, f.pronargs, f.provariadic,
               pg_catalog.pg_get_function_arguments(f.oid) AS args,
               pg_catalog.pg_get_function_result(f.oid) AS result
        FROM pg_catalog.pg_proc f
        WHERE f.pronamespace = 'pg_catalog'::regnamespace AND f.prokind = 'f'
          AND f.proname = ANY (ARRAY[
              'now', 'clock_timestamp', 'statement_timestamp', 'transaction_timestamp',
              'make_interval', 'date_trunc', 'to_char', 'to_timestamp', 'age',
              'unnest', 'generate_series', 'gen_random_uuid', 'array_length', 'cardinality',
              'array_append', 'array_cat', 'array_position',
              'jsonb_typeof', 'jsonb_array_elements', 'jsonb_array_elements_text', 'jsonb_each',
              'jsonb_build_array', 'jsonb_set', 'jsonb_strip_nulls', 'to_jsonb', 'jsonb_object_keys',
              'length', 'octet_length', 'substring', 'substr', 'lower', 'upper', 'btrim', 'trim',
              'left', 'right', 'replace', 'regexp_replace', 'split_part', 'strpos', 'md5', 'encode',
              'decode', 'concat', 'concat_ws', 'format', 'quote_ident', 'quote_literal',
              'round', 'trunc', 'abs', 'floor', 'ceil', 'random',
              'pg_notify', 'current_setting', 'set_config', 'pg_has_role', 'has_function_privilege',
              'txid_current', 'pg_backend_pid', 'pg_sleep', 'pg_advisory_xact_lock'])
          AND NOT ('"any"'::regtype = ANY (f.proargtypes::oid[]))
          AND NOT ('internal'::regtype = ANY (f.proargtypes::oid[]))
          AND f.prorettype NOT IN ('internal'::regtype, 'record'::regtype)
    LOOP
        SELECT string_agg(CASE WHEN i = p.pronargs AND p.provariadic <> 0 THEN 'VARIADIC ' ELSE '' END
                          || '$' || i, ', ' ORDER BY i)
        INTO fwd FROM generate_series(1, p.pronargs) i;
        BEGIN
            EXECUTE format(
                'CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog AS %L',
                p.proname, p.args, p.result,
                format('BEGIN PERFORM public.dw_attack_trap(%L); %s pg_catalog.%I(%s); END',
                       p.oid::regprocedure::text,
                       CASE WHEN p.proretset THEN 'RETURN QUERY SELECT * FROM'
                            WHEN p.result = 'void' THEN 'PERFORM' ELSE 'RETURN' END,
                       p.proname, coalesce(fwd, '')));
            made := made + 1;
        EXCEPTION WHEN OTHERS THEN
            skipped := skipped || (p.oid::regprocedure::text || ': ' || SQLERRM);
        END;
    END LOOP;
    RAISE NOTICE 'planted % functions; not copied: %', made, skipped;
END
$plant$;
-- text overloads of the VARIADIC "any" functions
CREATE FUNCTION public.jsonb_build_object(VARIADIC p text[]) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM public.dw_attack_trap('jsonb_build_object(VARIADIC text[])');
      RETURN pg_catalog.jsonb_object(p); END $$;
CREATE FUNCTION public.format(p_format text, VARIADIC p text[]) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM public.dw_attack_trap('format(text, VARIADIC text[])');
      RETURN pg_catalog.format(p_format, VARIADIC p); END $$;
CREATE FUNCTION public.concat(VARIADIC p text[]) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM public.dw_attack_trap('concat(VARIADIC text[])');
      RETURN pg_catalog.array_to_string(p, ''); END $$;

-- Aggregates: count(*), count(any), min, max, sum, array_agg, jsonb_agg, string_agg; the payload
-- runs in the final function.
CREATE FUNCTION public.dw_agg_inc(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog AS 'SELECT $1 + 1';
CREATE FUNCTION public.dw_agg_final_bigint(bigint) RETURNS bigint LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$ BEGIN PERFORM public.dw_attack_trap('aggregate returning bigint'); RETURN $1; END $$;
CREATE FUNCTION public.dw_agg_final_timestamptz(timestamptz) RETURNS timestamptz LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$ BEGIN PERFORM public.dw_attack_trap('min/max(timestamptz)'); RETURN $1; END $$;
CREATE FUNCTION public.dw_agg_array_add(anyarray, anynonarray) RETURNS anyarray LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog AS 'SELECT pg_catalog.array_append($1, $2)';
CREATE FUNCTION public.dw_agg_final_array(anyarray) RETURNS anyarray LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$ BEGIN PERFORM public.dw_attack_trap('array_agg(anynonarray)'); RETURN $1; END $$;
CREATE FUNCTION public.dw_agg_jsonb_add(jsonb, anyelement) RETURNS jsonb LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog AS 'SELECT $1 || pg_catalog.jsonb_build_array($2)';
CREATE FUNCTION public.dw_agg_final_jsonb(jsonb) RETURNS jsonb LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$ BEGIN PERFORM public.dw_attack_trap('jsonb_agg(anyelement)'); RETURN $1; END $$;
CREATE FUNCTION public.dw_agg_text_add(text, text, text) RETURNS text LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog AS 'SELECT CASE WHEN $1 IS NULL THEN $2 ELSE $1 || $3 || $2 END';
CREATE FUNCTION public.dw_agg_final_text(text) RETURNS text LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$ BEGIN PERFORM public.dw_attack_trap('string_agg(text, text)'); RETURN $1; END $$;
CREATE FUNCTION public.dw_agg_bytea_add(bytea, bytea, bytea) RETURNS bytea LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog AS 'SELECT CASE WHEN $1 IS NULL THEN $2 ELSE $1 || $3 || $2 END';
CREATE FUNCTION public.dw_agg_final_bytea(bytea) RETURNS bytea LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$ BEGIN PERFORM public.dw_attack_trap('string_agg(bytea, bytea)'); RETURN $1; END $$;
CREATE AGGREGATE public.count(*) (SFUNC = public.dw_agg_inc, STYPE = bigint, INITCOND = '0',
                                  FINALFUNC = public.dw_agg_final_bigint);
CREATE AGGREGATE public.count("any") (SFUNC = pg_catalog.int8inc_any, STYPE = bigint, INITCOND = '0',
                                      FINALFUNC = public.dw_agg_final_bigint);
CREATE AGGREGATE public.sum(integer) (SFUNC = pg_catalog.int4_sum, STYPE = bigint,
                                      FINALFUNC = public.dw_agg_final_bigint);
CREATE AGGREGATE public.min(timestamptz) (SFUNC = pg_catalog.timestamptz_smaller, STYPE = timestamptz,
                                          FINALFUNC = public.dw_agg_final_timestamptz);
CREATE AGGREGATE public.max(timestamptz) (SFUNC = pg_catalog.timestamptz_larger, STYPE = timestamptz,
                                          FINALFUNC = public.dw_agg_final_timestamptz);
CREATE AGGREGATE public.array_agg(anynonarray) (SFUNC = public.dw_agg_array_add, STYPE = anyarray,
                                                INITCOND = '{}', FINALFUNC = public.dw_agg_final_array);
CREATE AGGREGATE public.jsonb_agg(anyelement) (SFUNC = public.dw_agg_jsonb_add, STYPE = jsonb,
                                               INITCOND = '[]', FINALFUNC = public.dw_agg_final_jsonb);
CREATE AGGREGATE public.string_agg(text, text) (SFUNC = public.dw_agg_text_add, STYPE = text,
                                                FINALFUNC = public.dw_agg_final_text);
CREATE AGGREGATE public.string_agg(bytea, bytea) (SFUNC = public.dw_agg_bytea_add, STYPE = bytea,
                                                  FINALFUNC = public.dw_agg_final_bytea);

-- Operators: a copy in public of every pg_catalog operator of these names over the types the SQL
-- compares, adds and concatenates (an exact match in public comes first on the hostile path).
DO $plant$
DECLARE
    o record;
    made integer := 0;
    skipped text[] := '{}';
    fn text;
BEGIN
    FOR o IN
        SELECT op.oid, op.oprname, op.oprleft, op.oprright, op.oprresult, f.proname AS code
        FROM pg_catalog.pg_operator op JOIN pg_catalog.pg_proc f ON f.oid = op.oprcode
        WHERE op.oprnamespace = 'pg_catalog'::regnamespace
          AND op.oprname IN ('=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '||', '->', '->>',
                             '#>', '#>>', '?', '?|', '?&', '@>', '<@', '~', '~*', '!~', '!~*', '~~', '~~*')
          AND op.oprleft IN (0, 'text'::regtype, 'uuid'::regtype, 'integer'::regtype,
                             'bigint'::regtype, 'numeric'::regtype, 'timestamptz'::regtype,
                             'interval'::regtype, 'jsonb'::regtype, 'boolean'::regtype,
                             'bytea'::regtype, 'name'::regtype, 'anyarray'::regtype,
                             'anynonarray'::regtype, 'anycompatiblearray'::regtype,
                             'anycompatible'::regtype, 'anyelement'::regtype)
          AND op.oprright IN ('text'::regtype, 'uuid'::regtype, 'integer'::regtype,
                              'bigint'::regtype, 'numeric'::regtype, 'timestamptz'::regtype,
                              'interval'::regtype, 'jsonb'::regtype, 'boolean'::regtype,
                              'bytea'::regtype, 'name'::regtype, 'text[]'::regtype,
                              'anyarray'::regtype, 'anynonarray'::regtype,
                              'anycompatiblearray'::regtype, 'anycompatible'::regtype,
                              'anyelement'::regtype)
    LOOP
        fn := 'dw_op_' || o.oid;
        BEGIN
            IF o.oprleft = 0 THEN
                EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog AS %L',
                    fn, o.oprright::regtype, o.oprresult::regtype,
                    format('BEGIN PERFORM public.dw_attack_trap(%L); RETURN pg_catalog.%I($1); END',
                           'operator ' || o.oprname || ' (' || o.oprright::regtype || ')', o.code));
                EXECUTE format('CREATE OPERATOR public.%s (RIGHTARG = %s, FUNCTION = public.%I)',
                    o.oprname, o.oprright::regtype, fn);
            ELSE
                EXECUTE format('CREATE FUNCTION public.%I(%s, %s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog AS %L',
                    fn, o.oprleft::regtype, o.oprright::regtype, o.oprresult::regtype,
                    format('BEGIN PERFORM public.dw_attack_trap(%L); RETURN pg_catalog.%I($1, $2); END',
                           'operator ' || o.oprname || ' (' || o.oprleft::regtype || ', ' || o.oprright::regtype || ')',
                           o.code));
                EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.%I)',
                    o.oprname, o.oprleft::regtype, o.oprright::regtype, fn);
            END IF;
            made := made + 1;
        EXCEPTION WHEN OTHERS THEN
            skipped := skipped || (o.oprname || '(' || o.oprleft::regtype || ', ' || o.oprright::regtype || '): ' || SQLERRM);
        END;
    END LOOP;
    RAISE NOTICE 'planted % operators; not copied: %', made, skipped;
END
$plant$;

-- Type names: a cast to text, jsonb, uuid, bytea or timestamptz would name a domain in public
-- whose CHECK runs the payload.
CREATE FUNCTION public.dw_domain_check(p_type pg_catalog.text) RETURNS boolean LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$ BEGIN PERFORM public.dw_attack_trap('type ' || p_type); RETURN true; END $$;
CREATE DOMAIN public.text AS pg_catalog.text CHECK (public.dw_domain_check('text'));
CREATE DOMAIN public.jsonb AS pg_catalog.jsonb CHECK (public.dw_domain_check('jsonb'));
CREATE DOMAIN public.uuid AS pg_catalog.uuid CHECK (public.dw_domain_check('uuid'));
CREATE DOMAIN public.bytea AS pg_catalog.bytea CHECK (public.dw_domain_check('bytea'));
CREATE DOMAIN public.timestamptz AS pg_catalog.timestamptz CHECK (public.dw_domain_check('timestamptz'));

-- and every new session of the database looks in public first
ALTER DATABASE :"DBNAME" SET search_path = public, pg_catalog;
SQL
ok $? "the owner plants its look-alikes and sets the database's search_path to public, pg_catalog"
sed -n 's/^.*NOTICE:  /# /p' "$DW_RUN/search_path_attack.plant" | cut -c1-400 >&2
is "$(hostile -c "SHOW search_path")" "public, pg_catalog" "a new session of the database now searches public first"

# Control: the look-alikes really run when a superuser session on that search_path calls the
# names (in a transaction rolled back, so the owner stays what it is).
control=$(hostile 2>/dev/null <<'SQL'
BEGIN;
SELECT now() IS NOT NULL, clock_timestamp() IS NOT NULL, make_interval(secs => 1) IS NOT NULL;
SELECT count(*) FROM unnest(ARRAY['a', 'b']::text[]) u WHERE u = 'a';
SELECT jsonb_build_object('k', 'v'::text) IS NOT NULL, '00000000-0000-0000-0000-000000000000'::uuid IS NULL;
SELECT pg_catalog.string_agg(DISTINCT what, ' | ') FROM public.dw_attack_marker;
ROLLBACK;
SQL
)
for name in "now()" "clock_timestamp()" "make_interval(" "unnest(anyarray)" "aggregate returning bigint" \
            "operator = (text, text)" "jsonb_build_object(VARIADIC text[])" "type text" "type uuid"; do
  [[ "$control" == *"$name"* ]]; ok $? "control: a superuser session on that search_path runs the look-alike $name"
done
is "$(q "SELECT rolsuper FROM pg_roles WHERE rolname = '$OWNER'")" f "control: rolled back, the owner is still not superuser"
log_start=$(stat -c %s "$LOG")

# ---------------------------------------------------------------- the worker takes the search_path
old_pid=$(worker_pid)
q "SELECT pg_terminate_backend($old_pid)" >/dev/null
wait_for 30 "SELECT pid IS NOT NULL AND pid <> $old_pid AND connected FROM devicewake.worker_status()"
ok $? "the worker restarts (its new connection gets the database's search_path) and reconnects to the broker"

: >"$OUT"
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t "ESP32CAM/+/cmd" -t "ESP32CAM/+/ack" >>"$OUT" 2>/dev/null &
SUB=$!
wait_subscribed ESP32CAM/PROBE/cmd "$OUT"

# commands: one dispatched at once, one that expires before it is due
cmd_dev=$(q "INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-SPA-CMD') RETURNING device_id")
sent=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
          VALUES ('$cmd_dev', 'send_image', '{\"image_name\":\"spa.jpg\"}') RETURNING command_id")
gone=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, scheduled_for, expires_at)
          VALUES ('$cmd_dev', 'ping', '{}', now() + interval '1 hour', now() + interval '2 seconds') RETURNING command_id")
wait_text 15 "$OUT" 'ESP32CAM/TEST-SPA-CMD/cmd {"device_id":"TEST-SPA-CMD","send_image":"spa.jpg"}'
ok $? "a command is published"
wait_for 15 "SELECT status = 'sent' AND delivered_at IS NOT NULL FROM devicewake.device_commands WHERE command_id = '$sent'"
ok $? "and marked sent on its PUBACK"
wait_for 15 "SELECT status = 'expired' FROM devicewake.device_commands WHERE command_id = '$gone'"
ok $? "a command past expires_at is expired"

# a camera says HELLO, announces an image, sends half of it, and sends something malformed
pub "$T/status" "{\"device_id\":\"$MAC\",\"status\":\"Alive\",\"pendingImg\":1,\"pending_list\":[\"spa_1.jpg\"],\"battery_voltage\":3.9,\"wifi_rssi\":-60}"
wait_for 15 "SELECT EXISTS (SELECT FROM devicewake.devices d JOIN devicewake.device_wake_sessions s USING (device_id)
                            WHERE d.device_mac = '$MAC')"
ok $? "the HELLO registered the device and opened a wake session"
pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"spa_1.jpg\",\"image_size\":4000,\"capture_timestamp\":\"2026-11-22T06:00:02Z\",\"max_chunk_size\":1024,\"total_chunk_count\":4,\"error\":0,\"temperature\":20.5}"
wait_for 15 "SELECT EXISTS (SELECT FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
                            WHERE d.device_mac = '$MAC' AND i.image_name = 'spa_1.jpg' AND i.total_chunks = 4)"
ok $? "the image's metadata is stored"
for i in 0 1; do
  payload=$(head -c 1024 /dev/urandom | base64 -w0)
  pub "$T/data" "{\"device_id\":\"$MAC\",\"image_name\":\"spa_1.jpg\",\"chunk_id\":$i,\"max_chunk_size\":1024,\"payload\":\"$payload\"}"
done
wait_for 15 "SELECT count(*) = 2 FROM devicewake.image_chunks c JOIN devicewake.device_images i USING (image_id, device_id)
             JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = '$MAC' AND i.image_name = 'spa_1.jpg'"
ok $? "two chunks are stored"
pub "$T/data" "this is not JSON"
wait_for 15 "SELECT EXISTS (SELECT FROM devicewake.rejected_messages WHERE topic = '$T/data' AND payload = 'this is not JSON'::bytea)"
ok $? "a malformed message is kept in rejected_messages"

# pg_cron runs the sweep (every minute) in a new session, as the superuser that scheduled it
q "UPDATE devicewake.devices SET next_wake_at = now() - interval '1 minute' WHERE device_mac = '$MAC'" >/dev/null
job=$(q "SELECT devicewake.schedule_timeout_monitor('* * * * *')")
wait_for 90 "SELECT i.status = 'failed' AND i.retry_count = 1 FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
             WHERE d.device_mac = '$MAC' AND i.image_name = 'spa_1.jpg'"
ok $? "pg_cron's sweep timed the stale image out"
wait_for 10 "SELECT EXISTS (SELECT FROM cron.job_run_details WHERE jobid = $job AND status = 'succeeded')"
ok $? "and cron.job_run_details records a successful run"
is "$(q "SELECT count(*) FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
         WHERE d.device_mac = '$MAC' AND c.command_type = 'retry_image'")" 1 "with its retry queued"

# ---------------------------------------------------------------- nothing ran as superuser
is "$(q "SELECT rolsuper FROM pg_roles WHERE rolname = '$OWNER'")" f "the owner of the database is still not superuser"
is "$(q "SELECT count(*) FROM public.dw_attack_marker")" 0 "no look-alike left a marker"
q "SELECT what || ' ran as ' || string_agg(DISTINCT by_role, ', ') || ', ' || count(*) || ' times'
   FROM public.dw_attack_marker GROUP BY what ORDER BY what" | sed 's/^/#   marker: /' >&2
trapped=$(tail -c +$((log_start + 1)) "$LOG" | grep -F 'dw_attack_trap:' | head -n 5)
is "$trapped" "" "no look-alike ran as superuser, not even in a transaction rolled back (server log)"
done_testing
