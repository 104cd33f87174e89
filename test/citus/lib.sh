# TAP helpers for the Citus tests (test/run_citus.sh exports the cluster): those of the integration
# tests, plus qn NODE SQL, which runs SQL on node NODE (0 the coordinator, 1 and 2 the workers).
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
read -r -a DW_CITUS_PORTS <<<"$DW_CITUS_PORTS_LIST"
qn() { PGPORT=${DW_CITUS_PORTS[$1]} q "$2"; }
