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
prove -f -e bash ${CITUS:+$(printf 'test/citus/%s.t ' $CITUS)} ${CITUS:-test/citus/*.t}
