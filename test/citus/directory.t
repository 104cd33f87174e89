# The device directory on the Citus cluster: a deleted device's MAC is free again. A shard's
# trigger cannot write the directory (a reference table), so the row outlives the device there;
# registering the MAC again reclaims it, as a new device, as on one server.
source "$(dirname "$0")/lib.sh"
co() { qn 0 "$1"; }

old=$(co "SELECT devicewake._register_device('AB7000000001', 'ab:70:00:00:00:01', 'test')")
co "INSERT INTO devicewake.device_images (device_id, image_name, status, total_chunks)
    VALUES ('$old', 'gone.jpg', 'receiving', 2)" >/dev/null
is "$(co "DELETE FROM devicewake.devices WHERE device_id = '$old' RETURNING device_mac")" AB7000000001 \
  "a device is deleted on the cluster (its rows with it)"
is "$(co "SELECT count(*) FROM devicewake.device_images WHERE device_id = '$old'")" 0 "its images went with it"
new=$(co "SELECT devicewake._register_device('AB7000000001', 'ab:70:00:00:00:01', 'hello')")
[ -n "$new" ] && [ "$new" != "$old" ]; ok $? "the MAC registered again is a new device"
is "$(co "SELECT count(*) FROM devicewake.devices WHERE device_id = '$new' AND device_mac = 'AB7000000001'")" 1 \
  "the new device's row exists"
is "$(co "SELECT string_agg(device_id::text, ',') FROM devicewake.device_directory WHERE device_mac = 'AB7000000001'")" "$new" \
  "the directory holds the MAC once, for the new device"
is "$(co "SELECT devicewake._register_device('AB7000000001', 'ab:70:00:00:00:01', 'hello')")" "$new" \
  "registering it once more finds the same device"
is "$(co "SELECT count(*) FROM devicewake.device_history WHERE device_id = '$new' AND event_type = 'device_registered'")" 1 \
  "one registration event"
echo "1..$DW_TAP_N"
[ "$DW_TAP_FAILED" -eq 0 ]
