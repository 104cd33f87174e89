# The simulated camera (build/tools/camera_sim) against the real worker and broker: a full wake
# driven by the server (HELLO -> capture_image -> METADATA -> send_image -> chunks -> the sleep
# signal, ACK_OK with the next wake), byte-exact images, duplicate and out-of-order chunks, an
# upload interrupted by sleep that the sweep fails and a retry completes at the next wake, and
# command acknowledgements. The simulator is driven line by line through a FIFO in script mode;
# its cameras act only on what the server tells them; every wait is on a condition with a
# bounded timeout.
source "$(dirname "$0")/lib.sh"
WORK=$DW_RUN/camera_sim_t
source "$(dirname "$0")/sim.sh"
# cameras unique to this run, so the test also passes against a cluster that ran it before
RUN_ID=$(printf '%04X' $((RANDOM % 65536)))
MA=CA11${RUN_ID}00A1; MB=CA11${RUN_ID}00B2; MC=CA11${RUN_ID}00C3

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"
sim_assign $MA $MB $MC $(for i in 1 2 3 4 5; do printf 'CA12%s%04X ' "$RUN_ID" "$i"; done)

# --- a full wake
sim_start a --chunk-size 1000
# a slow camera (1 s before it acts on each message), so that the wake session is seen in progress
sim_say a "fault $MA delay 1"
sim_say a "next-capture $MA simwake.jpg 9500"
sim_say a "wake $MA"
sim_wait a 10 "^HELLO $MA pending 0\$"; ok $? "HELLO is published"
wait_for 10 "SELECT count(*) = 1 FROM devicewake.device_wake_sessions s JOIN devicewake.devices d USING (device_id)
             WHERE d.device_mac = '$MA' AND s.status = 'in_progress'"
ok $? "the HELLO opens a wake session for the camera"
sim_wait a 20 "^SLEEP $MA signal [0-9]{1,2}:[0-9]{2}[AP]M\$" &&
  [ "$(grep -E "^(ACK_OK|SLEEP) $MA " "$WORK/a.out" | grep -B1 "^SLEEP $MA signal" | head -n 1)" = "ACK_OK $MA simwake.jpg" ]
ok $? "METADATA, send_image, 10 chunks and ACK_OK with the next wake time in H:MMAM form"
grep -q "^CMD $MA send_image simwake.jpg\$" "$WORK/a.out"; ok $? "the server answered the METADATA with send_image"
is "$(q "SELECT status || ' ' || received_chunks || '/' || total_chunks || ' ' || image_size
         FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id)
         WHERE d.device_mac = '$MA' AND image_name = 'simwake.jpg'")" "complete 10/10 9500" \
  "the image row is complete with its totals"
sim_say a "verify $MA simwake.jpg"
sim_wait a 10 "^VERIFY $MA simwake.jpg ok\$"; ok $? "the stored JPEG equals what the camera sent, byte for byte"
is "$(q "SELECT encode(substr(image_data, 1, 4), 'hex') || ' ' || encode(substr(image_data, length(image_data) - 1), 'hex')
         FROM devicewake.device_images WHERE image_name = 'simwake.jpg'
           AND device_id = (SELECT device_id FROM devicewake.devices WHERE device_mac = '$MA')")" \
  "ffd8ffe0 ffd9" "the synthetic JPEG starts FF D8 FF E0 and ends FF D9"

# --- a command is acknowledged with the firmware's command_ack (the camera, asleep since its
# sleep signal, finds the ping in its session at its next wake)
cmd=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload)
         SELECT device_id, 'ping', '{}' FROM devicewake.devices WHERE device_mac = '$MA' RETURNING command_id")
sim_say a "fault $MA none"
sim_say a "wake $MA"
sim_say a "wait-cmd $MA ping 10"
sim_wait a 10 "^CMD $MA ping\$"; ok $? "the camera receives a ping"
wait_for 10 "SELECT status = 'acknowledged' AND acknowledged_at IS NOT NULL FROM devicewake.device_commands WHERE command_id = '$cmd'"
ok $? "its command_ack (without command_id) acknowledges the oldest sent command"
sim_say a "wait-sleep $MA 60"
sim_stop a; ok $? "the simulator reports no failed directive"

