// libFuzzer target: topic prefix lists, inbound topic parsing and outbound topic building. An
// accepted topic used the longest configured prefix it starts with, and its device id builds
// outbound topics that parse back to the same id; a canonical-only parse accepts a subset of what
// the normalising one accepts; no built topic may carry a wildcard or an extra level.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

bool StartsWithLevel(std::string_view topic, std::string_view prefix) {
  return topic.size() > prefix.size() + 1 && topic.compare(0, prefix.size(), prefix) == 0 &&
         topic[prefix.size()] == '/';
}

void CheckPrefixList(const TopicPrefixes& list) {
  if (!list.ok) {
    Check(!list.error.empty() && list.prefixes.empty());
    return;
  }
  Check(list.error.empty());
  Check(!list.prefixes.empty() && list.prefixes.size() <= kMaxTopicPrefixes);
  for (std::size_t i = 0; i < list.prefixes.size(); ++i) {
    Check(ValidateTopicPrefix(list.prefixes[i]).empty());
    for (std::size_t j = 0; j < i; ++j) Check(list.prefixes[i] != list.prefixes[j]);
  }
}

void CheckParsed(std::string_view topic, const std::vector<std::string>& prefixes) {
  InboundTopic canonical = ParseInboundTopic(topic, prefixes);
  InboundTopic normalised = ParseInboundTopic(topic, prefixes, true);
  if (!canonical.ok) Check(!canonical.error.empty() && canonical.prefix.empty());
  if (!normalised.ok) {
    Check(!normalised.error.empty() && normalised.prefix.empty());
    Check(!canonical.ok);
    return;
  }
  if (canonical.ok) {
    Check(canonical.device_id == normalised.device_id && canonical.kind == normalised.kind &&
          canonical.prefix == normalised.prefix);
  }
  const std::string& used = normalised.prefix;
  Check(ValidateTopicPrefix(used).empty());
  Check(StartsWithLevel(topic, used));
  bool listed = false;
  for (const std::string& p : prefixes) {
    listed = listed || p == used;
    Check(!StartsWithLevel(topic, p) || p.size() <= used.size());
  }
  Check(listed);
  OutboundTopic ack = AckTopic(used, normalised.device_id);
  Check(ack.ok);
  InboundTopic back = ParseInboundTopic(ack.topic, used);
  Check(back.ok && back.kind == InboundKind::kAck && back.device_id == normalised.device_id &&
        back.prefix == used);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first line, if any, is the prefix list (as the setting holds it); the rest the topic.
  std::string_view list = "ESP32CAM";
  std::string_view topic = input;
  if (std::size_t nl = input.find('\n'); nl != std::string_view::npos) {
    list = input.substr(0, nl);
    topic = input.substr(nl + 1);
  }
  TopicPrefixes parsed_list = ParseTopicPrefixList(list);
  CheckPrefixList(parsed_list);
  // A list the check hook refuses is still tried as one prefix, to reach the validation paths.
  std::vector<std::string> prefixes =
      parsed_list.ok ? parsed_list.prefixes : std::vector<std::string>{std::string(list)};
  CheckParsed(topic, prefixes);
  InboundTopic single = ParseInboundTopic(topic, prefixes.front());
  Check(single.ok || !single.error.empty());
  if (single.ok) Check(single.prefix == prefixes.front());
  for (const std::string& prefix : prefixes) {
    CheckBuilt(CommandTopic(prefix, topic), prefix, "cmd");
  }
  CheckBuilt(AckTopic("ESP32CAM", topic), "ESP32CAM", "ack");
  return 0;
}
