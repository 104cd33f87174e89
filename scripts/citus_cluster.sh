# A throwaway Citus cluster on loopback for the Citus suite: a coordinator and two worker nodes,
# each a cluster of scripts/lib.sh (pg_cron and pg_devicewake preloaded after citus, the extension
# created on every node), the workers added with citus_add_node. Source it after scripts/lib.sh.
#   dw_citus_find   finds Citus 13.2 for PostgreSQL 15, or installs it with ../shared/citus/install.sh
#                   when that is beside the checkout; otherwise prints one SKIP line and returns 1
#   dw_citus_start  starts the three nodes; DW_CITUS_PORTS holds their ports (coordinator first)
#   dw_citus_stop   stops them (the EXIT trap that dw_citus_start installs calls it)

DW_CITUS_SKIP='SKIP citus: Citus 13.2 is not installed; install postgresql-15-citus-13.2 from Citus'"'"'s packages, or put ../shared/citus beside the checkout'

dw_citus_installed() {
  local pg_config=$DW_PGBIN_SYSTEM/pg_config
  [ -f "$($pg_config --pkglibdir)/citus.so" ] &&
    grep -q "default_version = '13.2" "$($pg_config --sharedir)/extension/citus.control" 2>/dev/null
}

dw_citus_find() {
  dw_citus_installed && return 0
  local installer=$DW_ROOT/../shared/citus/install.sh
  if [ -x "$installer" ]; then
    dw_log "Citus is not installed: building it with $installer (about 2.5 minutes)"
    "$installer" >&2 || { dw_log "$installer failed"; return 2; }
    dw_citus_installed && return 0
  fi
  echo "$DW_CITUS_SKIP"
  return 1
}

# The server processes read the cluster's password from this file when a node connects to another
# (Citus's connections use libpq, which reads PGPASSFILE).
dw_as_postgres() { runuser -u postgres -- env PGPASSFILE="$DW_CITUS_DIR/pgpass.server" "$@"; }

dw_citus_start() {
  DW_CITUS_DIR=$(mktemp -d /tmp/devicewake-citus.XXXXXX)
  chmod 755 "$DW_CITUS_DIR"
  trap dw_citus_stop EXIT
  trap 'exit 130' INT TERM
  DW_RUN=$DW_CITUS_DIR
  dw_stage
  dw_stage_links
  DW_PGPASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  export DW_PGPASSWORD
  printf '*:*:*:*:%s\n' "$DW_PGPASSWORD" >"$DW_CITUS_DIR/pgpass.server"
  chown postgres "$DW_CITUS_DIR/pgpass.server"; chmod 600 "$DW_CITUS_DIR/pgpass.server"
  DW_CITUS_PORTS=()
  local node
  for node in coordinator worker1 worker2; do
    mkdir -p "$DW_CITUS_DIR/$node"
    DW_RUN=$DW_CITUS_DIR/$node
    unset DW_PGPORT
    # citus first; devicewake.enabled = off until a test starts the nodes' workers itself
    DW_PG_CONF_EXTRA="shared_preload_libraries = 'citus,pg_cron,pg_devicewake'
max_prepared_transactions = 64
max_connections = 200
citus.enable_unsafe_triggers = on
citus.log_remote_commands = off
devicewake.enabled = off
${DW_CITUS_CONF_EXTRA:-}"
    # (a port found free may be taken before the node binds it: then again on another one)
    local try
    for try in 1 2 3; do
      dw_cluster_start && break
      [ "$try" = 3 ] && return 1
      rm -rf "$DW_RUN"; mkdir -p "$DW_RUN"; unset DW_PGPORT
    done
    psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION citus" >/dev/null || return 1
    DW_CITUS_PORTS+=("$DW_PGPORT")
  done
  DW_RUN=$DW_CITUS_DIR
  export PGHOST=127.0.0.1 PGPORT=${DW_CITUS_PORTS[0]} PGPASSFILE=$DW_CITUS_DIR/coordinator/pgpass
  psql -X -q -v ON_ERROR_STOP=1 \
    -c "SELECT citus_set_coordinator_host('127.0.0.1', ${DW_CITUS_PORTS[0]})" \
    -c "SELECT citus_add_node('127.0.0.1', ${DW_CITUS_PORTS[1]})" \
    -c "SELECT citus_add_node('127.0.0.1', ${DW_CITUS_PORTS[2]})" >/dev/null || return 1
  dw_log "Citus: coordinator on port ${DW_CITUS_PORTS[0]}, workers on ${DW_CITUS_PORTS[1]} and ${DW_CITUS_PORTS[2]}"
}

dw_citus_stop() {
  local rc=$? node
  for node in coordinator worker1 worker2; do
    DW_PGDATA=$DW_CITUS_DIR/$node/pgdata dw_cluster_stop
  done
  DW_RUN=$DW_CITUS_DIR dw_broker_stop
  [ -n "${DW_CITUS_DIR:-}" ] && [ -z "${DW_KEEP_RUN:-}" ] && rm -rf "$DW_CITUS_DIR"
  return $rc
}
