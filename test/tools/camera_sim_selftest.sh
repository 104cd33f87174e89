#!/usr/bin/env bash
# Checks that build/tools/camera_sim behaves like the ESP32-CAM firmware (docs/design.md §8.1) without any
# server: a throwaway mosquitto, one script-mode simulator, and this script playing the server with
# mosquitto_pub while mosquitto_sub records every message on the wire. TAP output; every wait is on
# a condition with a bounded timeout. Usage: make tools && test/tools/camera_sim_selftest.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
source test/integration/lib.sh  # ok, is, wait_text, wait_subscribed, pub, done_testing

[ -x build/tools/camera_sim ] || { echo "build/tools/camera_sim is missing: make tools" >&2; exit 2; }
DW_RUN=$(mktemp -d /tmp/camsim_selftest.XXXXXX)
SIM_PID=; SUB_PID=
selftest_cleanup() {
  local rc=$?
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
  [ -n "$SUB_PID" ] && kill "$SUB_PID" 2>/dev/null
  dw_cleanup
  return $rc
}
trap selftest_cleanup EXIT
trap 'exit 130' INT TERM
dw_broker_start || exit 1

EVENTS=$DW_RUN/events WIRE=$DW_RUN/wire
A=CA5E1F000001 B=CA5E1F000002 C=CA5E1F000003 D=CA5E1F000004 E=CA5E1F000005

: >"$WIRE"
mosquitto_sub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -v -t 'ESP32CAM/#' >>"$WIRE" 2>/dev/null &
SUB_PID=$!
wait_subscribed ESP32CAM/PROBE/cmd "$WIRE" || { echo "the wire recorder did not subscribe" >&2; exit 1; }
mkfifo "$DW_RUN/in"
build/tools/camera_sim --chunk-size 100 --image-size 2550 --listen-timeout 4 script \
  <"$DW_RUN/in" >"$EVENTS" 2>&1 &
SIM_PID=$!
exec {SIM_FD}>"$DW_RUN/in"

say() { echo "$*" >&"$SIM_FD"; }
event() { wait_text "${3:-10}" "$EVENTS" "$1" "${2:-1}"; }  # event LINE [COUNT [SECONDS]]
server() { pub "ESP32CAM/$1/$2" "$3"; }                     # server CAM SUBTOPIC BODY
wire() { grep -c -F -- "$1" "$WIRE"; }                       # wire TEXT: messages containing TEXT
# barrier CAM: a ping, then its CMD line and its command_ack on the wire. When it returns the
# camera is listening (not streaming), and all it published before is on the wire (one publisher's
# messages reach a subscriber in order).
barrier() {
  local seen acks ack="ESP32CAM/$1/ack {\"device_id\":\"$1\",\"command_ack\":\"acknowledged\"}"
  seen=$(grep -c -x "CMD $1 ping" "$EVENTS")
  acks=$(wire "$ack")
  server "$1" cmd '{"ping":true}'
  event "CMD $1 ping" $((seen + 1)) && wait_text 10 "$WIRE" "$ack" $((acks + 1))
}
# image CAM NAME: the image reassembled from the chunks on the wire, in chunk order, as hex
image() {
  grep -F "\"image_name\":\"$2\",\"chunk_id\":" "$WIRE" | grep "^ESP32CAM/$1/data " |
    sed -E 's/.*"chunk_id":([0-9]+),.*"payload":"([^"]*)".*/\1 \2/' | sort -n -u -k1,1 |
    while read -r _ b64; do printf '%s' "$b64" | base64 -d; done | od -An -v -tx1 | tr -d ' \n'
}

# --- HELLO, then nothing until told; a listen timeout
say "hold $A old.jpg 250"
say "wake $A"
event "HELLO $A pending 1"; ok $? "a wake starts with HELLO"
wait_text 10 "$WIRE" "ESP32CAM/$A/status {\"device_id\":\"$A\",\"status\":\"Alive\",\"pendingImg\":1,\"pending_list\":[\"old.jpg\"]"
ok $? "HELLO carries device_id, status Alive, pendingImg and pending_list"
grep -q "as camsim-$A (p2, c0," "$DW_RUN/mosquitto.log"; ok $? "client id camsim-{MAC}, persistent session"
event "SLEEP $A timeout" 1 8; ok $? "told nothing, it sleeps after its listen timeout"
is "$(wire "ESP32CAM/$A/data"),$(grep -c -E "^(METADATA|UPLOADED|CAPTURE) $A" "$EVENTS")" "0,0" "it sent nothing unprompted"

