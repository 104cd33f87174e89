# Shared by bench/*.sh (source it): the machine's load, and the one rule for saying a target is
# met. A figure measured while the machine is busier than its cores is printed, but no verdict
# is given on it: "target_met=not judged".

# bench_load: one line "load: 1-min L, N cores" from /proc/loadavg and nproc.
bench_load() {
  echo "load: $(cut -d' ' -f1 /proc/loadavg) (1-min average), $(nproc) cores"
}

# bench_verdict MET: MET is yes or no (from the bench's own comparison); prints
# "target_met=yes|no", or "target_met=not judged (load L > N cores)" when the 1-minute load
# average is above the core count.
bench_verdict() {
  local load cores
  load=$(cut -d' ' -f1 /proc/loadavg); cores=$(nproc)
  if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > c) }'; then
    echo "target_met=not judged (load $load > $cores cores)"
  else
    echo "target_met=$1"
  fi
}
