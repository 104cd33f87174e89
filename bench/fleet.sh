#!/usr/bin/env bash
# Fleet operations (issue 16): waking 10,000 devices at once, as a company's operator (RLS and
# identity included), with one request_manual_wakes call against the baseline of a loop of
# single request_manual_wake calls in one transaction, measured in the same run; plus the
# site-wide wake of the same devices and the cost of one _campaign_tick over a 10,000-target
# campaign. Each measurement runs in a transaction that is rolled back (the worker never sees
# the commands, so its publishing cannot disturb the next figure), after a VACUUM of the tables
# it writes (untimed: the dead rows of the previous rolled-back run would otherwise slow the next
# one, whichever variant it is); best of DW_BENCH_RUNS (3).
# Target: the batch under 1 s. Prints figures and ratios; asserts nothing.
# Knobs: DW_BENCH_DEVICES (10000), DW_BENCH_RUNS (3).
set -u
devices=${DW_BENCH_DEVICES:-10000}
runs=${DW_BENCH_RUNS:-3}
source scripts/bench_lib.sh
bench_load

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dw_bench_fleet_op') THEN
    CREATE ROLE dw_bench_fleet_op NOLOGIN IN ROLE devicewake_operator;
  END IF;
END \$\$;
INSERT INTO devicewake.companies (company_id, name) VALUES ('16000000-0000-4000-8000-0000000bec00', 'Bench fleet')
ON CONFLICT DO NOTHING;
INSERT INTO devicewake.users (user_id, role_name, display_name)
VALUES ('16000000-0000-4000-8000-0000000bec01', 'dw_bench_fleet_op', 'Bench operator') ON CONFLICT DO NOTHING;
INSERT INTO devicewake.company_members VALUES ('16000000-0000-4000-8000-0000000bec00', '16000000-0000-4000-8000-0000000bec01')
ON CONFLICT DO NOTHING;
INSERT INTO devicewake.sites (site_id, name, company_id, wake_schedule_cron)
VALUES ('16000000-0000-4000-8000-0000000be5e0', 'Bench fleet site', '16000000-0000-4000-8000-0000000bec00', '0 6 * * *')
ON CONFLICT DO NOTHING;
INSERT INTO devicewake.devices (device_mac, site_id)
SELECT 'BF' || lpad(upper(to_hex(i)), 10, '0'), '16000000-0000-4000-8000-0000000be5e0'
FROM generate_series(1, $devices) i
WHERE NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_mac = 'BF' || lpad(upper(to_hex(i)), 10, '0'));
ANALYZE devicewake.devices;
SQL

# ms SQL: runs SQL as the operator in a rolled-back transaction, prints its milliseconds
ms() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 <<SQL | grep -E '^[0-9.]+$' | tail -n 1
VACUUM devicewake.devices, devicewake.device_commands, devicewake.device_history, devicewake.manual_wakes,
       devicewake.campaigns, devicewake.campaign_targets;
BEGIN;
SET LOCAL ROLE dw_bench_fleet_op;
CREATE TEMP TABLE t0 ON COMMIT DROP AS SELECT clock_timestamp() AS t;
$1
SELECT round(extract(epoch FROM clock_timestamp() - (SELECT t FROM t0)) * 1000, 1);
ROLLBACK;
SQL
}
best() {  # best SQL: the smallest of $runs measurements
  local b="" v i
  for i in $(seq 1 "$runs"); do
    v=$(ms "$1")
    [ -n "$v" ] || { echo "failed"; return; }
    if [ -z "$b" ] || awk -v v="$v" -v b="$b" 'BEGIN { exit !(v < b) }'; then b=$v; fi
  done
  echo "$b"
}

ids="(SELECT array_agg(device_id ORDER BY device_mac) FROM devicewake.devices WHERE device_mac LIKE 'BF%')"
echo "-- baseline: a loop of $devices single request_manual_wake calls (one transaction)"
loop=$(best "DO \$\$ DECLARE d uuid; BEGIN
  FOR d IN SELECT unnest($ids) LOOP PERFORM devicewake.request_manual_wake(d, now() + interval '1 hour'); END LOOP;
END \$\$;")
echo "loop_ms=$loop"
echo "-- request_manual_wakes: one call for $devices devices (target < 1000 ms)"
batch=$(best "SELECT count(*) FROM devicewake.request_manual_wakes($ids, now() + interval '1 hour');")
echo "batch_ms=$batch"
echo "-- request_site_wake: the same $devices devices as one site"
site=$(best "SELECT count(*) FROM devicewake.request_site_wake('16000000-0000-4000-8000-0000000be5e0', now() + interval '1 hour');")
echo "site_ms=$site"
echo "-- _campaign_tick over one $devices-target campaign (creation, then ticks releasing 1,000 each)"
create=$(best "SELECT devicewake.create_campaign('bench', 'ping', '{}', '{\"site_id\":\"16000000-0000-4000-8000-0000000be5e0\"}', 1000);")
echo "create_campaign_ms=$create"
tick=$(psql -X -q -A -t -v ON_ERROR_STOP=1 <<SQL | grep -E '^tick' | tail -n 1
BEGIN;
SET LOCAL ROLE dw_bench_fleet_op;
SELECT devicewake.create_campaign('bench', 'ping', '{}', '{"site_id":"16000000-0000-4000-8000-0000000be5e0"}', 1000) AS k \gset
RESET ROLE;
CREATE TEMP TABLE ticks (m int, released int, ms numeric) ON COMMIT DROP;
DO \$\$ DECLARE t timestamptz; r int; BEGIN
  FOR m IN 1..5 LOOP
    t := clock_timestamp();
    r := devicewake._campaign_tick(now() + m * interval '1 minute');
    INSERT INTO ticks VALUES (m, r, extract(epoch FROM clock_timestamp() - t) * 1000);
  END LOOP;
  t := clock_timestamp();
  r := devicewake._campaign_tick(now() + interval '5 minutes 1 second');
  INSERT INTO ticks VALUES (6, r, extract(epoch FROM clock_timestamp() - t) * 1000);
END \$\$;
SELECT 'tick release_1000_ms=' || round(avg(ms) FILTER (WHERE m <= 5), 1) || ' idle_tick_ms=' || round(max(ms) FILTER (WHERE m = 6), 1)
       || ' released=' || sum(released) FROM ticks;
ROLLBACK;
SQL
)
echo "$tick"
if [ -n "$loop" ] && [ -n "$batch" ] && [ "$loop" != failed ] && [ "$batch" != failed ]; then
  awk -v l="$loop" -v b="$batch" -v s="$site" -v n="$devices" 'BEGIN {
    printf "ratio loop/batch=%.1f devices_per_s batch=%.0f loop=%.0f site=%.0f\n",
           l / b, n / (b / 1000), n / (l / 1000), n / (s / 1000) }'
  echo "target (the batch under 1 s): $(bench_verdict "$(awk -v b="$batch" 'BEGIN { print (b < 1000) ? "yes" : "no" }')")"
fi
bench_load
