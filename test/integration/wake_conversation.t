# The wake conversation with simulated cameras that behave like the firmware (build/tools/
# camera_sim: they wait to be told, and sleep on the first sleep signal or when they hear nothing):
# a fresh wake (capture, a lost chunk asked for on /ack, one send_image despite repeated METADATA,
# the sleep signal last), backlogs of 2 and 10 in both backlog modes (no sleep signal before the
# last image, then the wake's own capture), an unknown and an unassigned camera (told to sleep on
# the default schedule), a HELLO in the middle of a wake (the conversation goes on), a manual wake
# 3 days ahead and a weekly schedule (relays; the override survives them; the requested wake
# happens), and a camera that never answers (session_idle_timeout ends its wake).
source "$(dirname "$0")/lib.sh"
WORK=$DW_RUN/wake_conversation_t
source "$(dirname "$0")/sim.sh"

RUN_ID=$(printf '%04X' $((RANDOM % 65536)))
mac() { printf 'C0%s%06X' "$RUN_ID" "$1"; }
F=$(mac 1); B2=$(mac 2); B10=$(mac 3); P2=$(mac 4); UNKNOWN=$(mac 5); UNASSIGNED=$(mac 6)
MID=$(mac 7); MANUAL=$(mac 8); WEEKLY=$(mac 9); MUTE=$(mac 10)
cleanup() {
  q "ALTER SYSTEM RESET devicewake.session_idle_timeout" >/dev/null 2>&1
  q "ALTER SYSTEM RESET devicewake.chunk_quiet_period" >/dev/null 2>&1
  q "SELECT pg_reload_conf()" >/dev/null 2>&1
}
trap cleanup EXIT
session_sql() { echo "FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = '$1'"; }
# what camera CAM took in order, one event a line (CMD, ACK_OK, SLEEP, MISSING), from sim NAME
story() { grep -E "^(CMD|ACK_OK|SLEEP|MISSING) $2( |\$)" "$WORK/$1.out" | sed "s/ $2//"; }
# the sleep signal's wake time for an instant, as the camera is told it (UTC, H:MMAM)
told() { q "SELECT to_char(($1) AT TIME ZONE 'UTC', 'FMHH12:MIAM')"; }

q "ALTER SYSTEM SET devicewake.chunk_quiet_period = 2" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
sim_assign "$F" "$B2" "$B10" "$P2" "$MID" "$MANUAL" "$MUTE"
q "INSERT INTO devicewake.devices (device_mac) VALUES ('$UNASSIGNED')" >/dev/null
q "UPDATE devicewake.devices SET backlog_mode = 'send_image' WHERE device_mac = '$P2'" >/dev/null
q "INSERT INTO devicewake.sites (name, timezone, wake_schedule_cron) VALUES ('Weekly site', 'Europe/Paris', '0 6 * * MON')" >/dev/null
q "INSERT INTO devicewake.devices (device_mac, site_id) SELECT '$WEEKLY', site_id FROM devicewake.sites WHERE name = 'Weekly site'" >/dev/null

# --- a fresh wake: capture, one lost chunk, METADATA repeated every 10 chunks, the sleep signal
sim_start fresh --chunk-size 1000
sim_say fresh "next-capture $F fresh.jpg 25000"
sim_say fresh "fault $F drop 13"
sim_say fresh "wake $F"
sim_wait fresh 30 "^SLEEP $F signal"; ok $? "a fresh wake ends with the sleep signal"
is "$(story fresh "$F" | tr '\n' '|')" \
   "CMD capture_image|CMD send_image fresh.jpg|MISSING fresh.jpg 1 chunks|ACK_OK fresh.jpg|SLEEP signal $(told "(SELECT next_wake_at FROM devicewake.devices WHERE device_mac = '$F')")|" \
   "capture_image, one send_image, the lost chunk asked for, then the sleep signal naming the image and the next wake"
is "$(grep -c "^METADATA $F fresh.jpg" "$WORK/fresh.out")" 2 \
   "the camera sent its METADATA with the capture and again with the chunks (repeated every 10 of them)"
is "$(q "SELECT count(*) FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
         WHERE d.device_mac = '$F' AND c.command_type = 'send_image'")" 1 "one send_image command for the image"
is "$(q "SELECT command_type FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
         WHERE d.device_mac = '$F' AND c.command_type = 'resend_chunks'")" resend_chunks "the missing chunk was asked for once"
sim_say fresh "verify $F fresh.jpg"
sim_wait fresh 10 "^VERIFY $F fresh.jpg ok"; ok $? "the stored image is byte-exact"
wait_for 10 "SELECT s.status = 'completed' AND s.phase = 'done' AND s.chunks_missing = '{}' $(session_sql "$F")"
ok $? "the sleep signal ended the session, completed, chunks_missing cleared"
sim_stop fresh; ok $? "no failed directive"

