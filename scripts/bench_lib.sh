# Shared by bench/*.sh (source it): the machine's load, the one rule for saying a target is
# met, and the sweep with nothing to do. A figure measured while the machine was busier than its cores is printed, but no verdict
# is given on it: "target_met=not judged".

# bench_load: one line "load: 1-min L, N cores" from /proc/loadavg and nproc. The first call of
# a bench records the load before the bench ran: what else the machine was doing.
bench_load() {
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  [ -n "${BENCH_LOAD_BEFORE:-}" ] || BENCH_LOAD_BEFORE=$load
  echo "load: $load (1-min average), $(nproc) cores"
}

# bench_verdict MET: MET is yes or no (from the bench's own comparison); prints
# "target_met=yes|no", or "target_met=not judged (load L > N cores)" when the 1-minute load
# average before the bench (its first bench_load) was above the core count. The load during a
# bench is not the test: on 2 cores, a worker, a broker and a client under test already make 3.
bench_verdict() {
  local load cores
  load=${BENCH_LOAD_BEFORE:-$(cut -d' ' -f1 /proc/loadavg)}; cores=$(nproc)
  if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > c) }'; then
    echo "target_met=not judged (load before the bench $load > $cores cores)"
  else
    echo "target_met=$1 (load before the bench $load, $cores cores)"
  fi
}

# bench_idle_sweep: the best of 20 calls of timeout_stale_images() in one session, in ms (plans
# cached, as in a session that sweeps again): the sweep's cost with nothing to do.
bench_idle_sweep() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 <<'SQL'
DO $$
DECLARE
    t timestamptz;
    best interval := interval '1 hour';
BEGIN
    FOR i IN 1..20 LOOP
        t := clock_timestamp();
        PERFORM count(*) FROM devicewake.timeout_stale_images();
        best := least(best, clock_timestamp() - t);
    END LOOP;
    PERFORM pg_catalog.set_config('bench.best_ms', round(extract(epoch FROM best) * 1000, 2)::text, false);
END
$$;
SELECT pg_catalog.current_setting('bench.best_ms');
SQL
}
