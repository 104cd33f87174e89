#!/usr/bin/env bash
# The timeout sweep at fleet scale: 1,000,000 devices, 3,000,000 images, 30,000 of them stale.
# Times devicewake.timeout_stale_images() against (a) the simplest hand-written set-based SQL doing
# the same writes, (b) the old design's shape: a client fetching the stale images and making one
# loopback round trip per image to a per-image function, (c) a row-by-row PL/pgSQL loop; then the
# sweep with nothing stale, with its plan. Every variant runs in a transaction that is rolled back
# (so all see the same 30,000 stale images), followed by VACUUM. Prints figures; asserts nothing.
# Sizes: BENCH_DEVICES (1000000), BENCH_IMAGES_PER_DEVICE (3), BENCH_STALE (30000), BENCH_ROUNDS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
bench_load

devices=${BENCH_DEVICES:-1000000}
per_device=${BENCH_IMAGES_PER_DEVICE:-3}
stale=${BENCH_STALE:-30000}
rounds=${BENCH_ROUNDS:-3}
in_flight=1000     # receiving, but the device's next wake is still ahead: not stale
overdue=10000      # devices long overdue with nothing receiving
client=build/tools/sweep_client
[ -x "$client" ] || make -s tools >/dev/null

psql_q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

echo "loading $devices devices, $((devices * per_device)) images ($stale stale) ..."
load_start=$SECONDS
psql_q -v devices="$devices" -v per_device="$per_device" -v stale="$stale" \
       -v in_flight="$in_flight" -v overdue="$overdue" <<'SQL'
-- Bulk load: FK and row triggers off for the load only (the generated rows satisfy them; CHECK
-- constraints and indexes still apply). Ids are generated in order so index builds append.
SET session_replication_role = replica;
SET maintenance_work_mem = '512MB';
INSERT INTO devicewake.sites (site_id, name)
SELECT lpad(to_hex(s), 32, '0')::uuid, 'site ' || s FROM generate_series(1, 100) s;
INSERT INTO devicewake.devices (device_id, device_mac, site_id, wake_schedule_cron, next_wake_at, last_wake_at)
SELECT lpad(to_hex(n), 32, '0')::uuid, upper(lpad(to_hex(n), 12, '0')),
       lpad(to_hex(n % 100 + 1), 32, '0')::uuid, '0 * * * *',
       CASE WHEN n <= :stale THEN now() - interval '5 minutes'
            WHEN n <= :stale + :overdue THEN now() - interval '3 days'
            ELSE now() + interval '1 day' + (n % 60) * interval '1 minute' END,
       now() - interval '1 hour'
FROM generate_series(1, :devices) n;
-- image k of device n; k = 1 of the first devices is stale, of the next ones in flight
INSERT INTO devicewake.device_images (image_id, device_id, image_name, status, total_chunks,
                                      received_chunks, image_data, completed_at)
SELECT lpad(to_hex(n * 8 + k), 32, '0')::uuid, lpad(to_hex(n), 32, '0')::uuid, 'image_' || k || '.jpg',
       st, 4, CASE st WHEN 'complete' THEN 4 ELSE 3 END,
       CASE st WHEN 'complete' THEN '\xff'::bytea END,
       CASE st WHEN 'complete' THEN now() END
FROM generate_series(1, :devices) n, generate_series(1, :per_device) k,
     LATERAL (SELECT CASE WHEN k = 1 AND n <= :stale THEN 'receiving'
                          WHEN k = 1 AND n > :stale + :overdue AND n <= :stale + :overdue + :in_flight THEN 'receiving'
                          WHEN k = 2 AND n % 50 = 0 THEN 'failed'
                          ELSE 'complete' END AS st) s;
INSERT INTO devicewake.image_chunks (image_id, device_id, chunk_index, data)
SELECT lpad(to_hex(n * 8 + 1), 32, '0')::uuid, lpad(to_hex(n), 32, '0')::uuid, c, '\xffd8ff'::bytea
FROM generate_series(1, :stale) n, generate_series(0, 2) c;
-- delivered history: 100,000 acknowledged commands, and 100 pending ones past expiry
INSERT INTO devicewake.device_commands (device_id, command_type, status, issued_at, expires_at, acknowledged_at)
SELECT lpad(to_hex(n * 9 % :devices + 1), 32, '0')::uuid, 'ping', 'acknowledged',
       now() - interval '2 days', now() - interval '1 day', now() - interval '2 days'
FROM generate_series(1, 100000) n;
INSERT INTO devicewake.device_commands (device_id, command_type, status, issued_at, expires_at)
SELECT lpad(to_hex(n * 7 + 1), 32, '0')::uuid, 'ping', 'pending', now() - interval '2 days', now() - interval '1 day'
FROM generate_series(1, 100) n;
RESET session_replication_role;
VACUUM ANALYZE;
SQL
echo "loaded in $((SECONDS - load_start)) s: $(psql_q -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"