# --- backlogs: 2 and 10 images held from earlier wakes (send_all_pending), 2 one name at a time
sim_start backlog --chunk-size 1000
for i in 1 2; do sim_say backlog "hold $B2 old_$i.jpg 3000"; sim_say backlog "hold $P2 old_$i.jpg 3000"; done
for i in $(seq 1 10); do sim_say backlog "hold $B10 old_$i.jpg 2000"; done
for c in "$B2" "$B10" "$P2"; do sim_say backlog "next-capture $c own.jpg 4000"; sim_say backlog "wake $c"; done
for c in "$B2" "$B10" "$P2"; do sim_wait backlog 60 "^SLEEP $c signal" || break; done
ok $? "the three backlog wakes end with the sleep signal"
is "$(story backlog "$B2" | tr '\n' '|' | sed -E 's/signal [^|]*/signal/')" \
   "CMD send_all_pending|ACK_OK old_1.jpg|ACK_OK old_2.jpg|CMD capture_image|CMD send_image own.jpg|ACK_OK own.jpg|SLEEP signal|" \
   "a backlog of 2: send_all_pending, each image acknowledged, then the capture, the sleep signal last"
is "$(story backlog "$B10" | grep -c '^ACK_OK old_')" 10 "a backlog of 10: every image acknowledged"
is "$(story backlog "$B10" | grep -n . | grep -E 'SLEEP' | cut -d: -f1)" "$(story backlog "$B10" | wc -l)" \
   "and no sleep signal before the last answer"
is "$(story backlog "$B10" | sed -n '12,14p' | tr '\n' '|')" "CMD capture_image|CMD send_image own.jpg|ACK_OK own.jpg|" \
   "then the wake's own capture"
is "$(story backlog "$P2" | tr '\n' '|' | sed -E 's/signal [^|]*/signal/')" \
   "CMD send_image old_1.jpg|ACK_OK old_1.jpg|CMD send_image old_2.jpg|ACK_OK old_2.jpg|CMD capture_image|CMD send_image own.jpg|ACK_OK own.jpg|SLEEP signal|" \
   "backlog_mode send_image: one name at a time, the next after the previous completed"
is "$(grep -c "^IGNORED" "$WORK/backlog.out")" 0 "the cameras were never told anything they could not do"
sim_stop backlog; ok $? "no failed directive"

# --- an unknown and an unassigned camera: told to sleep on the default schedule, nothing else
sim_start stray
sim_say stray "hold $UNKNOWN kept.jpg 2000"
sim_say stray "wake $UNKNOWN"
sim_say stray "wake $UNASSIGNED"
sim_wait stray 20 "^SLEEP $UNKNOWN signal" && sim_wait stray 20 "^SLEEP $UNASSIGNED signal"
ok $? "an unknown and an unassigned camera are told to sleep"
default_wake=$(told "devicewake.fn_calculate_next_wake_time(now(), '0 */3 * * *', 'UTC')")
is "$(story stray "$UNKNOWN" | tr '\n' '|')" "SLEEP signal $default_wake|" "the unknown one is told the next slot of default_wake_schedule, nothing else"
is "$(story stray "$UNASSIGNED" | tr '\n' '|')" "SLEEP signal $default_wake|" "and so is the unassigned one"
is "$(q "SELECT site_id IS NULL FROM devicewake.devices WHERE device_mac = '$UNKNOWN'")" t "the unknown camera was registered, unassigned"
sim_stop stray; ok $? "no failed directive"

# --- a HELLO in the middle of a wake is the same wake: the conversation is not restarted
sim_start mid --chunk-size 1000
sim_say mid "fault $MID delay 2"
sim_say mid "next-capture $MID mid.jpg 5000"
sim_say mid "wake $MID"
sim_say mid "wait-cmd $MID capture_image 20"
sim_say mid "send-raw $MID status {\"device_id\":\"$MID\",\"status\":\"Alive\",\"pendingImg\":0}"
sim_wait mid 40 "^SLEEP $MID signal"; ok $? "the wake with a second HELLO ends with the sleep signal"
is "$(story mid "$MID" | grep -c 'capture_image')" 1 "one capture_image: the second HELLO did not restart the conversation"
is "$(q "SELECT count(*) || ' ' || max(s.hello_count) $(session_sql "$MID")")" "1 2" "one session, two HELLOs"
sim_stop mid; ok $? "no failed directive"

