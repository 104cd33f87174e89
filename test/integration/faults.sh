# Shared scenarios of the reliability tests (faults_*.t): a drain of many commands and an upload of
# many chunks, each interrupted by a fault given as a shell command; figures printed as TAP
# diagnostics ("# name: value"). Source after lib.sh and scripts/lib.sh.
FAULT_TOOL=$(dirname "${BASH_SOURCE[0]}")/../../build/tools/fault_client

# fault_sub_start FILE: a subscriber on ESP32CAM/+/cmd writing one send_image name per line to FILE;
# returns once a probe has come back. Sets FAULT_SUB.
fault_sub_start() {
  "$FAULT_TOOL" subscribe 'ESP32CAM/+/cmd' "$1" >"$1.log" 2>&1 &
  FAULT_SUB=$!
  wait_subscribed ESP32CAM/PROBE/cmd "$1"
}

# wait_worker_back SECONDS OLD_PID: a new worker runs and is connected to the broker; prints the
# seconds since the fault began (FAULT_T0) and fails on timeout.
wait_worker_back() {
  local start=${FAULT_T0:-$EPOCHREALTIME} deadline=$((SECONDS + $1)) pid
  while [ $SECONDS -le $deadline ]; do
    pid=$(worker_pid)
    if [ -n "$pid" ] && [ "$pid" != "$2" ] && [ "$(q "SELECT connected FROM devicewake.worker_status()" 2>/dev/null)" = t ]; then
      awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }'
      return 0
    fi
    sleep 0.05
  done
  return 1
}