# the baselines' per-image function and loop (the shape of the old edge function / migrations)
psql_q <<'SQL'
CREATE SCHEMA bench;
CREATE FUNCTION bench.timeout_image(p_image_id uuid) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    r record;
    v_command uuid;
BEGIN
    UPDATE devicewake.device_images i
       SET status = 'failed', failed_at = now(),
           timeout_reason = 'Transmission not completed before next wake window',
           retry_count = i.retry_count + 1
      FROM devicewake.devices d
     WHERE i.image_id = p_image_id AND d.device_id = i.device_id AND i.status = 'receiving'
    RETURNING i.image_id, i.device_id, i.session_id, i.image_name, i.total_chunks, i.retry_count,
              i.max_retries, d.next_wake_at INTO r;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF r.retry_count - 1 < r.max_retries THEN
        UPDATE devicewake.device_commands SET status = 'cancelled'
         WHERE device_id = r.device_id AND command_type = 'retry_image' AND status = 'pending'
           AND command_payload ->> 'image_id' = p_image_id::text;
        INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, priority,
                                                scheduled_for, expires_at)
        VALUES (r.device_id, 'retry_image',
                jsonb_build_object('image_id', r.image_id, 'image_name', r.image_name,
                    'total_chunks', r.total_chunks, 'missing_chunks',
                    (SELECT coalesce(jsonb_agg(g.n ORDER BY g.n), '[]') FROM generate_series(0, r.total_chunks - 1) g(n)
                     WHERE NOT EXISTS (SELECT FROM devicewake.image_chunks c
                                       WHERE c.image_id = r.image_id AND c.chunk_index = g.n))),
                8, r.next_wake_at - interval '5 minutes', r.next_wake_at + interval '1 hour')
        RETURNING command_id INTO v_command;
    END IF;
    IF r.retry_count - 1 >= r.max_retries - 1 THEN
        INSERT INTO devicewake.device_alerts (device_id, image_id, alert_type, severity, message, attempt)
        VALUES (r.device_id, r.image_id, 'image_transmission_failed', 'critical',
                'Image ' || r.image_name || ' failed to transmit', r.retry_count);
    END IF;
    INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
    VALUES (r.device_id, r.session_id, 'image_timeout',
            jsonb_build_object('image_id', r.image_id, 'image_name', r.image_name,
                               'retry_count', r.retry_count, 'retry_command_id', v_command));
    RETURN v_command;
END
$$;
CREATE FUNCTION bench.timeout_loop() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN SELECT i.image_id FROM devicewake.device_images i
             JOIN devicewake.devices d ON d.device_id = i.device_id
             WHERE i.status = 'receiving' AND d.next_wake_at <= now() LOOP
        PERFORM bench.timeout_image(r.image_id);
        n := n + 1;
    END LOOP;
    UPDATE devicewake.device_commands SET status = 'expired', claimed_at = NULL,
           error_message = 'expired before delivery (expires_at passed)'
     WHERE status IN ('pending', 'sent') AND expires_at <= now();
    RETURN n;
END
$$;
SQL

# (a) the simplest hand-written set-based SQL doing the same writes
read -r -d '' HAND_SQL <<'SQL' || true
WITH failed AS (
    UPDATE devicewake.device_images i
       SET status = 'failed', failed_at = now(),
           timeout_reason = 'Transmission not completed before next wake window',
           retry_count = i.retry_count + 1
      FROM devicewake.devices d
     WHERE d.device_id = i.device_id AND i.status = 'receiving' AND d.next_wake_at <= now()
    RETURNING i.image_id, i.device_id, i.session_id, i.image_name, i.total_chunks, i.retry_count,
              i.max_retries, d.next_wake_at
), commands AS (
    INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, priority,
                                            scheduled_for, expires_at)
    SELECT f.device_id, 'retry_image',
           jsonb_build_object('image_id', f.image_id, 'image_name', f.image_name,
               'total_chunks', f.total_chunks, 'missing_chunks',
               (SELECT coalesce(jsonb_agg(g.n ORDER BY g.n), '[]') FROM generate_series(0, f.total_chunks - 1) g(n)
                WHERE NOT EXISTS (SELECT FROM devicewake.image_chunks c
                                  WHERE c.image_id = f.image_id AND c.chunk_index = g.n))),
           8, f.next_wake_at - interval '5 minutes', f.next_wake_at + interval '1 hour'
    FROM failed f WHERE f.retry_count - 1 < f.max_retries
), alerts AS (
    INSERT INTO devicewake.device_alerts (device_id, image_id, alert_type, severity, message, attempt)
    SELECT f.device_id, f.image_id, 'image_transmission_failed', 'critical',
           'Image ' || f.image_name || ' failed to transmit', f.retry_count
    FROM failed f WHERE f.retry_count - 1 >= f.max_retries - 1
), history AS (
    INSERT INTO devicewake.device_history (device_id, session_id, event_type, event_data)
    SELECT f.device_id, f.session_id, 'image_timeout',
           jsonb_build_object('image_id', f.image_id, 'image_name', f.image_name, 'retry_count', f.retry_count,
                              'max_retries', f.max_retries,
                              'reason', 'Transmission not completed before next wake window')
    FROM failed f
), expired AS (
    UPDATE devicewake.device_commands SET status = 'expired', claimed_at = NULL,
           error_message = 'expired before delivery (expires_at passed)'
     WHERE status IN ('pending', 'sent') AND expires_at <= now()
)
SELECT count(*) FROM failed
SQL

