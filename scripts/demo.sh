#!/usr/bin/env bash
# `make demo`: a throwaway PostgreSQL cluster (pg_cron + pg_devicewake preloaded) and mosquitto
# broker, a site in Europe/London with a dozen simulated ESP32-CAM cameras (build/tools/camera_sim)
# on every-minute-ish schedules, and the whole story told by live progress lines: wakes and HELLOs,
# chunked uploads, a camera falling asleep mid-upload, the sweep failing that image and queuing a
# retry, the retry delivered at the next wake, a manual wake that leaves the regular schedule
# alone, a command that expires, an alert; then fleet operations: one site-wide wake confirmed by
# the cameras' HELLOs and a small staged firmware rollout (12 per minute). Ends with the views, a
# timeline SVG, and stops everything it started (also on Ctrl-C). About 5 minutes. Run as root (the cluster runs as the
# postgres OS user). DEMO_MAX_SECONDS bounds the story (default 270).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

MAX_SECONDS=${DEMO_MAX_SECONDS:-270}
OUT_DIR=$PWD/demo-output
SITE_TZ=Europe/London
N_CAMERAS=12
SLEEPER=DE0000000005        # falls asleep after 9 of its first image's 24 chunks
EXPIRING_TARGET=DE0000000063  # cam 99: offline (dead battery); its command expires

if [ -t 1 ]; then B=$'\e[1m'; G=$'\e[32m'; R=$'\e[31m'; Y=$'\e[33m'; C=$'\e[36m'; N=$'\e[0m'
else B=; G=; R=; Y=; C=; N=; fi
say()  { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
line() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }
CHECKS_OK=0; CHECKS_FAILED=0; FAILED_NAMES=()
check() {  # check DESCRIPTION CONDITION_EXIT_STATUS
  if [ "$2" -eq 0 ]; then line "${G}✔ $1${N}"; CHECKS_OK=$((CHECKS_OK + 1))
  else line "${R}✘ $1${N}"; CHECKS_FAILED=$((CHECKS_FAILED + 1)); FAILED_NAMES+=("$1"); fi
}
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
table() { psql -X -q -P pager=off -v ON_ERROR_STOP=1 -c "$1"; }
cam() { printf 'cam %02d' "$((16#${1: -2}))"; }  # DE0000000005 -> cam 05

[ "$(id -u)" -eq 0 ] || { echo "make demo runs as root (it starts a cluster as the postgres OS user)" >&2; exit 1; }

say "building pg_devicewake and the camera simulator"
make -s -j2 all tools >/dev/null || { echo "build failed" >&2; exit 1; }

SIM_PID=
demo_cleanup() {
  local rc=$?
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  SIM_PID=
  dw_cleanup
  return $rc
}
say "starting a throwaway cluster and broker"
# A camera that stopped mid-upload is left to the sweep here (missing-chunk requests would heal it
# at its next wake first; docs/retries.md tells both paths). The cameras wake every minute or
# so and stay awake for seconds, so a wake session ends after 15 s of silence (default 2 min).
# (a port another cluster on this machine grabbed in the meantime: clean up and try again)
for attempt in 1 2 3; do
  DW_PG_CONF_EXTRA="devicewake.chunk_quiet_period = 3600
devicewake.session_idle_timeout = 15" dw_setup && break
  dw_cleanup; unset DW_PGPORT DW_MQTT_PORT DW_PGDATA DW_RUN
  [ "$attempt" -lt 3 ] || exit 1
  line "could not start the cluster or broker; trying again"
done
trap demo_cleanup EXIT
trap 'echo; line "interrupted: stopping everything"; exit 130' INT TERM
for _ in $(seq 1 500); do [ "$(q "SELECT connected FROM devicewake.worker_status()")" = t ] && break; sleep 0.02; done
check "the worker is connected to the broker ($(q "SELECT broker FROM devicewake.worker_status()"))" \
  "$([ "$(q "SELECT connected FROM devicewake.worker_status()")" = t ]; echo $?)"

