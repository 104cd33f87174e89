# Drives build/tools/camera_sim in script mode from integration tests: one simulator per NAME,
# fed line by line through a FIFO in $WORK, its event lines in $WORK/NAME.out. Source after
# lib.sh with WORK set; every wait is on a condition with a bounded timeout.
SIM=$(dirname "${BASH_SOURCE[0]}")/../../build/tools/camera_sim
mkdir -p "$WORK"

sim_start() {  # sim_start NAME [OPTIONS...]: a script-mode simulator reading $WORK/NAME.in
  local name=$1; shift
  rm -f "$WORK/$name.in"; mkfifo "$WORK/$name.in"
  "$SIM" "$@" script <"$WORK/$name.in" >"$WORK/$name.out" 2>&1 &
  eval "SIM_PID_$name=$!"
  exec {fd}>"$WORK/$name.in"
  eval "SIM_FD_$name=$fd"
}
sim_say() { local fd; eval "fd=\$SIM_FD_$1"; echo "$2" >&"$fd"; }
sim_stop() {  # sim_stop NAME: quit and wait for the simulator's exit status
  local fd pid; eval "fd=\$SIM_FD_$1; pid=\$SIM_PID_$1"
  echo quit >&"$fd"; exec {fd}>&-
  wait "$pid"
}
sim_wait() {  # sim_wait NAME SECONDS REGEX: waits for a matching output line
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -le $deadline ]; do
    grep -q -E "$3" "$WORK/$1.out" 2>/dev/null && return 0
    sleep 0.02
  done
  echo "# no line matching '$3' in $WORK/$1.out:"; sed 's/^/#   /' "$WORK/$1.out" | tail -n 15
  return 1
}
# sim_assign MAC...: registers the cameras at a site with a schedule (an unknown or unassigned
# camera is only told to sleep), so that the server asks them for pictures.
sim_assign() {
  local macs
  macs=$(printf "'%s'," "$@"); macs=${macs%,}
  q "INSERT INTO devicewake.sites (name, timezone, wake_schedule_cron)
     SELECT 'Simulated cameras', 'UTC', '0 */3 * * *'
     WHERE NOT EXISTS (SELECT FROM devicewake.sites WHERE name = 'Simulated cameras')" >/dev/null
  q "INSERT INTO devicewake.devices (device_mac, site_id)
     SELECT m, (SELECT site_id FROM devicewake.sites WHERE name = 'Simulated cameras' LIMIT 1)
     FROM unnest(ARRAY[$macs]) m WHERE NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_mac = m)" >/dev/null
}