# --- a manual wake 3 days ahead (every-3-hours site), and a weekly schedule: relays
# minutes of a day for a told time (H:MMAM), to compare two told times a minute boundary apart
minutes() { local h=${1%%:*} m=${1#*:}; m=${m%??}; h=$((10#$h % 12)); [ "${1: -2}" = PM ] && h=$((h + 12)); echo $((h * 60 + 10#$m)); }
near() { local d=$(( ($(minutes "$1") - $(minutes "$2") + 1440) % 1440 )); [ "$d" -le 1 ] || [ "$d" -ge 1439 ]; }
sim_start far --chunk-size 1000
for c in "$MANUAL" "$WEEKLY"; do sim_say far "fault $c delay 1"; sim_say far "next-capture $c first.jpg 2000"; sim_say far "wake $c"; done
sim_wait far 20 "^CMD $MANUAL capture_image" && sim_wait far 20 "^CMD $WEEKLY capture_image"
# asked while the cameras are awake (a camera hears what was published for it while it slept
# only once its persistent session exists, that is after its first wake)
q "SELECT devicewake.request_manual_wake(device_id, now() + interval '3 days') FROM devicewake.devices WHERE device_mac IN ('$MANUAL', '$WEEKLY')" >/dev/null
sim_wait far 30 "^SLEEP $MANUAL signal" && sim_wait far 30 "^SLEEP $WEEKLY signal"; ok $? "both wakes end with the sleep signal"
is "$(story far "$MANUAL" | grep 'CMD set_wake_schedule' | cut -d' ' -f3)" \
   "$(told "devicewake.fn_calculate_next_wake_time(now(), '0 */3 * * *', 'UTC')")" \
   "the manual wake 3 days ahead is told as the schedule's next slot (within 24 h)"
relay=$(told "(SELECT next_wake_at FROM devicewake.devices WHERE device_mac = '$WEEKLY')")
is "$(story far "$WEEKLY" | tail -n 1)" "SLEEP signal $relay" "on a weekly schedule the sleep signal tells the device's next wake"
is "$(q "SELECT next_wake_at BETWEEN now() + interval '22 hours' AND now() + interval '23 hours' FROM devicewake.devices WHERE device_mac = '$WEEKLY'")" t \
   "which is a relay 23 h ahead (a time more than 24 h away cannot be said)"
near "$(story far "$WEEKLY" | grep 'CMD set_wake_schedule' | cut -d' ' -f3)" "$relay"
ok $? "its set_wake_schedule was told the relay too"
is "$(q "SELECT string_agg(manual_wake_override::text || ' ' || relay_wake, ',' ORDER BY device_mac) FROM devicewake.devices WHERE device_mac IN ('$MANUAL', '$WEEKLY')")" \
   "true false,true true" "both overrides stand; the weekly camera's next wake is a relay"
sim_say far "fault $WEEKLY none"
# the relay wake: the camera wakes, says HELLO and is only told when to wake next
sim_say far "wake $WEEKLY"
wait_text 30 "$WORK/far.out" "SLEEP $WEEKLY signal" 2; ok $? "the relay wake ends with the sleep signal"
is "$(story far "$WEEKLY" | grep -c 'capture_image')" 1 "at the relay wake nothing is captured"
is "$(q "SELECT manual_wake_override FROM devicewake.devices WHERE device_mac = '$WEEKLY'")" t "the override survives the relay"
# the requested wake comes (its time moved near: the clock is not the test's to move)
q "UPDATE devicewake.devices SET manual_wake_at = now() + interval '1 minute' WHERE device_mac = '$WEEKLY'" >/dev/null
sim_say far "next-capture $WEEKLY w2.jpg 2000"
sim_say far "wake $WEEKLY"
sim_wait far 30 "^ACK_OK $WEEKLY w2.jpg" && wait_text 30 "$WORK/far.out" "SLEEP $WEEKLY signal" 3
ok $? "at the requested wake the camera is asked for a picture again, then told to sleep"
is "$(q "SELECT manual_wake_override::text || ' ' || (manual_wake_at IS NULL) FROM devicewake.devices WHERE device_mac = '$WEEKLY'")" \
   "false true" "the requested wake cleared the override"
sim_stop far; ok $? "no failed directive"

# --- a camera that never answers: its wake ends after session_idle_timeout of silence
q "ALTER SYSTEM SET devicewake.session_idle_timeout = 5" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
sim_start mute
sim_say mute "fault $MUTE mute"
sim_say mute "wake $MUTE"
sim_wait mute 10 "^HELLO $MUTE"
wait_for 10 "SELECT count(*) = 1 FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
             WHERE d.device_mac = '$MUTE' AND c.command_type = 'capture_image' AND c.status = 'sent'"
ok $? "the silent camera was asked for a picture"
wait_for 20 "SELECT s.status = 'completed' AND s.ended_at IS NOT NULL $(session_sql "$MUTE")"
ok $? "session_idle_timeout ended its wake"
sim_say mute "sleep $MUTE"
sim_stop mute; ok $? "no failed directive"

done_testing
