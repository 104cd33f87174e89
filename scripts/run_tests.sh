#!/usr/bin/env bash
# Runs every suite against real parts: GoogleTest unit tests of the pure core, pg_regress and
# isolation specs, pgTAP (pg_prove), and integration tests (prove) with a real cluster and a
# real mosquitto broker. Prints each runner's summary, then one line "suites: N passed, N failed".
# Usage: scripts/run_tests.sh [SUITE...]   (default: all; e.g. `scripts/run_tests.sh regress pgtap citus`;
# REGRESS="cron" narrows pg_regress to named tests, INTEGRATION="dispatch" the integration tests).
set -uo pipefail
wanted=" $* "
cd "$(dirname "$0")/.."
source scripts/lib.sh

make -s -j2 all unit-build tools >/dev/null || { echo "build failed" >&2; exit 1; }

dw_setup || exit 1

passed=0; failed=0; failed_names=()
suite() {
  local name=$1; shift
  [ "$wanted" = "  " ] || [[ "$wanted" == *" $name "* ]] || return 0
  echo; echo "=== suite: $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names+=("$name"); fi
}

run_regress() {
  make -s installcheck ${REGRESS:+REGRESS="$REGRESS"} || { cat regression.diffs 2>/dev/null | head -n 200; return 1; }
}
run_pgtap() {
  pg_prove -q --failures -d "$DW_DB" test/pgtap/*.sql
}
run_integration() {
  local tests=(test/integration/*.t) name
  if [ -n "${INTEGRATION:-}" ]; then
    tests=(); for name in $INTEGRATION; do tests+=("test/integration/$name.t"); done
  fi
  DW_RUN=$DW_RUN DW_PGBIN=$DW_PGBIN DW_PGDATA=$DW_PGDATA prove -f -e bash "${tests[@]}"
}

suite unit "$PWD/build/unit/unit_tests" --gtest_brief=1
suite regress run_regress
suite pgtap run_pgtap
suite integration run_integration
# extra suites: test/run_NAME.sh is the suite NAME (differential, citus)
for extra in test/run_*.sh; do
  name=$(basename "$extra" .sh)
  [ -x "$extra" ] && suite "${name#run_}" "$extra"
done

echo
[ ${#failed_names[@]} -eq 0 ] || echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