say "a site in $SITE_TZ with $N_CAMERAS cameras"
q "INSERT INTO devicewake.sites (name, timezone, wake_schedule_cron)
   VALUES ('Harbour Street', '$SITE_TZ', '* * * * *')" >/dev/null
q "INSERT INTO devicewake.devices (device_mac, device_name, site_id, wake_schedule_cron)
   SELECT 'DE00000000' || lpad(upper(to_hex(i)), 2, '0'), format('cam %s', lpad(i::text, 2, '0')),
          (SELECT site_id FROM devicewake.sites),
          CASE WHEN i BETWEEN 7 AND 8 THEN '*/2 * * * *' WHEN i BETWEEN 9 AND 10 THEN '1-59/2 * * * *'
               WHEN i > 10 THEN '*/3 * * * *' END
   FROM generate_series(1, $N_CAMERAS) i" >/dev/null
q "INSERT INTO devicewake.devices (device_mac, device_name, site_id, last_seen_at, next_wake_at, battery_voltage)
   VALUES ('$EXPIRING_TARGET', 'cam 99 (offline)', (SELECT site_id FROM devicewake.sites),
           now() - interval '2 days', now() - interval '1 day', 3.21)" >/dev/null
table "SELECT coalesce(d.wake_schedule_cron, s.wake_schedule_cron || ' (site)') AS schedule,
              string_agg(d.device_name, ', ' ORDER BY d.device_name) AS cameras
       FROM devicewake.devices d JOIN devicewake.sites s USING (site_id)
       WHERE d.device_mac <> '$EXPIRING_TARGET' GROUP BY 1 ORDER BY 1"
line "DST is handled in the site's zone: a daily 01:30 wake across the spring-forward gap of $SITE_TZ:"
table "SET TIME ZONE 'UTC'; SELECT devicewake.fn_calculate_next_wake_time('2026-03-28 02:00+00', '30 1 * * *', '$SITE_TZ') AS \"29 March: 01:30 does not exist -> 01:30 GMT\",
              devicewake.fn_calculate_next_wake_time('2026-10-25 00:00+00', '30 1 * * *', '$SITE_TZ') AS \"25 October: 01:30 twice -> first, 01:30 BST\""

say "the sweep: pg_cron runs timeout_stale_images() every 5 minutes; this demo also runs it every 2 s"
q "SELECT devicewake.schedule_timeout_monitor()" >/dev/null
table "SELECT jobid, jobname, schedule, command FROM cron.job"

expiring=$(q "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, expires_at)
              SELECT device_id, 'update_config', '{\"jpeg_quality\": 12}', now() + interval '40 seconds'
              FROM devicewake.devices WHERE device_mac = '$EXPIRING_TARGET' RETURNING command_id")
line "queued update_config for $(cam $EXPIRING_TARGET) (offline for 2 days), expires in 40 s"

say "the fleet wakes (live: camera lines from the simulator, ${C}server lines${N} from the database)"
build/tools/camera_sim --cameras "$N_CAMERAS" --mac-prefix DE --image-size 24576 --chunk-size 1024 \
  --sleep-cameras "$SLEEPER" --sleep-after 9 --wake-delay 8 --fallback-wake 60 --listen-timeout 10 \
  --duration "$MAX_SECONDS" fleet >"$DW_RUN/fleet.log" 2>&1 &
SIM_PID=$!

# Prints the simulator's new lines in words (camera_sim --help lists its event lines).
seen=0
show_fleet() {
  local total
  total=$(wc -l <"$DW_RUN/fleet.log")
  [ "$total" -gt "$seen" ] || return 0
  sed -n "$((seen + 1)),${total}p" "$DW_RUN/fleet.log" | while read -r kind mac rest; do
    case $kind in
      HELLO) line "$(cam "$mac") wakes, says HELLO (${rest})" ;;
      CMD) line "$(cam "$mac") is told ${B}${rest}${N}" ;;
      CAPTURE) set -- $rest; line "$(cam "$mac") takes a picture: $1 ($2 bytes)" ;;
      UPLOADED) set -- $rest; line "$(cam "$mac") sent $1 in $2 chunks" ;;
      MISSING) set -- $rest; line "$(cam "$mac") is asked for $2 missing chunks of $1" ;;
      ACK_OK) line "$(cam "$mac") ${G}ACK_OK${N} for ${rest}: delivered, deleted from the camera" ;;
      SLEEP) set -- $rest
        case $1 in
          signal) line "$(cam "$mac") is told to sleep until $2 UTC; sleeps" ;;
          mid-upload) line "$(cam "$mac") ${Y}falls asleep mid-upload${N}: $2 after $3 chunks" ;;
          *) line "$(cam "$mac") ${Y}sleeps ($*)${N}" ;;
        esac ;;
      IGNORED) line "$(cam "$mac") ${Y}ignores ${rest}${N}" ;;
      TIMEOUT|ERROR) line "$(cam "$mac") ${R}${kind} ${rest}${N}" ;;
    esac
  done
  seen=$total
}