# --- capture_image (queued while asleep: the session keeps it), METADATA, then it waits
server $A cmd '{"device_id":"'$A'","capture_image":true}'
say "wake $A"
event "CAPTURE $A image_2.jpg 2550"; ok $? "a capture_image queued while asleep is taken at the next wake"
barrier $A
is "$(grep -c -E "^UPLOADED $A" "$EVENTS")" 0 "after its METADATA it waits for send_image"
meta="ESP32CAM/$A/data {\"device_id\":\"$A\",\"timestamp\":\""
is "$(grep -F "$meta" "$WIRE" | grep -c -E '"image_name":"image_2.jpg","image_id":2,"image_size":2550,"max_chunks_size":100,"total_chunk_count":26,"location":"[^"]+","error":0,"sensor_data":\{"temperature":[0-9.]+,"humidity":[0-9.]+,"pressure":[0-9.]+,"gas_resistance":[0-9.]+\}\}$')" 1 \
  "METADATA has the firmware's fields"
is "$(wire "ESP32CAM/$A/ack {\"device_id\":\"$A\",\"command_ack\":\"acknowledged\"}")" 1 "a ping is acknowledged on /ack"

# --- send_image: METADATA every 10 chunks, every chunk, an exact JPEG
server $A cmd '{"device_id":"'$A'","send_image":"image_2.jpg"}'
event "UPLOADED $A image_2.jpg 26 chunks"; ok $? "send_image streams the image"
barrier $A
is "$(grep -F "$meta" "$WIRE" | grep -c '"image_name":"image_2.jpg"')" 4 "its METADATA once after the capture, then before chunks 0, 10 and 20"
is "$(wire '"image_name":"image_2.jpg","chunk_id":')" 26 "every chunk once"
is "$(grep -F '"image_name":"image_2.jpg","chunk_id":0,' "$WIRE" | grep -c -F '"max_chunk_size":100,"payload":"')" 1 "chunks carry max_chunk_size and a base64 payload"
img=$(image $A image_2.jpg)
is "${#img} ${img:0:6} ${img: -4}" "5100 ffd8ff ffd9" "the chunks make 2550 bytes starting FF D8 FF and ending FF D9"

# --- missing chunks, ACK_OK true, send_image for what it does not hold
server $A ack '{"device_id":"'$A'","image_name":"image_2.jpg","missing_chunks":[3,7]}'
event "RESENT $A image_2.jpg 2 chunks"; ok $? "missing_chunks on /ack is answered"
barrier $A
is "$(wire '"image_name":"image_2.jpg","chunk_id":3,'),$(wire '"image_name":"image_2.jpg","chunk_id":7,'),$(wire '"image_name":"image_2.jpg","chunk_id":4,')" "2,2,1" \
  "exactly the missing chunks are sent again"
server $A ack '{"device_id":"'$A'","image_name":"image_2.jpg","ACK_OK":true}'
event "ACK_OK $A image_2.jpg"; ok $? "ACK_OK true is taken"
barrier $A; ok $? "after ACK_OK true it stays awake"
server $A cmd '{"device_id":"'$A'","send_image":"image_2.jpg"}'
event "IGNORED $A send_image image_2.jpg not-held"; ok $? "the delivered image is deleted: a send_image for it is ignored"

# --- send_all_pending, the sleep signal (the first one ends the wake)
server $A cmd '{"device_id":"'$A'","send_all_pending":true}'
event "UPLOADED $A old.jpg 3 chunks"; ok $? "send_all_pending streams the held image"
printf '%s\n' '{"device_id":"'$A'","image_name":"old.jpg","ACK_OK":{"next_wake_time":"5:30PM"}}' \
  '{"device_id":"'$A'","ACK_OK":{"next_wake_time":"6:45AM"}}' |
  mosquitto_pub -h 127.0.0.1 -p "$DW_MQTT_PORT" -q 1 -t "ESP32CAM/$A/ack" -l
