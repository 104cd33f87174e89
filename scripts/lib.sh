# Shared shell functions for tests, benchmarks and the demo: a staged install of the extension,
# a throwaway PostgreSQL cluster run as the postgres OS user, and a mosquitto broker on loopback.
# Source it, call dw_setup, and everything started is stopped by the EXIT trap it installs.
# Nothing here writes to system directories: the extension is installed into a staged copy of
# PostgreSQL's tree (PostgreSQL finds its share and lib directories relative to its binary).

DW_ROOT=${DW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
DW_PGBIN_SYSTEM=/usr/lib/postgresql/15/bin
DW_DB=${DW_DB:-devicewake}

dw_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# A TCP port on 127.0.0.1 that nothing listens on.
dw_free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( (RANDOM % 20000) + 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}

# Installs the built extension into $DW_RUN/stage, a copy of PostgreSQL's bin directory with
# symlinks to everything else, and points DW_PGBIN at it.
dw_stage() {
  local stage=$DW_RUN/stage
  make -C "$DW_ROOT" -s install DESTDIR="$stage" >/dev/null
  mkdir -p "$stage/usr/lib/postgresql/15/lib" "$stage/usr/share/postgresql/15/extension"
  cp -a "$DW_PGBIN_SYSTEM" "$stage/usr/lib/postgresql/15/"
  DW_PGBIN=$stage/usr/lib/postgresql/15/bin
  dw_stage_links
}

# Links into the staged tree whatever PostgreSQL's own tree has that the stage lacks (again after
# another extension, e.g. Citus, was installed there). Usage: dw_stage_links [STAGE_DIR].
dw_stage_links() {
  local stage=${1:-$DW_RUN/stage} f
  for f in /usr/lib/postgresql/15/lib/*; do
    [ -e "$stage/usr/lib/postgresql/15/lib/$(basename "$f")" ] || ln -s "$f" "$stage/usr/lib/postgresql/15/lib/"
  done
  for f in /usr/share/postgresql/15/*; do
    [ "$(basename "$f")" = extension ] || ln -sfn "$f" "$stage/usr/share/postgresql/15/"
  done
  for f in /usr/share/postgresql/15/extension/*; do
    [ -e "$stage/usr/share/postgresql/15/extension/$(basename "$f")" ] || ln -s "$f" "$stage/usr/share/postgresql/15/extension/"
  done
}

dw_as_postgres() { runuser -u postgres -- "$@"; }

# Starts a cluster with pg_cron and pg_devicewake preloaded; extra postgresql.conf lines in
# $DW_PG_CONF_EXTRA. Exports PGHOST/PGPORT/PGUSER/PGDATABASE for psql, pg_prove, pg_regress.
# pg_hba.conf is strict: scram-sha-256 on every line (local and host, replication too), so every
# suite shows the worker needs no connection of its own. Clients find the password in the pgpass
# file $PGPASSFILE; $DW_PGPASSWORD is the password, for login roles a test creates. pg_cron runs
# its jobs in background workers (cron.use_background_workers), which need no connection either.
dw_cluster_start() {
  DW_PGDATA=$DW_RUN/pgdata
  DW_PGSOCK=$DW_RUN/sock
  mkdir -p "$DW_PGSOCK"
  chown postgres "$DW_RUN" "$DW_PGSOCK"
  DW_PGPORT=${DW_PGPORT:-$(dw_free_port)}
  DW_PGPASSWORD=${DW_PGPASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}
  export DW_PGPASSWORD PGPASSFILE=$DW_RUN/pgpass
  printf '%s\n' "$DW_PGPASSWORD" >"$DW_RUN/initdb.pw"
  chown postgres "$DW_RUN/initdb.pw"; chmod 600 "$DW_RUN/initdb.pw"
  printf '*:*:*:*:%s\n' "$DW_PGPASSWORD" >"$PGPASSFILE"; chmod 600 "$PGPASSFILE"
  dw_as_postgres "$DW_PGBIN/initdb" -D "$DW_PGDATA" --auth=scram-sha-256 --pwfile="$DW_RUN/initdb.pw" \
    -U postgres -E UTF8 --locale=C.UTF-8 >"$DW_RUN/initdb.log" 2>&1 \
    || { cat "$DW_RUN/initdb.log" >&2; return 1; }
  rm -f "$DW_RUN/initdb.pw"
  cat >>"$DW_PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $DW_PGPORT
unix_socket_directories = '$DW_PGSOCK'
shared_preload_libraries = 'pg_cron,pg_devicewake'
max_worker_processes = 16
max_prepared_transactions = 4
cron.database_name = '$DW_DB'
cron.host = '$DW_PGSOCK'
cron.use_background_workers = on
cron.max_running_jobs = 4
devicewake.database = '$DW_DB'
devicewake.mqtt_host = '127.0.0.1'
devicewake.mqtt_port = ${DW_MQTT_PORT:-1883}
devicewake.mqtt_client_id = 'pg_devicewake_$DW_PGPORT'
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = info
log_line_prefix = '%m [%p] %b '
${DW_PG_CONF_EXTRA:-}
CONF
  dw_as_postgres "$DW_PGBIN/pg_ctl" -D "$DW_PGDATA" -l "$DW_RUN/postgres.log" -w -t 60 start >/dev/null \
    || { tail -n 30 "$DW_RUN/postgres.log" >&2; return 1; }
  export PGHOST=$DW_PGSOCK PGPORT=$DW_PGPORT PGUSER=postgres PGDATABASE=$DW_DB
  psql -X -q -d postgres -c "CREATE DATABASE $DW_DB" >/dev/null
  psql -X -q -c "CREATE EXTENSION pg_cron" -c "CREATE EXTENSION pg_devicewake CASCADE" >/dev/null
  dw_log "PostgreSQL 15 on port $DW_PGPORT (socket $DW_PGSOCK, data $DW_PGDATA)"
}

dw_cluster_stop() {
  [ -n "${DW_PGDATA:-}" ] && [ -f "$DW_PGDATA/postmaster.pid" ] || return 0
  dw_as_postgres "$DW_PGBIN/pg_ctl" -D "$DW_PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1 \
    || dw_as_postgres "$DW_PGBIN/pg_ctl" -D "$DW_PGDATA" -m immediate stop >/dev/null 2>&1 || true
}

# Restarts the cluster (e.g. after changing postgresql.conf or after an immediate stop).
dw_cluster_restart() {
  dw_as_postgres "$DW_PGBIN/pg_ctl" -D "$DW_PGDATA" -l "$DW_RUN/postgres.log" -w -t 60 -m "${1:-fast}" restart >/dev/null
}

# Starts mosquitto on 127.0.0.1:$DW_MQTT_PORT (anonymous, no persistence: a throwaway broker).
dw_broker_start() {
  DW_MQTT_PORT=${DW_MQTT_PORT:-$(dw_free_port)}
  export DW_MQTT_PORT
  cat >"$DW_RUN/mosquitto.conf" <<CONF
listener $DW_MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 1000000
max_inflight_messages 0
log_dest file $DW_RUN/mosquitto.log
user root
CONF
  /usr/sbin/mosquitto -c "$DW_RUN/mosquitto.conf" >>"$DW_RUN/mosquitto.out" 2>&1 &
  echo $! >"$DW_RUN/mosquitto.pid"
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$DW_MQTT_PORT") 2>/dev/null && { dw_log "mosquitto on 127.0.0.1:$DW_MQTT_PORT"; return 0; }
    sleep 0.05
  done
  dw_log "mosquitto did not start"; cat "$DW_RUN/mosquitto.out" >&2; return 1
}

# Stops the broker (whichever shell started it: the pid is in $DW_RUN/mosquitto.pid).
# dw_broker_stop KILL sends SIGKILL instead of SIGTERM.
dw_broker_stop() {
  [ -f "$DW_RUN/mosquitto.pid" ] || return 0
  local pid i
  pid=$(cat "$DW_RUN/mosquitto.pid")
  rm -f "$DW_RUN/mosquitto.pid"
  kill -s "${1:-TERM}" "$pid" 2>/dev/null || return 0
  for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.02; done
  kill -9 "$pid" 2>/dev/null || true
}

dw_cleanup() {
  local rc=$?
  dw_cluster_stop
  dw_broker_stop
  if [ -n "${DW_RUN:-}" ] && [ -z "${DW_KEEP_RUN:-}" ]; then rm -rf "$DW_RUN"; fi
  return $rc
}

# Creates the run directory, installs the EXIT trap, stages the build, starts broker and cluster.
dw_setup() {
  DW_RUN=$(mktemp -d /tmp/devicewake.XXXXXX)
  chmod 755 "$DW_RUN"
  trap dw_cleanup EXIT
  trap 'exit 130' INT TERM
  dw_stage
  dw_broker_start
  dw_cluster_start
}