# Runs one statement in a transaction that is rolled back; prints "<rows> <ms>" (execution time
# of the statement, measured in the server).
timed_rollback() {
  psql_q <<SQL
BEGIN;
SELECT clock_timestamp() AS t0 \gset
$1 \gset r_
SELECT :'r_count' || ' ' || round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000, 1);
ROLLBACK;
SQL
}
# (every table a variant writes: the change feed's events too, which every variant appends to)
reset_tables() {
  psql_q -c "VACUUM devicewake.device_images, devicewake.device_commands, devicewake.device_alerts, devicewake.device_history, devicewake.events"
}

conninfo="host=127.0.0.1 port=$PGPORT dbname=$PGDATABASE user=${PGUSER:-postgres}"
declare -A best
run_variant() {  # NAME COMMAND...
  local name=$1; shift
  local out rows ms
  out=$("$@")
  rows=${out%% *}; ms=${out##* }
  reset_tables
  if [ "$rows" != "$stale" ]; then echo "  $name: timed out $rows images, expected $stale" >&2; fi
  printf '  %-28s %8s ms  (%s images)\n' "$name" "$ms" "$rows"
  if [ -z "${best[$name]:-}" ] || awk -v a="$ms" -v b="${best[$name]}" 'BEGIN { exit !(a < b) }'; then
    best[$name]=$ms
  fi
}

echo "machine: $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine skews the figures)"
echo "warm-up"
timed_rollback "SELECT count(*) FROM devicewake.timeout_stale_images()" >/dev/null; reset_tables
for round in $(seq 1 "$rounds"); do
  echo "round $round"
  # the sweep and its set-based baseline alternate who goes first
  if [ $((round % 2)) -eq 1 ]; then
    run_variant "timeout_stale_images()" timed_rollback "SELECT count(*) FROM devicewake.timeout_stale_images()"
    run_variant "(a) hand-written SQL" timed_rollback "$HAND_SQL"
  else
    run_variant "(a) hand-written SQL" timed_rollback "$HAND_SQL"
    run_variant "timeout_stale_images()" timed_rollback "SELECT count(*) FROM devicewake.timeout_stale_images()"
  fi
  run_variant "(c) PL/pgSQL loop" timed_rollback "SELECT bench.timeout_loop() AS count"
  run_variant "(b) client round trips" "$client" "$conninfo" bench.timeout_image
done

sweep=${best["timeout_stale_images()"]}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "best of $rounds, $stale stale images among $((devices * per_device)) (ms):"
printf '  %-28s %10s\n' "timeout_stale_images()" "$sweep"
printf '  %-28s %10s   sweep / hand-written = %sx (target <= 1.5)\n' "(a) hand-written SQL" "${best["(a) hand-written SQL"]}" "$(ratio "$sweep" "${best["(a) hand-written SQL"]}")"
printf '  %-28s %10s   client / sweep = %sx faster (target >= 10)\n' "(b) client round trips" "${best["(b) client round trips"]}" "$(ratio "${best["(b) client round trips"]}" "$sweep")"
printf '  %-28s %10s   loop / sweep = %sx faster\n' "(c) PL/pgSQL loop" "${best["(c) PL/pgSQL loop"]}" "$(ratio "${best["(c) PL/pgSQL loop"]}" "$sweep")"
met=$(awk -v s="$sweep" -v a="${best["(a) hand-written SQL"]}" -v b="${best["(b) client round trips"]}" \
      'BEGIN { print (s <= 1.5 * a && b >= 10 * s) ? "yes" : "no" }')
echo "  target (sweep <= 1.5x hand-written and >= 10x faster than client round trips): $(bench_verdict "$met")"
bench_load

# nothing stale: commit one sweep, then time sweeps that find nothing
psql_q -c "SELECT count(*) FROM devicewake.timeout_stale_images()" >/dev/null
psql_q -c "VACUUM ANALYZE devicewake.device_images, devicewake.device_commands"
echo
echo "nothing stale ($in_flight uploads in flight, $overdue devices long overdue, $((devices * per_device)) images):"
psql_q -c "SELECT count(*) FROM devicewake.timeout_stale_images()"
echo "  best of 20 sweeps in one session: $(bench_idle_sweep) ms (target < 5 ms)"
echo "  the sweep statement's plan (auto_explain of the nested statement):"
psql -X -q -v ON_ERROR_STOP=1 2>&1 >/dev/null <<'SQL' | sed -n '/Query Text: WITH stale/,$p' | sed 's/^\(NOTICE:  \)\?/    /' | cut -c1-160
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_level = notice;
SELECT count(*) FROM devicewake.timeout_stale_images();
SQL
