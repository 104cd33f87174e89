// Device → server messages of docs/design.md §8 (HELLO, image metadata, chunks, telemetry, command
// acknowledgements), parsed from untrusted bytes into plain values. Every field-name variant of
// the firmware versions is accepted; anything malformed becomes Rejected with a precise reason
// (the worker stores it in devicewake.rejected_messages). Pure C++: no PostgreSQL, no MQTT
// library; never throws; any thread may call ParseInbound.
#pragma once
#include "core/cpp_only.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/topic.hpp"

namespace devicewake::core {

// Bounds applied to every inbound message; the defaults suit ESP32-CAM images (≈70 KB in 1 KB
// chunks) with wide margins.
struct InboundLimits {
  std::size_t max_payload_bytes = 256 * 1024;
  std::int64_t max_chunks_per_image = 65536;
  std::size_t max_chunk_bytes = 16 * 1024;  // decoded bytes of one chunk
  std::int64_t max_image_bytes = 16 * 1024 * 1024;
  std::size_t max_image_name_length = 200;
  std::size_t max_pending_list = 256;  // entries of a HELLO's pending_list
  std::size_t max_text_length = 256;   // status, capture time, ids
  int max_json_depth = 16;
  std::size_t max_json_keys = 256;  // object keys at all depths
  // the JSON kept of a HELLO, METADATA or telemetry body (body_json, telemetry_json)
  std::size_t max_stored_json_bytes = 16 * 1024;
};

// The device readings every message kind is held to: the one set of limits (the SQL that stores
// them receives typed values and checks nothing again; devices.battery_voltage is numeric(6,3),
// firmware_version and hardware_version at most 64 characters).
inline constexpr double kMinBatteryVolts = 0;
inline constexpr double kMaxBatteryVolts = 100;
inline constexpr double kMinRssiDbm = -200;
inline constexpr double kMaxRssiDbm = 100;
inline constexpr std::size_t kMaxVersionLength = 64;  // characters (UTF-8 code points)

// Sensor readings as sent (temperature in °C as the firmware reports it, no conversion).
struct SensorReadings {
  std::optional<double> temperature;
  std::optional<double> humidity;
  std::optional<double> pressure;
  std::optional<double> gas_resistance;
  bool Empty() const { return !temperature && !humidity && !pressure && !gas_resistance; }
};

// A field of a HELLO that was not used because it was of the wrong type or out of range.
struct IgnoredField {
  std::string field;       // the JSON key, or "(payload)" for a body that is not an object
  std::string reason;      // lower-case, no final period
  std::string value_json;  // the value as sent, as JSON text
};

// HELLO on /status. A bad optional field never rejects a HELLO (the device's wake goes on): it
// is left out and listed in ignored.
struct Hello {
  std::string device_id;                  // the topic's normalised id
  std::string status;                     // e.g. "Alive"; empty when absent
  std::int64_t pending_count = 0;         // pendingImg | pending_count; else pending_list's size
  std::vector<std::string> pending_list;  // image names, each checked like image_name
  std::optional<std::string> firmware_version;  // 1..kMaxVersionLength characters
  std::optional<std::string> hardware_version;  // 1..kMaxVersionLength characters
  std::optional<std::int64_t> wifi_rssi;        // dBm, rounded to an integer
  std::optional<double> battery_voltage;        // volts
  std::vector<IgnoredField> ignored;
  std::string body_json;  // the whole body as JSON text (curly quotes repaired), for jsonb
};

// Image METADATA on /data: has a chunk count and no chunk_id. Only what the server uses is kept;
// the whole body is stored as device_images.metadata.
struct Metadata {
  std::string device_id;
  std::string image_name;
  std::optional<std::int64_t> image_size;          // bytes
  std::optional<std::int64_t> captured_at_micros;  // epoch µs when the capture time parses
  std::int64_t total_chunks = 0;                   // total_chunk_count | total_chunks_count
  std::int64_t error = 0;                          // 0 = ok; with an error total_chunks may be 0
  std::string sensor_json;  // JSON object: sensor_data's keys plus the flat readings present
  std::string body_json;    // the whole body as JSON text, for device_images.metadata
};

// One image CHUNK on /data: has chunk_id.
struct Chunk {
  std::string device_id;
  std::string image_name;
  std::int64_t chunk_id = 0;                   // 0-based, < max_chunks_per_image
  std::optional<std::int64_t> max_chunk_size;  // when sent
  std::optional<std::int64_t> total_chunks;    // when sent (chunk_id was checked against it)
  std::string bytes;                           // the decoded payload, never empty
};

// Telemetry only on /data: no image fields, at least one reading.
struct Telemetry {
  std::string device_id;
  SensorReadings sensors;
  std::optional<double> battery_voltage;
  std::optional<std::int64_t> wifi_rssi;  // dBm, rounded to an integer
  std::string telemetry_json;             // the whole body as JSON text, for jsonb
};

// Command acknowledgement on /ack, in either form:
//   {"device_id":…, "command_ack":"acknowledged"[, "command_id":"<uuid>"]}
//   {"device_id":…, "command_ack":{"command_id":"<uuid>", "status":"acknowledged"}}
// The string must be "acknowledged" (any case). In the object both keys are optional; status,
// when present, is one of acknowledged, ack, ok, success, done, completed, received (any case).
// A top-level command_id may accompany either form; when it and the object's differ, the
// message is Rejected.
struct CommandAck {
  std::string device_id;
  std::optional<std::string> command_id;  // lower-case canonical UUID; absent = the oldest sent
};

// The server's own ACK_OK / missing_chunks body seen on /ack: an MQTT 3.1.1 client receives its
// own publications on topics it subscribes to. Not an error: the worker drops it.
struct ServerEcho {
  std::string what;  // "ACK_OK" or "missing_chunks"
};

// Anything else: reason is lower-case without a final period, safe to store and log.
struct Rejected {
  std::string reason;
};

using InboundMessage =
    std::variant<Hello, Metadata, Chunk, Telemetry, CommandAck, ServerEcho, Rejected>;

// Parses one inbound payload. kind and device_id_from_topic come from ParseInboundTopic; a
// device_id in the body (colons allowed) must normalise to the topic's id. Curly quotes are
// repaired first (see ReplaceCurlyQuotes). Never throws: every failure, including allocation
// failure, is a Rejected.
InboundMessage ParseInbound(InboundKind kind, std::string_view device_id_from_topic,
                            std::string_view payload, const InboundLimits& limits = {});

// The fields of a HELLO body given as JSON text outside MQTT (devicewake.record_device_hello):
// the same checks as ParseInbound's, but a body that is not an object, or whose device_id names
// another device, is noted in ignored instead of rejected (body_json then holds {"raw": body}).
// Returns a Hello, or a Rejected only when json_text is not JSON this parser accepts (too deep,
// not UTF-8). Never throws.
InboundMessage ParseHelloBody(std::string_view device_id, std::string_view json_text,
                              const InboundLimits& limits = {});

// ignored as a JSON array of {"field", "reason", "value"} objects (for device_history).
std::string IgnoredFieldsJson(const std::vector<IgnoredField>& ignored);

// "hello", "metadata", "chunk", "telemetry", "command_ack", "server_echo" or "rejected".
const char* InboundMessageName(const InboundMessage& message) noexcept;

}  // namespace devicewake::core
