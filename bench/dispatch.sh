# Dispatch worker: commit -> receipt latency at 100 commands/s for 30 s (p50/p99 against the raw
# broker round trip measured in the same run), and a 100,000-command drain (rate, worker RSS).
set -u
probe=build/tools/dispatch_probe
echo "-- latency (target p99 <= 10 ms; the 5 s polling design averaged 2.5 s)"
"$probe" latency "${DW_BENCH_RATE:-100}" "${DW_BENCH_SECONDS:-30}"
echo "-- drain (target >= 10,000 commands/s)"
"$probe" drain "${DW_BENCH_DRAIN:-100000}"
