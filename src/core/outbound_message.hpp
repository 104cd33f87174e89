// Server → device bodies of docs/design.md §8: one builder turns a device_commands row
// (command_type, command_payload as jsonb text) into the JSON body it publishes, ChannelFor says
// whether that goes on {prefix}/{MAC}/cmd or {prefix}/{MAC}/ack (the wake conversation's ack_ok and
// sleep among them). Every body carries "device_id": MAC, taken only from a normalised id. Pure
// C++; never throws; any thread may call these.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <string>
#include <string_view>

#include "core/topic.hpp"

namespace devicewake::core {

inline constexpr std::size_t kMaxFirmwareUrlLength = 2048;
inline constexpr std::size_t kMaxMissingChunksInCommand = 4096;
inline constexpr int kMaxCommandPayloadDepth = 32;

struct OutboundBody {
  bool ok = false;
  std::string body;   // compact JSON when ok; "device_id" is always the first key
  std::string error;  // lower-case reason without final period when !ok (goes to error_message)
};

// Builds the body of a command. command_payload_json is the stored jsonb text (empty or "null"
// mean {}; it must be a JSON object nested at most kMaxCommandPayloadDepth deep).
// now_epoch_seconds is only used by ping. Per command_type (each body after "device_id"):
//   set_wake_schedule {"next_wake":"2:31PM"} from the payload's next_wake_time (ISO-8601, as
//                     PostgreSQL prints timestamptz in JSON) or next_wake_epoch (seconds), or a
//                     ready "next_wake" string in H:MMAM form; else an error
//   capture_image     {"capture_image":true}
//   send_image        {"send_image":image_name}       image_name required and checked
//   retry_image       {"send_image":image_name}       the firmware re-sends the whole image
//   send_all_pending  {"send_all_pending":true}       the payload's keys are ignored
//   resend_chunks     {"image_name":…,"missing_chunks":[…]} non-empty list of chunk indexes
//                     0..65535, at most kMaxMissingChunksInCommand; sent sorted, without duplicates
//   ack_ok            {"image_name":…,"ACK_OK":true}  image_name required: "image received, the
//                     wake goes on"
//   sleep             {"image_name":…,"ACK_OK":{"next_wake_time":"5:30PM"}}, the sleep signal that
//                     ends a wake; the wake time as for set_wake_schedule; image_name optional
//                     (checked when present), without it {"ACK_OK":{"next_wake_time":…}}
//   reboot            {"reboot":true}
//   update_firmware   {"firmware_url":…}              http:// or https:// URL, no control chars
//   update_config     the payload's keys (at least one; "device_id" in it is ignored)
//   ping              {"ping":true,"timestamp":"2026-11-22T14:31:00Z"}
// device_id must be normalised (what NormalizeDeviceId returns), else an error. Publish the body
// on TopicFor(prefix, device_id, ChannelFor(command_type)).
OutboundBody BuildCommandBody(std::string_view command_type, std::string_view command_payload_json,
                              std::string_view device_id, std::int64_t now_epoch_seconds);

// Where a command's body is published: /ack for resend_chunks, ack_ok and sleep (docs/design.md
// §8.1), /cmd for every other command_type (unknown ones included).
enum class CommandChannel { kCmd, kAck };

CommandChannel ChannelFor(std::string_view command_type) noexcept;

// `{prefix}/{device_id}/cmd` or `{prefix}/{device_id}/ack` per channel (CommandTopic, AckTopic).
OutboundTopic TopicFor(std::string_view prefix, std::string_view device_id, CommandChannel channel);

}  // namespace devicewake::core
