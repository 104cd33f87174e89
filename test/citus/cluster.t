# The cluster the Citus suite runs on: a coordinator and two active worker nodes, the extension
# installed on every node at the same version.
source "$(dirname "$0")/lib.sh"

is "$(qn 0 "SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND isactive AND groupid > 0")" 2 \
  "the coordinator has two active worker nodes"
is "$(qn 0 "SELECT extversion FROM pg_extension WHERE extname = 'citus'")" "13.2-1" "Citus 13.2 on the coordinator"
for n in 0 1 2; do
  is "$(qn $n "SELECT extversion FROM pg_extension WHERE extname = 'pg_devicewake'")" "1.1" \
    "pg_devicewake 1.1 on node $n"
done
echo "1..$DW_TAP_N"
[ "$DW_TAP_FAILED" -eq 0 ]
