#!/usr/bin/env bash
# Cost of parsing one 1 KB chunk message in the worker's pure core (build/tools/parse_probe):
# ParseInbound with the payload cut out before JSON parsing, against the same message parsed
# whole (the path before the cut, taken for any message with a backslash) and against
# nlohmann::json::parse alone, all in one process. Prints figures and ratios; asserts nothing.
# Knob: DW_BENCH_PARSE_ITERATIONS (200000).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
bench_load
build/tools/parse_probe "${DW_BENCH_PARSE_ITERATIONS:-200000}"
bench_load