# --- duplicates and out-of-order chunks
sim_start b --chunk-size 512 --duplicate 0.5 --shuffle --seed 7
sim_say b "next-capture $MB shuffled.jpg 20000"
sim_say b "wake $MB"
sim_say b "wait-ack $MB shuffled.jpg 20"
sim_say b "verify $MB shuffled.jpg"
sim_wait b 30 "^VERIFY $MB shuffled.jpg ok\$"
ok $? "40 chunks shuffled with duplicates assemble into the exact image"
sim_stop b; ok $? "no failed directive"

# --- sleep mid-upload, the sweep, the retry at the next wake
sim_start c --chunk-size 1000
sim_say c "fault $MC sleep-after 3"
sim_say c "next-capture $MC sleepy.jpg 8000"
sim_say c "wake $MC"
sim_wait c 20 "^SLEEP $MC mid-upload sleepy.jpg 3/8\$"; ok $? "the camera falls asleep after 3 of 8 chunks"
wait_for 10 "SELECT status = 'receiving' AND received_chunks = 3 FROM devicewake.device_images WHERE image_name = 'sleepy.jpg' AND device_id = (SELECT device_id FROM devicewake.devices WHERE device_mac = '$MC')"
ok $? "the image stays receiving with 3 chunks"
# its wake window passes (instead of waiting for the schedule, next_wake_at is moved to the past)
q "UPDATE devicewake.devices SET next_wake_at = now() - interval '1 second' WHERE device_mac = '$MC'" >/dev/null
is "$(q "SELECT image_name || ' ' || retry_count || ' ' || (command_id IS NOT NULL) FROM devicewake.timeout_stale_images()
         WHERE device_id = (SELECT device_id FROM devicewake.devices WHERE device_mac = '$MC')")" \
  "sleepy.jpg 1 true" "the sweep fails the image and queues a retry"
sim_say c "wake $MC"
sim_say c "wait-cmd $MC send_image 20"
sim_say c "wait-ack $MC sleepy.jpg 20"
sim_say c "verify $MC sleepy.jpg"
sim_wait c 40 "^VERIFY $MC sleepy.jpg ok\$"
ok $? "at the next wake the retry (send_image) makes the camera re-send, and the image completes"
grep -q "^HELLO $MC pending 1\$" "$WORK/c.out"; ok $? "the HELLO listed the unsent image in pending_list"
is "$(q "SELECT status || ' ' || (failed_at IS NULL) FROM devicewake.device_images WHERE image_name = 'sleepy.jpg' AND device_id = (SELECT device_id FROM devicewake.devices WHERE device_mac = '$MC')")" \
  "complete true" "the completed retry clears the failure"
is "$(q "SELECT status FROM devicewake.device_commands WHERE command_type = 'retry_image'
         AND command_payload->>'image_name' = 'sleepy.jpg'
         AND device_id = (SELECT device_id FROM devicewake.devices WHERE device_mac = '$MC')")" "acknowledged" "the retry command was acknowledged"
sim_stop c; ok $? "no failed directive"

# --- the bench mode checks every image byte for byte
out=$("$SIM" --cameras 5 --mac-prefix CA12${RUN_ID} --image-size 6000 --chunk-size 1000 --ack-timeout 30 bench 2>&1)
echo "$out" | grep -q "^bench byte_exact=5/5\$"; ok $? "bench mode: 5 cameras, every image acknowledged and byte-exact"

is "$(q "SELECT count(*) FROM devicewake.rejected_messages WHERE topic LIKE '%/CA1_${RUN_ID}%'")" 0 \
  "nothing the simulator sent was rejected"
# The cameras answer a send_image with the image itself, as the firmware does, not with a
# command_ack: no send_image they took may be left merely sent.
is "$(q "SELECT count(*) FILTER (WHERE c.status = 'acknowledged') >= 8, count(*) FILTER (WHERE c.status = 'sent')
         FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
         WHERE d.device_mac LIKE 'CA1_${RUN_ID}%' AND c.command_type = 'send_image'")" "t|0" \
  "every send_image the cameras took was acknowledged, none left merely sent"
done_testing
