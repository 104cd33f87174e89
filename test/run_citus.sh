#!/usr/bin/env bash
# Extra suite "citus": the extension on a real Citus cluster (a coordinator and two worker nodes on
# loopback, scripts/citus_cluster.sh), distributed with devicewake.distribute_on_citus(), and the
# test/citus/*.t TAP tests run against it by prove. Without Citus (and without ../shared/citus to
# build it from) it prints one SKIP line naming how to get Citus, and passes.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/citus_cluster.sh

dw_citus_find
case $? in 0) ;; 1) exit 0 ;; *) exit 1 ;; esac
dw_citus_start || exit 1
export DW_CITUS_PORTS_LIST="${DW_CITUS_PORTS[*]}" DW_CITUS_DIR DW_PGBIN
# in this order: the cluster, its distribution, then what runs on it (CITUS="name ..." narrows)
tests=()
for name in ${CITUS:-cluster distribute seed_scenarios rls jwt sweep directory}; do
  [ -f "test/citus/$name.t" ] && tests+=("test/citus/$name.t")
done
prove -f -e bash "${tests[@]}"
