// MQTT topic parsing and building (see topic.hpp).
#include "core/topic.hpp"

#include "core/device_id.hpp"

namespace devicewake::core {
namespace {

OutboundTopic BuildTopic(std::string_view prefix, std::string_view device_id,
                         std::string_view leaf) {
  try {
    std::string prefix_error = ValidateTopicPrefix(prefix);
    if (!prefix_error.empty()) return OutboundTopic{false, {}, prefix_error};
    DeviceIdResult id = NormalizeDeviceId(device_id);
    if (!id.ok) {
      return OutboundTopic{
          false, {}, "invalid device id \"" + PrintableExcerpt(device_id) + "\": " + id.error};
    }
    if (id.value != device_id) {
      return OutboundTopic{false,
                           {},
                           "device id \"" + PrintableExcerpt(device_id) +
                               "\" is not normalised (expected \"" + id.value + "\")"};
    }
    std::string topic;
    topic.reserve(prefix.size() + device_id.size() + leaf.size() + 2);
    topic.append(prefix).append("/").append(device_id).append("/").append(leaf);
    return OutboundTopic{true, std::move(topic), {}};
  } catch (...) {
    return OutboundTopic{false, {}, "out of memory while building a topic"};
  }
}

}  // namespace

const char* InboundKindName(InboundKind kind) noexcept {
  switch (kind) {
    case InboundKind::kStatus:
      return "status";
    case InboundKind::kData:
      return "data";
    case InboundKind::kAck:
      return "ack";
  }
  return "unknown";
}

std::string ValidateTopicPrefix(std::string_view prefix) {
  try {
    if (prefix.empty()) return "topic prefix must not be empty";
    if (prefix.size() > kMaxTopicPrefixLength) {
      return "topic prefix is longer than " + std::to_string(kMaxTopicPrefixLength) + " bytes";
    }
    if (prefix.front() == '$') return "topic prefix must not start with '$'";
    if (prefix.front() == '/' || prefix.back() == '/')
      return "topic prefix must not start or end with '/'";
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      char c = prefix[i];
      if (c <= 0x20 || c >= 0x7f)
        return "topic prefix may only contain printable ASCII without spaces";
      if (c == '+' || c == '#') return "topic prefix must not contain the wildcards '+' or '#'";
      if (c == '/' && prefix[i + 1] == '/') return "topic prefix must not contain an empty level";
    }
    return {};
  } catch (...) {
    return "out of memory while checking the topic prefix";
  }
}

InboundTopic ParseInboundTopic(std::string_view topic, std::string_view prefix) {
  InboundTopic result;
  try {
    std::string prefix_error = ValidateTopicPrefix(prefix);
    if (!prefix_error.empty()) {
      result.error = prefix_error;
      return result;
    }
    if (topic.size() <= prefix.size() + 1 || topic.substr(0, prefix.size()) != prefix ||
        topic[prefix.size()] != '/') {
      result.error = "topic \"" + PrintableExcerpt(topic) + "\" does not start with the prefix \"" +
                     std::string(prefix) + "/\"";
      return result;
    }
    std::string_view rest = topic.substr(prefix.size() + 1);
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      result.error =
          "topic \"" + PrintableExcerpt(topic) + "\" has no message kind after the device id";
      return result;
    }
    std::string_view device = rest.substr(0, slash);
    std::string_view leaf = rest.substr(slash + 1);
    if (leaf.find('/') != std::string_view::npos) {
      result.error =
          "topic \"" + PrintableExcerpt(topic) + "\" has extra levels after the message kind";
      return result;
    }
    if (leaf == "status") {
      result.kind = InboundKind::kStatus;
    } else if (leaf == "data") {
      result.kind = InboundKind::kData;
    } else if (leaf == "ack") {
      result.kind = InboundKind::kAck;
    } else {
      result.error = "topic kind \"" + PrintableExcerpt(leaf) +
                     "\" is not one devices publish (status, data, ack)";
      return result;
    }
    DeviceIdResult id = NormalizeDeviceId(device);
    if (!id.ok) {
      result.error = "invalid device id \"" + PrintableExcerpt(device) + "\" in topic: " + id.error;
      return result;
    }
    result.device_id = std::move(id.value);
    result.ok = true;
    return result;
  } catch (...) {
    return InboundTopic{false, InboundKind::kStatus, {}, "out of memory while parsing a topic"};
  }
}

OutboundTopic CommandTopic(std::string_view prefix, std::string_view device_id) {
  return BuildTopic(prefix, device_id, "cmd");
}

OutboundTopic AckTopic(std::string_view prefix, std::string_view device_id) {
  return BuildTopic(prefix, device_id, "ack");
}

}  // namespace devicewake::core
