// libFuzzer target: inbound topic parsing and outbound topic building. An accepted topic's device
// id must build outbound topics that parse back to the same id, and no built topic may carry a
// wildcard or an extra level.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/topic.hpp"

using namespace devicewake::core;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckBuilt(const OutboundTopic& t, std::string_view prefix, std::string_view leaf) {
  if (!t.ok) {
    Check(!t.error.empty() && t.topic.empty());
    return;
  }
  Check(t.topic.find_first_of("+#") == std::string::npos);
  Check(t.topic.size() > prefix.size() + leaf.size() + 2);
  Check(t.topic.compare(0, prefix.size(), prefix) == 0);
  std::string_view device(t.topic);
  device = device.substr(prefix.size() + 1, device.size() - prefix.size() - leaf.size() - 2);
  Check(device.find('/') == std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first line, if any, is used as the prefix; the rest as the topic.
  std::string_view prefix = "ESP32CAM";
  std::string_view topic = input;
  if (std::size_t nl = input.find('\n'); nl != std::string_view::npos) {
    prefix = input.substr(0, nl);
    topic = input.substr(nl + 1);
  }
  InboundTopic parsed = ParseInboundTopic(topic, prefix);
  if (parsed.ok) {
    Check(ValidateTopicPrefix(prefix).empty());
    OutboundTopic ack = AckTopic(prefix, parsed.device_id);
    Check(ack.ok);
    InboundTopic back = ParseInboundTopic(ack.topic, prefix);
    Check(back.ok && back.kind == InboundKind::kAck && back.device_id == parsed.device_id);
  } else {
    Check(!parsed.error.empty());
  }
  CheckBuilt(CommandTopic(prefix, topic), prefix, "cmd");
  CheckBuilt(AckTopic("ESP32CAM", topic), "ESP32CAM", "ack");
  return 0;
}