mac_of() { q "SELECT device_id FROM devicewake.devices WHERE device_mac = '$1'"; }
sleeper_id=$(mac_of "$SLEEPER")
start=$SECONDS
manual_mac=; manual_at=; manual_id=
done_retry=0; done_manual=0; done_expired=0; limited=0
while [ $((SECONDS - start)) -lt "$MAX_SECONDS" ]; do
  show_fleet
  # demo policy for the sleeper: one retry per image, so its first failure, which queues that last
  # retry, already raises the alert (with the default of 3 it would take two failures)
  if [ $limited -eq 0 ] && [ "$(q "UPDATE devicewake.device_images SET max_retries = 1
        WHERE device_id = '$sleeper_id' AND status = 'receiving' RETURNING 1")" = 1 ]; then
    limited=1; line "${C}server: $(cam $SLEEPER)'s images get max_retries = 1 (so its first failure raises the alert)${N}"
  fi
  # the sweep, as pg_cron would run it
  while IFS='|' read -r mac name retries cmd alert; do
    [ -n "$mac" ] || continue
    line "${C}server: sweep failed $(cam "$mac") $name (attempt $retries)${cmd:+, queued retry_image}${alert:+, raised a critical alert}${N}"
  done < <(q "SELECT d.device_mac, t.image_name, t.retry_count, t.command_id, t.alert_id
              FROM devicewake.timeout_stale_images() t JOIN devicewake.devices d USING (device_id)")
  # the manual wake: the '*/2' or '1-59/2' camera whose next regular wake comes first, woken one
  # minute after it (it learns of it at that regular wake), then back on its schedule
  if [ -z "$manual_mac" ] && [ $((SECONDS - start)) -gt 15 ]; then
    row=$(q "SELECT device_mac, device_id, next_wake_at + interval '1 minute' FROM devicewake.devices
             WHERE device_mac IN ('DE0000000007', 'DE0000000009') AND next_wake_at > now() + interval '5 seconds'
             ORDER BY next_wake_at LIMIT 1")
    if [ -n "$row" ]; then
      IFS='|' read -r manual_mac manual_id manual_at <<<"$row"
      q "SELECT devicewake.request_manual_wake('$manual_id'::uuid, '$manual_at'::timestamptz)" >/dev/null
      line "${C}server: request_manual_wake($(cam "$manual_mac"), $(date -u -d "$manual_at" +%H:%M:%S)Z): set_wake_schedule queued${N}"
    fi
  fi
  if [ $done_expired -eq 0 ] && [ "$(q "SELECT status FROM devicewake.device_commands WHERE command_id = '$expiring'")" = expired ]; then
    done_expired=1; line "${C}server: update_config for $(cam $EXPIRING_TARGET) expired undelivered${N}"
  fi
  if [ $done_retry -eq 0 ] && [ "$(q "SELECT count(*) FROM devicewake.device_images
        WHERE device_id = '$sleeper_id' AND image_name = 'image_1.jpg' AND status = 'complete' AND retry_count > 0")" = 1 ]; then
    done_retry=1; line "${C}server: $(cam $SLEEPER) image_1.jpg complete after its retry${N}"
  fi
  if [ $done_manual -eq 0 ] && [ -n "$manual_mac" ] && [ "$(q "SELECT count(*) FROM devicewake.device_history
        WHERE device_id = '$manual_id' AND event_type = 'hello' AND created_at > timestamptz '$manual_at' + interval '61 seconds'")" -ge 1 ]; then
    done_manual=1
  fi
  [ $done_retry -eq 1 ] && [ $done_manual -eq 1 ] && [ $done_expired -eq 1 ] && break
  sleep 2
done
show_fleet
kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; SIM_PID=
line "the fleet sleeps: simulator stopped after $((SECONDS - start)) s"

say "fleet operations: a site-wide wake and a staged firmware rollout"
site_id=$(q "SELECT site_id FROM devicewake.sites WHERE name = 'Harbour Street'")
site_wake_at=$(q "SELECT now() + interval '45 seconds'")
woken=$(q "SELECT count(*) FROM devicewake.request_site_wake('$site_id', '$site_wake_at')")
line "${C}server: request_site_wake(Harbour Street, $(date -u -d "$site_wake_at" +%H:%M:%S)Z): $woken cameras, one statement${N}"
targets=$(q "SELECT jsonb_build_object('device_ids', jsonb_agg(device_id ORDER BY device_mac))
             FROM devicewake.devices WHERE device_mac <> '$EXPIRING_TARGET'")
campaign=$(q "SELECT devicewake.create_campaign('firmware 1.1', 'update_firmware',
                '{\"firmware_url\":\"https://firmware.example/esp32cam-1.1.bin\"}', '$targets', 12, 0.5, 4,
                interval '3 minutes')")
line "${C}server: create_campaign(update_firmware to $N_CAMERAS cameras, 12 per minute, abort above 50 % failed after 4)${N}"
build/tools/camera_sim --cameras "$N_CAMERAS" --mac-prefix DE --image-size 8192 --chunk-size 1024 \
  --wake-delay 0 --fallback-wake 60 --listen-timeout 10 --duration 150 fleet >>"$DW_RUN/fleet.log" 2>&1 &
SIM_PID=$!
ops_start=$SECONDS; last_progress=
while [ $((SECONDS - ops_start)) -lt 150 ]; do
  progress=$(q "SELECT 'campaign ' || state || ': released ' || released || '/' || targeted || ', acknowledged '
                       || acknowledged || ', failed ' || (failed + expired) || ' | site wake: '
                       || (SELECT string_agg(n || ' ' || outcome, ', ' ORDER BY outcome)
                           FROM (SELECT outcome, count(*) AS n FROM devicewake.manual_wake_history
                                 WHERE requested_at = (SELECT max(requested_at) FROM devicewake.manual_wakes)
                                 GROUP BY outcome) o)
                FROM devicewake.campaign_progress WHERE campaign_id = '$campaign'")
  [ "$progress" != "$last_progress" ] && line "${C}server: $progress${N}" && last_progress=$progress
  [ "$(q "SELECT state = 'completed' AND NOT EXISTS (
            SELECT FROM devicewake.manual_wakes w JOIN devicewake.devices d USING (device_id)
            WHERE d.device_mac <> '$EXPIRING_TARGET' AND w.wake_at = '$site_wake_at' AND w.state IN ('requested', 'told'))
          FROM devicewake.campaigns WHERE campaign_id = '$campaign'")" = t ] && break
  sleep 2
done
kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; SIM_PID=
table "SELECT device_name, outcome, outcome_at::time(0) AS at, told_at::time(0) AS told
       FROM devicewake.manual_wake_history WHERE wake_at = '$site_wake_at' ORDER BY device_name"
table "SELECT name, state, targeted, released, acknowledged, failed, expired, cancelled, rate AS per_minute,
              (SELECT round(((count(*) - 1) / nullif(extract(epoch FROM max(released_at) - min(released_at)) / 60, 0))::numeric, 1)
               FROM devicewake.campaign_targets WHERE campaign_id = '$campaign') AS achieved_per_minute
       FROM devicewake.campaign_progress WHERE campaign_id = '$campaign'"
line "the change feed an app follows (LISTEN devicewake_events, then SELECT * FROM devicewake.events_since(cursor)):"
table "SELECT event_type, count(*) FROM devicewake.events GROUP BY 1 ORDER BY 1"

say "checks"
check "all $N_CAMERAS cameras woke and said HELLO" \
  "$([ "$(q "SELECT count(DISTINCT device_id) FROM devicewake.device_history WHERE event_type = 'hello'")" -ge "$N_CAMERAS" ]; echo $?)"
check "images arrived in chunks and were assembled ($(q "SELECT count(*) || ' images, ' || sum(total_chunks) || ' chunks' FROM devicewake.device_images WHERE status = 'complete'"))" \
  "$([ "$(q "SELECT count(*) FROM devicewake.device_images WHERE status = 'complete'")" -ge "$N_CAMERAS" ]; echo $?)"
check "every complete image is a JPEG (FF D8 FF ... FF D9)" \
  "$([ "$(q "SELECT count(*) FROM devicewake.device_images WHERE status = 'complete'
            AND NOT (substr(image_data, 1, 3) = '\xffd8ff'::bytea AND substr(image_data, length(image_data) - 1) = '\xffd9'::bytea)")" = 0 ]; echo $?)"
check "$(cam $SLEEPER)'s interrupted image was failed by the sweep" \
  "$([ "$(q "SELECT count(*) FROM devicewake.device_history WHERE device_id = '$sleeper_id' AND event_type = 'image_timeout'")" -ge 1 ]; echo $?)"
# Which of two right outcomes depends on where in the minute the demo started: a camera that says
# HELLO again within session_idle_timeout (15 s here) goes on with the same wake (record_device_hello)
read -r timed_out went_on <<<"$(q "SELECT count(*) FILTER (WHERE status = 'timeout'), count(*) FILTER (WHERE hello_count > 1)
                                  FROM devicewake.device_wake_sessions WHERE device_id = '$sleeper_id'" | tr '|' ' ')"
if [ "$timed_out" -ge 1 ] || [ "$went_on" -eq 0 ]; then
  check "its wake session ended 'timeout' (it fell silent before its upload finished)" "$([ "$timed_out" -ge 1 ]; echo $?)"
else
  check "it said HELLO again within session_idle_timeout, so its wake went on in the same session (not 'timeout')" 0
fi
check "a retry_image was queued and delivered at its next wake" \
  "$([ "$(q "SELECT count(*) FROM devicewake.device_commands WHERE device_id = '$sleeper_id' AND command_type = 'retry_image' AND status IN ('sent', 'acknowledged')")" -ge 1 ]; echo $?)"
check "the retried image completed" "$([ $done_retry -eq 1 ]; echo $?)"
check "a critical image_transmission_failed alert was raised (and resolved by the retry)" \
  "$([ "$(q "SELECT count(*) FROM devicewake.device_alerts WHERE device_id = '$sleeper_id' AND severity = 'critical'")" -ge 1 ]; echo $?)"
if [ -n "$manual_mac" ]; then
  check "$(cam "$manual_mac") woke at its manual wake time and then at its regular slot" "$([ $done_manual -eq 1 ]; echo $?)"
  table "SELECT h.created_at::time(0) AS hello_at,
                coalesce(c.reason, CASE WHEN h.created_at < timestamptz '$manual_at' - interval '90 seconds'
                                        AND NOT EXISTS (SELECT FROM devicewake.device_history e WHERE e.device_id = h.device_id
                                                        AND e.event_type = 'hello' AND e.created_at < h.created_at)
                                   THEN 'first wake (demo start)' ELSE 'regular schedule' END) AS why
         FROM devicewake.device_history h
         LEFT JOIN LATERAL (SELECT 'manual wake' AS reason WHERE h.created_at BETWEEN timestamptz '$manual_at'
                            AND timestamptz '$manual_at' + interval '59 seconds') c ON true
         WHERE h.device_id = '$manual_id' AND h.event_type = 'hello' ORDER BY h.created_at"
else
  check "a manual wake was requested" 1
fi
check "the offline camera's command expired" "$([ $done_expired -eq 1 ]; echo $?)"
check "the site-wide wake asked every camera of the site at once ($woken)" "$([ "$woken" -eq $((N_CAMERAS + 1)) ]; echo $?)"
check "a HELLO ended each override and confirmed the wake (up to 5 min early counts, as record_device_hello decides; $(q "SELECT count(*) FROM devicewake.manual_wakes WHERE wake_at = '$site_wake_at' AND state = 'confirmed'") of $N_CAMERAS cameras)" \
  "$([ "$(q "SELECT count(*) FROM devicewake.manual_wakes WHERE wake_at = '$site_wake_at' AND state = 'confirmed'")" -ge $((N_CAMERAS - 2)) ]; echo $?)"
check "the staged rollout completed: every camera acknowledged update_firmware" \
  "$([ "$(q "SELECT state || acknowledged FROM devicewake.campaign_progress WHERE campaign_id = '$campaign'")" = "completed$N_CAMERAS" ]; echo $?)"
check "it never ran ahead of 12 per minute" \
  "$([ "$(q "SELECT count(*) FROM (SELECT released_at, count(*) OVER (ORDER BY released_at) AS upto
             FROM devicewake.campaign_targets WHERE campaign_id = '$campaign') r, devicewake.campaigns k
             WHERE k.campaign_id = '$campaign' AND r.upto > 1 + floor(12 * extract(epoch FROM r.released_at - k.run_started_at) / 60)")" = 0 ]; echo $?)"

say "views"
table "SELECT device_name, pending_count AS pending, failed_count AS failed, failed_images
       FROM devicewake.device_image_summary ORDER BY device_name"
table "SELECT device_mac, command_type, priority, status, state, date_trunc('second', age) AS age
       FROM devicewake.command_queue"
table "SELECT command_type, status, count(*) FROM devicewake.device_commands GROUP BY 1, 2 ORDER BY 1, 2"
table "SELECT status AS wake_session, count(*) AS wakes,
              round(avg(extract(epoch FROM coalesce(ended_at, now()) - started_at)), 2) AS average_seconds_awake
       FROM devicewake.device_wake_sessions GROUP BY status ORDER BY status"
table "SELECT d.device_name, a.alert_type, a.severity, a.created_at::time(0) AS raised, a.resolved_at::time(0) AS resolved
       FROM devicewake.device_alerts a JOIN devicewake.devices d USING (device_id)"
table "SELECT device_name, reason, details FROM devicewake.fleet_health"
table "SELECT connected, broker, published, delivered, acknowledged, expired, ingested, rejected, last_error
       FROM devicewake.worker_status()"

say "timeline picture"
mkdir -p "$OUT_DIR"
q "SELECT coalesce(json_agg(e), '[]') FROM (
     SELECT d.device_name AS camera,
            CASE WHEN EXISTS (SELECT FROM devicewake.device_history m
                              WHERE m.device_id = h.device_id AND m.event_type = 'manual_wake_requested'
                                AND h.created_at >= (m.event_data->>'wake_at')::timestamptz
                                AND h.created_at < (m.event_data->>'wake_at')::timestamptz + interval '59 seconds')
                 THEN 'wake at manual time (HELLO)' ELSE 'wake (HELLO)' END AS kind,
            h.created_at AS t, NULL::timestamptz AS t_end, d.device_name || ' HELLO' AS label
     FROM devicewake.device_history h JOIN devicewake.devices d USING (device_id) WHERE h.event_type = 'hello'
     UNION ALL
     SELECT d.device_name, CASE WHEN x.event_type = 'image_complete' THEN 'upload complete' ELSE 'upload interrupted' END,
            m.created_at, x.created_at, m.event_data->>'image_name'
     FROM devicewake.device_history m JOIN devicewake.devices d USING (device_id)
     CROSS JOIN LATERAL (SELECT x.event_type, x.created_at FROM devicewake.device_history x
                         WHERE x.device_id = m.device_id AND x.created_at >= m.created_at
                           AND x.event_type IN ('image_complete', 'image_timeout')
                           AND x.event_data->>'image_name' = m.event_data->>'image_name'
                         ORDER BY x.created_at LIMIT 1) x
     WHERE m.event_type = 'image_metadata'
     UNION ALL
     SELECT d.device_name, CASE h.event_type WHEN 'image_timeout' THEN 'failed by sweep' ELSE 'manual wake requested' END,
            h.created_at, NULL, h.event_type
     FROM devicewake.device_history h JOIN devicewake.devices d USING (device_id)
     WHERE h.event_type IN ('image_timeout', 'manual_wake_requested')
     UNION ALL
     -- what the server told the camera: the wake conversation (capture requests, backlog drains,
     -- sleep signals) and application commands; send_image and ACK_OK:true are left out (one per
     -- upload, the upload bar shows them)
     SELECT d.device_name, CASE WHEN c.command_type IN ('retry_image', 'set_wake_schedule') THEN c.command_type || ' sent'
                                WHEN c.command_type = 'capture_image' THEN 'capture asked'
                                WHEN c.command_type = 'send_all_pending' THEN 'backlog asked'
                                WHEN c.command_type = 'sleep' THEN 'sleep signal'
                                ELSE 'command sent' END, c.delivered_at, NULL, c.command_type
     FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id)
     WHERE c.delivered_at IS NOT NULL AND c.command_type NOT IN ('send_image', 'ack_ok')
     UNION ALL
     SELECT d.device_name, 'command expired', c.expires_at, NULL, c.command_type || ' expired'
     FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id) WHERE c.status = 'expired'
     UNION ALL
     SELECT d.device_name, 'alert raised', a.created_at, NULL, a.alert_type
     FROM devicewake.device_alerts a JOIN devicewake.devices d USING (device_id)
     UNION ALL
     SELECT d.device_name, 'alert resolved', a.resolved_at, NULL, a.alert_type
     FROM devicewake.device_alerts a JOIN devicewake.devices d USING (device_id) WHERE a.resolved_at IS NOT NULL
   ) e" >"$OUT_DIR/timeline.json"
if command -v node >/dev/null && { [ -d scripts/timeline/node_modules ] ||
     (cd scripts/timeline && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); }; then
  node scripts/timeline/timeline.js "$OUT_DIR/timeline.json" "$OUT_DIR/timeline.svg" >/dev/null \
    && check "timeline written: $OUT_DIR/timeline.svg" 0 || check "timeline drawn" 1
else
  check "timeline drawn (node and npm install of scripts/timeline)" 1
fi

say "done: $CHECKS_OK checks passed, $CHECKS_FAILED failed${FAILED_NAMES:+ (${FAILED_NAMES[*]})}"
echo "timeline: $OUT_DIR/timeline.svg   (events: $OUT_DIR/timeline.json)"
echo "stopping the cluster and the broker"
[ "$CHECKS_FAILED" -eq 0 ]
