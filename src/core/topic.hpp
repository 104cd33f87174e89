// MQTT topics of DESIGN §8: parsing what devices publish on ({prefix}/{MAC}/status|data|ack) and
// building what the server publishes ({prefix}/{MAC}/cmd|ack) from normalised identifiers only,
// so that no MAC or payload field can inject '/', '+', '#' or another device's topic.
// Pure C++; never throws; any thread may call these.
#pragma once
#include "core/cpp_only.hpp"

#include <string>
#include <string_view>

namespace devicewake::core {

inline constexpr std::size_t kMaxTopicPrefixLength = 128;

enum class InboundKind { kStatus, kData, kAck };

// "status", "data" or "ack".
const char* InboundKindName(InboundKind kind) noexcept;

struct InboundTopic {
  bool ok = false;
  InboundKind kind = InboundKind::kStatus;
  std::string device_id;  // normalised (NormalizeDeviceId) when ok
  std::string error;      // lower-case reason without final period when !ok
};

// Checks a topic prefix (the devicewake.topic_prefix setting): 1..128 bytes of printable ASCII,
// one or more levels separated by '/', no empty level, no '+', '#', leading '$' or space.
// Returns an empty string when valid, otherwise the reason.
std::string ValidateTopicPrefix(std::string_view prefix);

// Parses an inbound topic `{prefix}/{MAC}/{status|data|ack}`. The prefix must match exactly (it
// may have several levels); the MAC level must be one level that NormalizeDeviceId accepts (a
// MAC written with colons is normalised). Anything else is rejected with a reason.
InboundTopic ParseInboundTopic(std::string_view topic, std::string_view prefix);

struct OutboundTopic {
  bool ok = false;
  std::string topic;  // when ok
  std::string error;  // when !ok
};

// `{prefix}/{device_id}/cmd` and `{prefix}/{device_id}/ack`. device_id must already be normalised
// (equal to what NormalizeDeviceId returns for it) and the prefix valid; otherwise an error.
OutboundTopic CommandTopic(std::string_view prefix, std::string_view device_id);
OutboundTopic AckTopic(std::string_view prefix, std::string_view device_id);

}  // namespace devicewake::core
