// Server -> device bodies of DESIGN §8: one builder per command type, and ACK_OK. Every body
// carries "device_id": the normalised MAC, which a payload can never override. Pure C++; never
// throws (failures are values); any thread may call these.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace devicewake::core {

struct OutboundBody {
  bool ok = false;
  std::string body;   // JSON text when ok
  std::string error;  // lower-case reason when !ok (stored as the command's error_message)
};

// The body of a device_commands row: command_type, command_payload (JSON object text as stored in
// jsonb), the device's normalised id, and the current time (for ping) in epoch seconds.
OutboundBody BuildCommandBody(std::string_view command_type, std::string_view payload_json,
                              std::string_view device_id, std::int64_t now_epoch_seconds);

// {"device_id":MAC,"image_name":…,"ACK_OK":{"next_wake_time":"5:30PM"}}.
std::string BuildAckOk(std::string_view device_id, std::string_view image_name,
                       std::int64_t next_wake_epoch_seconds);

// The firmware's wake time: UTC wall clock as H:MMAM / H:MMPM, hours not padded ("12:00AM",
// "8:30AM", "2:31PM").
std::string FormatWakeTime(std::int64_t epoch_seconds_utc);

// ISO-8601 in UTC with seconds: "2026-11-22T14:31:00Z".
std::string FormatIso8601Utc(std::int64_t epoch_seconds);

// Parses an ISO-8601 / PostgreSQL timestamptz text ("2026-11-22T14:31:00+00:00",
// "2026-11-22 14:31:00.5+05:30", "...Z") into epoch seconds (fraction dropped). False if malformed.
bool ParseTimestampSeconds(std::string_view text, std::int64_t* epoch_seconds);

}  // namespace devicewake::core
