# The sweep (timeout_stale_images) from two sessions at once on the Citus cluster, device by device
# on each device's shard: every stuck upload failed once between them, with the retry or the
# alert one server gives (test/pgtap/image_retry.sql has the one-server rules), and every command
# past its expiry expired once, on devices with nothing stuck as well.
source "$(dirname "$0")/lib.sh"
co() { qn 0 "$1"; }

co "INSERT INTO devicewake.sites (site_id, name) VALUES ('00000000-0000-4000-8000-0000000060b1', 'Sweep site')" >/dev/null
# devices 1-5: the last retry (retry_count 2 of 3: a retry and the alert); 6-10: no retry left
# (retry_count 3: the alert, the chunks purged); 11-13: nothing stuck, a ping past its expiry
for i in $(seq 1 13); do
  mac=$(printf 'AB60000000%02X' "$i")
  dev=$(co "SELECT devicewake._register_device('$mac', '$mac', 'test')")
  tries=$((i <= 5 ? 2 : 3))
  co "UPDATE devicewake.devices SET site_id = '00000000-0000-4000-8000-0000000060b1', next_wake_at = now() - interval '1 minute'
      WHERE device_id = '$dev'" >/dev/null
  if [ "$i" -le 10 ]; then
    co "INSERT INTO devicewake.device_images (device_id, image_name, status, total_chunks, received_chunks, retry_count, max_retries)
        VALUES ('$dev', 'sweep.jpg', 'receiving', 4, 2, $tries, 3);
        INSERT INTO devicewake.image_chunks (image_id, device_id, chunk_index, data)
        SELECT image_id, device_id, n, '\\xffd8'::bytea FROM devicewake.device_images, generate_series(1, 2) n
        WHERE device_id = '$dev'" >/dev/null
  else
    co "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, expires_at)
        VALUES ('$dev', 'ping', '{}', now() - interval '1 second')" >/dev/null
  fi
done
# device 1 has a retry pending already: the sweep's replaces it
co "INSERT INTO devicewake.device_commands (device_id, command_type, command_payload, priority)
    SELECT i.device_id, 'retry_image', jsonb_build_object('image_id', i.image_id), 8
    FROM devicewake.device_images i JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = 'AB6000000001'" >/dev/null

out=$DW_CITUS_DIR/sweep
co "SELECT count(*) FROM devicewake.timeout_stale_images()" >"$out.1" 2>"$out.1.err" &
first=$!
co "SELECT count(*) FROM devicewake.timeout_stale_images()" >"$out.2" 2>"$out.2.err"
wait $first
is "$(cat "$out.1.err" "$out.2.err")" "" "two sweeps at once on the cluster: neither fails"
is "$(( $(cat "$out.1" 2>/dev/null) + 0 + $(cat "$out.2" 2>/dev/null) + 0 ))" 10 \
  "between them they fail the 10 stuck uploads, each once"
mine="JOIN devicewake.devices d USING (device_id) WHERE d.device_mac LIKE 'AB60%'"
is "$(co "SELECT string_agg(i.retry_count || ':' || count, ' ' ORDER BY i.retry_count)
          FROM (SELECT i.retry_count, count(*) FROM devicewake.device_images i $mine AND i.status = 'failed'
                GROUP BY 1) i")" "3:5 4:5" "each upload failed once: its retry count went up by one"
is "$(co "SELECT count(*) || ' ' || count(*) FILTER (WHERE a.metadata ->> 'retry_queued' = 'true')
          || ' ' || min(a.message) FROM devicewake.device_alerts a $mine")" \
  "10 5 Image sweep.jpg failed to transmit (attempt 3 of 3): last retry queued" \
  "one alert each: 5 with the last retry queued, 5 with none left"
is "$(co "SELECT count(*) || ' ' || string_agg(DISTINCT c.command_payload ->> 'missing_chunks', ',')
          FROM devicewake.device_commands c $mine AND c.command_type = 'retry_image' AND c.status = 'pending'")" \
  "5 [0, 3]" "5 retries pending, each asking for the 2 chunks its shard lacks"
is "$(co "SELECT c.status FROM devicewake.device_commands c $mine AND c.command_type = 'retry_image'
          AND c.command_payload ->> 'missing_chunks' IS NULL")" cancelled "the retry already pending was replaced"
is "$(co "SELECT count(*) FROM devicewake.image_chunks ch $mine AND d.device_mac > 'AB6000000005'")" 0 \
  "no retry left: the chunks of those 5 images are purged"
is "$(co "SELECT count(*) || ' ' || min(c.error_message) FROM devicewake.device_commands c $mine AND c.command_type = 'ping'
          AND c.status = 'expired'")" "3 expired before delivery (expires_at passed)" \
  "the pings past their expiry expired, on devices with nothing stuck"
is "$(co "SELECT count(*) FROM devicewake.device_history h $mine AND h.event_type = 'image_timeout'")" 10 \
  "one image_timeout event per failure"
is "$(co "SELECT count(*) FROM devicewake.timeout_stale_images()")" 0 "a third sweep finds nothing"
echo "1..$DW_TAP_N"
[ "$DW_TAP_FAILED" -eq 0 ]