# drain_with_fault LABEL COUNT FAULT...: COUNT send_image commands to device TEST-FAULT-LABEL;
# FAULT runs once a quarter of them is sent. Checks: the worker comes back, every command ends
# sent and unclaimed, every command reached the subscriber at least once; prints duplicates.
drain_with_fault() {
  local label=$1 n=$2; shift 2
  local mac="TEST-FAULT-${label^^}" out="$DW_RUN/faults_$label.names" dev old back got total
  : >"$out"
  fault_sub_start "$out"; ok $? "$label: a subscriber listens on ESP32CAM/+/cmd"
  q "DELETE FROM devicewake.device_commands WHERE device_id IN (SELECT device_id FROM devicewake.devices WHERE device_mac = '$mac')" >/dev/null
  dev=$(q "INSERT INTO devicewake.devices (device_mac) SELECT '$mac'
         WHERE NOT EXISTS (SELECT FROM devicewake.devices WHERE device_mac = '$mac');
       UPDATE devicewake.devices SET device_name = NULL WHERE device_mac = '$mac' RETURNING device_id")
  old=$(worker_pid)
  q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
     SELECT '$dev', 'send_image', jsonb_build_object('image_name', '${label}_' || i) FROM generate_series(1, $n) i" >/dev/null
  wait_for 60 "SELECT count(*) >= $n / 4 FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent'"
  ok $? "$label: the drain is under way"
  local sent_at_fault
  sent_at_fault=$(q "SELECT count(*) FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent'")
  diag "$label: fault with $(q "SELECT count(*) FILTER (WHERE status = 'sent') || ' sent, ' || count(*) FILTER (WHERE claimed_at IS NOT NULL) || ' claimed'
                                  FROM devicewake.device_commands WHERE device_id = '$dev'") of $n"
  [ "$sent_at_fault" -lt "$n" ]; ok $? "$label: the fault hits mid-drain ($sent_at_fault of $n sent)"
  FAULT_T0=$EPOCHREALTIME
  "$@"
  back=$(wait_worker_back 30 "$old"); ok $? "$label: the worker is back and connected"
  diag "$label: worker back and connected ${back:-?} s after the fault began"
  wait_for 90 "SELECT count(*) = $n FROM devicewake.device_commands WHERE device_id = '$dev' AND status = 'sent' AND claimed_at IS NULL"
  ok $? "$label: every command ends sent"
  is "$(q "SELECT count(*) FROM devicewake.device_commands WHERE device_id = '$dev' AND (status <> 'sent' OR claimed_at IS NOT NULL)")" 0 \
    "$label: none is left pending, claimed or failed"
  local deadline=$((SECONDS + 30))
  while [ "$(grep "^${label}_" "$out" | sort -u | wc -l)" -lt "$n" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  got=$(grep "^${label}_" "$out" | sort -u | wc -l); total=$(grep -c "^${label}_" "$out")
  is "$got" "$n" "$label: every command was received at least once (zero lost)"
  diag "$label: received $total messages for $got distinct commands"
  diag "duplicates: $((total - got))"
  diag "$label: publish attempts $(q "SELECT sum(publish_count) FROM devicewake.device_commands WHERE device_id = '$dev'") for $n commands"
  kill "$FAULT_SUB" 2>/dev/null; wait "$FAULT_SUB" 2>/dev/null
}

# camera_at_site MAC: registers the fault tool's camera at a site with a schedule, so that the
# server asks it for its images (an unknown or unassigned camera is only told to sleep).
camera_at_site() {
  q "INSERT INTO devicewake.sites (name, wake_schedule_cron)
     SELECT 'Faults site', '0 */3 * * *' WHERE NOT EXISTS (SELECT FROM devicewake.sites WHERE name = 'Faults site')" >/dev/null
  q "INSERT INTO devicewake.devices (device_mac, site_id) SELECT '$1', site_id FROM devicewake.sites
     WHERE name = 'Faults site' AND NOT EXISTS (SELECT FROM devicewake.devices WHERE device_mac = '$1')" >/dev/null
}

# ingest_with_fault LABEL MAC IMAGES CHUNKS MAX_LOST FAULT...: a simulated camera holding IMAGES
# images of CHUNKS chunks is told send_all_pending and uploads them; FAULT runs once a fifth of
# the chunks is stored. Every chunk was PUBACKed to the camera by the broker. The chunks still
# missing once the broker's backlog has arrived are what the fault lost: at most MAX_LOST. Then
# the missing-chunk protocol must complete every image that kept a chunk; one that kept none is
# never asked for (the server cannot tell it from an upload not yet begun): the camera, which got
# no ACK_OK for it, sends it again at its next wake (or the sweep's retry asks for it).
ingest_with_fault() {
  local label=$1 mac=$2 images=$3 chunks=$4 max_lost=$5; shift 5
  local out="$DW_RUN/faults_$label.device" prefix="${label}_$RANDOM" old back pid lost stored_at_fault rc
  # no missing-chunk requests until the loss is counted: a chunk still queued at the broker for
  # the restarted worker is late, not lost
  q "ALTER SYSTEM SET devicewake.chunk_quiet_period = 3600" >/dev/null
  # the camera's next wake (20 s after the server fell silent) is a wake of its own
  q "ALTER SYSTEM SET devicewake.session_idle_timeout = 10" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
  camera_at_site "$mac"
  old=$(worker_pid)
  "$FAULT_TOOL" device "$mac" "$images" "$chunks" 256 120 "$prefix" >"$out" 2>&1 &
  pid=$!
  wait_for 60 "SELECT coalesce(sum(i.received_chunks), 0) >= $images * $chunks / 5 FROM devicewake.device_images i
               JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = '$mac' AND i.image_name LIKE '${prefix}\_%'"
  ok $? "$label: the upload is under way"
  stored_at_fault=$(q "SELECT coalesce(sum(i.received_chunks), 0) FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
                       WHERE d.device_mac = '$mac' AND i.image_name LIKE '${prefix}\_%'")
  [ "$stored_at_fault" -lt $((images * chunks)) ]; ok $? "$label: the fault hits mid-upload ($stored_at_fault of $((images * chunks)) chunks stored)"
  FAULT_T0=$EPOCHREALTIME
  "$@"
  back=$(wait_worker_back 30 "$old"); ok $? "$label: the worker is back and connected"
  diag "$label: fault with $stored_at_fault of $((images * chunks)) chunks stored; worker back and connected ${back:-?} s after the fault began"
  local images_sql="FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
                     WHERE d.device_mac = '$mac' AND i.image_name LIKE '${prefix}\_%'"
  # what the broker still held has arrived once the stored count stops moving for 3 s: the
  # chunks missing then were PUBACKed to the camera and lost by the fault
  local stored last=-1 still=0 deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ] && [ $still -lt 6 ]; do
    stored=$(q "SELECT coalesce(sum(i.received_chunks), 0) $images_sql")
    if [ "$stored" = "$last" ]; then still=$((still + 1)); else still=0; last=$stored; fi
    sleep 0.5
  done
  lost=$(( images * chunks - stored ))
  diag "$label: chunks PUBACKed to the camera but lost by the fault: $lost of $((images * chunks))"
  [ "$lost" -le "$max_lost" ]; ok $? "$label: at most $max_lost chunks PUBACKed at the MQTT level are lost by the fault"
  q "ALTER SYSTEM SET devicewake.chunk_quiet_period = 2" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
  # resend_chunks (quiet period 2 s) recovers images that kept some of their chunks
  wait_for 40 "SELECT count(*) = 0 $images_sql AND i.status = 'receiving' AND i.received_chunks > 0"
  ok $? "$label: resend_chunks completes every image that kept some chunks"
  local zero
  zero=$(q "SELECT count(*) $images_sql AND i.status = 'receiving' AND i.received_chunks = 0")
  diag "$label: images that had lost every chunk when the others were complete: $zero"
  is "$(q "SELECT count(*) FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
           WHERE d.device_mac = '$mac' AND c.command_type = 'resend_chunks'
             AND c.command_payload ->> 'image_name' IN (SELECT i.image_name $images_sql AND i.received_chunks = 0)")" 0 \
     "$label: an image that kept no chunk is not asked for chunk by chunk"
  zero=$(q "SELECT count(*) $images_sql AND i.status = 'receiving'")
  if [ "$zero" != 0 ]; then
    # what happens at the camera's next wake: the sweep fails the image and queues retry_image
    q "UPDATE devicewake.devices SET next_wake_at = now() - interval '1 minute' WHERE device_mac = '$mac'" >/dev/null
    diag "$label: the sweep queues $(q "SELECT count(*) FROM devicewake.timeout_stale_images() WHERE image_name LIKE '${prefix}\_%' AND command_id IS NOT NULL") retries"
  fi
  wait "$pid"; rc=$?
  ok $rc "$label: every image completes (resend_chunks, or the sweep's retry)"
  sed 's/^/#   camera: /' "$out" >&2
  diag "$label: asked again by resend_chunks: $(awk '$1 == "chunks_requested_distinct" { print $2 }' "$out") chunks; re-sent whole after the sweep: $zero images; wakes of the camera: $(awk '$1 == "wakes" { print $2 }' "$out")"
  is "$(q "SELECT count(*) FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
           WHERE d.device_mac = '$mac' AND i.image_name LIKE '${prefix}\_%' AND i.status = 'complete' AND i.received_chunks = $chunks")" \
     "$images" "$label: every image is complete with all its chunks"
  q "ALTER SYSTEM RESET devicewake.chunk_quiet_period" >/dev/null
  q "ALTER SYSTEM RESET devicewake.session_idle_timeout" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
}

