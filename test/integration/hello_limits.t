# The one set of reading limits (src/core/inbound_message.hpp: RSSI -200..100 dBm, battery 0..100 V,
# firmware and hardware versions 1..64 characters) at their boundaries, through the broker: a HELLO
# keeps what is inside, ignores (and names in its history event) what is outside, and its wake goes
# on; a telemetry message outside them is rejected and recorded. A HELLO given in SQL
# (record_device_hello) gets the same answers from the same parser.
source "$(dirname "$0")/lib.sh"

wait_for 20 "SELECT connected FROM devicewake.worker_status()"; ok $? "the worker is connected"

v64=$(printf 'v%.0s' $(seq 1 64))
e64=$(printf 'é%.0s' $(seq 1 64))  # 64 characters, 128 bytes
device() { q "SELECT concat_ws('|', wifi_rssi, battery_voltage, firmware_version, hardware_version)
              FROM devicewake.devices WHERE device_mac = '$1'"; }
ignored() { q "SELECT coalesce(string_agg(f ->> 'field', ',' ORDER BY f ->> 'field'), '')
               FROM devicewake.device_history h JOIN devicewake.devices d USING (device_id),
                    jsonb_array_elements(h.event_data -> 'ignored_fields') f
               WHERE d.device_mac = '$1' AND h.event_type = 'hello'"; }
hello_seen() { wait_for 10 "SELECT EXISTS (SELECT FROM devicewake.devices d JOIN devicewake.device_wake_sessions s
                                           USING (device_id) WHERE d.device_mac = '$1')"; }

# --- inside: the limits themselves are kept
pub ESP32CAM/TEST-LIM-LOW/status "{\"status\":\"Alive\",\"wifi_rssi\":-200,\"battery_voltage\":0,\"firmware_version\":\"$v64\",\"hardware_version\":\"$e64\"}"
pub ESP32CAM/TEST-LIM-HIGH/status '{"status":"Alive","wifi_rssi":100,"battery_voltage":100,"firmware_version":"1","hardware_version":"h"}'
hello_seen TEST-LIM-LOW; ok $? "a HELLO at the lower limits opens a wake"
hello_seen TEST-LIM-HIGH; ok $? "a HELLO at the upper limits opens a wake"
is "$(device TEST-LIM-LOW)" "-200|0.000|$v64|$e64" "RSSI -200, 0 V and 64-character versions (64 two-byte characters too) are stored"
is "$(device TEST-LIM-HIGH)" "100|100.000|1|h" "RSSI 100, 100 V and 1-character versions are stored"
is "$(ignored TEST-LIM-LOW)$(ignored TEST-LIM-HIGH)" "" "nothing was ignored"

# --- just outside: ignored, named, and the wake goes on
pub ESP32CAM/TEST-LIM-OUT/status "{\"status\":\"Alive\",\"wifi_rssi\":-200.6,\"battery_voltage\":100.001,\"firmware_version\":\"${v64}v\",\"hardware_version\":\"\"}"
hello_seen TEST-LIM-OUT; ok $? "a HELLO with every reading just outside its limit still opens a wake"
is "$(device TEST-LIM-OUT)" "" "none of those readings is stored"
is "$(ignored TEST-LIM-OUT)" "battery_voltage,firmware_version,hardware_version,wifi_rssi" \
  "each one is named in the hello event's ignored_fields"
is "$(q "SELECT count(*) FROM devicewake.rejected_messages WHERE topic = 'ESP32CAM/TEST-LIM-OUT/status'")" 0 \
  "the HELLO itself is not rejected"
pub ESP32CAM/TEST-LIM-OUT/status '{"status":"Alive","wifi_rssi":101,"battery_voltage":-0.001}'
wait_for 10 "SELECT count(*) = 2 FROM devicewake.device_history h JOIN devicewake.devices d USING (device_id)
             WHERE d.device_mac = 'TEST-LIM-OUT' AND h.event_type = 'hello'"
is "$(ignored TEST-LIM-OUT)" "battery_voltage,battery_voltage,firmware_version,hardware_version,wifi_rssi,wifi_rssi" \
  "RSSI 101 and -0.001 V are ignored too"

# --- telemetry outside the same limits is rejected (a numeric(6,3) battery column never sees 1e6)
pub ESP32CAM/TEST-LIM-T/data '{"battery_voltage":1000000}'
pub ESP32CAM/TEST-LIM-T/data '{"wifi_rssi":-201}'
pub ESP32CAM/TEST-LIM-T/data '{"battery_voltage":100,"wifi_rssi":-200}'
wait_for 10 "SELECT count(*) = 2 FROM devicewake.rejected_messages WHERE topic = 'ESP32CAM/TEST-LIM-T/data'"
ok $? "two telemetry messages outside the limits are rejected"
is "$(q "SELECT string_agg(reason, ' / ' ORDER BY reason) FROM devicewake.rejected_messages WHERE topic = 'ESP32CAM/TEST-LIM-T/data'")" \
   "battery_voltage: expected a number of volts between 0 and 100 / wifi_rssi: expected a number of dBm between -200 and 100" \
   "each with the reason"
wait_for 10 "SELECT battery_voltage = 100 AND wifi_rssi = -200 FROM devicewake.devices WHERE device_mac = 'TEST-LIM-T'"
ok $? "the telemetry at the limits is stored"

# --- the SQL entry answers the same, from the same parser
q "SELECT devicewake.record_device_hello('TEST-LIM-SQL', '{\"wifi_rssi\":-200.6,\"battery_voltage\":100,\"firmware_version\":\"${v64}v\"}')" >/dev/null
is "$(device TEST-LIM-SQL)" "100.000" "record_device_hello keeps 100 V and ignores RSSI -200.6 and 65 characters"
is "$(ignored TEST-LIM-SQL)" "firmware_version,wifi_rssi" "and names the same fields"

done_testing