event "SLEEP $A signal 5:30PM"; ok $? "the first sleep signal ends the wake with its time"
event "ACK_OK $A old.jpg"; ok $? "the sleep signal deletes the image it names"

# --- send_all_pending: the next image only after the ACK_OK of the previous; HELLO lists 10
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do say "hold $B b_$i.jpg 150"; done
say "wake $B"
event "HELLO $B pending 12"; ok $? "HELLO counts every held image"
wait_text 10 "$WIRE" "ESP32CAM/$B/status "
is "$(grep -F "ESP32CAM/$B/status" "$WIRE" | grep -o '\.jpg' | wc -l)" 10 "pending_list holds at most 10 names"
server $B cmd '{"device_id":"'$B'","send_all_pending":true}'
event "UPLOADED $B b_01.jpg 2 chunks"; ok $? "send_all_pending starts with the oldest image"
barrier $B
is "$(grep -c "^METADATA $B b_02.jpg" "$EVENTS")" 0 "the next image waits for the previous one's ACK_OK"
server $B ack '{"device_id":"'$B'","image_name":"b_01.jpg","ACK_OK":true}'
event "UPLOADED $B b_02.jpg 2 chunks"; ok $? "its ACK_OK starts the next image"
server $B ack '{"device_id":"'$B'","image_name":"b_02.jpg","ACK_OK":{"next_wake_time":"12:00AM"}}'
event "SLEEP $B signal 12:00AM"; ok $? "a sleep signal ends the drain"

# --- faults: asleep mid-upload, dropped chunks, a mute camera
say "fault $C sleep-after 4"
say "next-capture $C c.jpg 1000"
say "wake $C"
server $C cmd '{"capture_image":true}'
event "METADATA $C c.jpg 10 chunks"
server $C cmd '{"send_image":"c.jpg"}'
event "SLEEP $C mid-upload c.jpg 4/10"; ok $? "sleep-after 4: asleep after 4 chunks"
wait_text 10 "$WIRE" '"image_name":"c.jpg","chunk_id":' 4  # (all PUBACKed before it slept)
is "$(wire '"image_name":"c.jpg","chunk_id":')" 4 "exactly 4 chunks went out"
say "wake $C"
event "HELLO $C pending 1"; ok $? "the interrupted image is still held at the next wake"
say "sleep $C"
event "SLEEP $C forced"; ok $? "the sleep directive ends a wake"

say "fault $D drop 1,2"
say "hold $D d.jpg 500"
say "wake $D"
server $D cmd '{"send_image":"d.jpg"}'
event "UPLOADED $D d.jpg 5 chunks dropped 2"; ok $? "drop 1,2 leaves two chunks out"
barrier $D
is "$(wire '"image_name":"d.jpg","chunk_id":1,'),$(wire '"image_name":"d.jpg","chunk_id":3,')" "0,1" "chunk 1 is not on the wire"
server $D cmd '{"send_image":"d.jpg"}'
event "UPLOADED $D d.jpg 5 chunks"; ok $? "a second send is whole"
say "sleep $D"

say "fault $E mute"
say "hold $E e.jpg 300"
say "wake $E"
server $E cmd '{"capture_image":true}'
server $E cmd '{"send_image":"e.jpg"}'
server $E ack '{"image_name":"e.jpg","ACK_OK":{"next_wake_time":"1:00AM"}}'
event "IGNORED $E sleep_signal e.jpg 1:00AM mute"; ok $? "a mute camera ignores everything"
event "SLEEP $E timeout" 1 8; ok $? "even the sleep signal: it sleeps at its listen timeout"
wait_text 10 "$WIRE" "ESP32CAM/$E/status "
is "$(grep "^ESP32CAM/$E/" "$WIRE" | grep -c -v -E "^ESP32CAM/$E/(cmd|ack) ")" 1 "it published nothing but its HELLO"

say quit
exec {SIM_FD}>&-
wait "$SIM_PID"; rc=$?; SIM_PID=
is "$rc $(tail -n 1 "$EVENTS")" "0 DONE script failures=0" "every script directive succeeded"
done_testing
