#!/usr/bin/env bash
# Extra suite "differential": devicewake.fn_calculate_next_wake_time against croner (an
# independent npm cron library) over 10,000 random expressions, zones and instants from a fixed
# seed. Runs against the live cluster in PGHOST/PGPORT/PGDATABASE; installs croner from the
# committed package-lock.json into test/differential/node_modules on first use.
set -euo pipefail
cd "$(dirname "$0")/differential"
if ! node -e 'process.exit(require("./node_modules/croner/package.json").version === require("./package-lock.json").packages["node_modules/croner"].version ? 0 : 1)' 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
[ "${1:-}" = --install-only ] && exit 0
exec node differential.mjs
