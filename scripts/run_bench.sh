#!/usr/bin/env bash
# Runs the benchmarks under bench/ (each bench/<topic>.sh) against a throwaway cluster and broker.
# Benchmarks print figures and ratios against a baseline measured in the same run; they assert
# nothing. Usage: scripts/run_bench.sh [TOPIC...]  (default: every bench/*.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

make -s -j2 all tools >/dev/null || { echo "build failed" >&2; exit 1; }
dw_setup || exit 1

topics=("$@")
[ ${#topics[@]} -gt 0 ] || topics=($(ls bench/*.sh 2>/dev/null | xargs -n1 basename | sed 's/\.sh$//'))
status=0
for t in "${topics[@]}"; do
  echo; echo "=== bench: $t"
  DW_RUN=$DW_RUN DW_PGBIN=$DW_PGBIN DW_PGDATA=$DW_PGDATA bash "bench/$t.sh" || { echo "bench $t failed"; status=1; }
done
exit $status
