# TAP helpers for the Citus tests (test/run_citus.sh exports the cluster): those of the integration
# tests, plus qn NODE SQL, which runs SQL on node NODE (0 the coordinator, 1 and 2 the workers),
# todo and is_todo, and nodes_holding.
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
read -r -a DW_CITUS_PORTS <<<"$DW_CITUS_PORTS_LIST"
qn() { PGPORT=${DW_CITUS_PORTS[$1]} q "$2"; }
# todo CONDITION_EXIT_STATUS DESCRIPTION REASON: a TAP TODO test: what one server does and Citus
# does not yet; reported by prove, never a failure.
todo() {
  DW_TAP_N=$((DW_TAP_N + 1))
  if [ "$1" -eq 0 ]; then echo "ok $DW_TAP_N - $2 # TODO $3"; else echo "not ok $DW_TAP_N - $2 # TODO $3"; fi
}
# is_todo GOT EXPECTED DESCRIPTION REASON
is_todo() { [ "$1" == "$2" ]; todo $? "$3" "$4"; }
# nodes_holding MAC_PREFIX: how many nodes hold the devices whose MAC starts with MAC_PREFIX
nodes_holding() {
  qn 0 "SELECT count(DISTINCT p.nodeport) FROM devicewake.devices d
        JOIN pg_dist_shard s ON s.logicalrelid = 'devicewake.devices'::regclass
         AND get_shard_id_for_distribution_column('devicewake.devices', d.device_id) = s.shardid
        JOIN pg_dist_shard_placement p USING (shardid) WHERE d.device_mac LIKE '$1%'"
}
