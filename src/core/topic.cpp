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

TopicPrefixes ParseTopicPrefixList(std::string_view list) {
  TopicPrefixes result;
  try {
    constexpr std::string_view kSpaces = " \t";
    std::vector<std::string_view> entries;
    std::size_t start = 0;
    while (true) {
      std::size_t comma = list.find(',', start);
      std::string_view entry = list.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      std::size_t first = entry.find_first_not_of(kSpaces);
      entry = first == std::string_view::npos
                  ? std::string_view()
                  : entry.substr(first, entry.find_last_not_of(kSpaces) - first + 1);
      entries.push_back(entry);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (entries.size() == 1 && entries[0].empty()) {
      result.error = "topic prefix list must not be empty";
      return result;
    }
    if (entries.size() > kMaxTopicPrefixes) {
      result.error = "topic prefix list has " + std::to_string(entries.size()) +
                     " entries, more than the limit of " + std::to_string(kMaxTopicPrefixes);
      return result;
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
      std::string_view entry = entries[i];
      if (entry.empty()) {
        result.error = "topic prefix list has an empty entry (entry " + std::to_string(i + 1) + ")";
        return result;
      }
      std::string error = ValidateTopicPrefix(entry);
      if (!error.empty()) {
        result.error = "topic prefix \"" + PrintableExcerpt(entry) + "\" is invalid: " + error;
        return result;
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (entries[j] == entry) {
          result.error = "topic prefix \"" + std::string(entry) + "\" is listed twice";
          return result;
        }
      }
    }
    result.prefixes.assign(entries.begin(), entries.end());
    result.ok = true;
    return result;
  } catch (...) {
    return TopicPrefixes{false, {}, "out of memory while parsing the topic prefix list"};
  }
}

InboundTopic ParseInboundTopic(std::string_view topic, const std::vector<std::string>& prefixes,
                               bool allow_separated_mac) {
  InboundTopic result;
  try {
    if (prefixes.empty()) {
      result.error = "no topic prefix is configured";
      return result;
    }
    const std::string* prefix = nullptr;  // the longest prefix the topic starts with
    for (const std::string& candidate : prefixes) {
      std::string prefix_error = ValidateTopicPrefix(candidate);
      if (!prefix_error.empty()) {
        result.error =
            "topic prefix \"" + PrintableExcerpt(candidate) + "\" is invalid: " + prefix_error;
        return result;
      }
      if (topic.size() > candidate.size() + 1 && topic.substr(0, candidate.size()) == candidate &&
          topic[candidate.size()] == '/' && (!prefix || candidate.size() > prefix->size())) {
        prefix = &candidate;
      }
    }
    if (!prefix) {
      result.error = "topic \"" + PrintableExcerpt(topic) + "\" does not start with ";
      if (prefixes.size() == 1) {
        result.error += "the prefix \"" + prefixes[0] + "/\"";
      } else {
        result.error += "any of the prefixes";
        for (std::size_t i = 0; i < prefixes.size(); ++i)
          result.error += (i ? ", \"" : " \"") + prefixes[i] + "/\"";
      }
      return result;
    }
    std::string_view rest = topic.substr(prefix->size() + 1);
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
    if (!allow_separated_mac && id.value != device) {
      result.error = "topic device id \"" + PrintableExcerpt(device) +
                     "\" is not canonical (expected \"" + id.value + "\")";
      return result;
    }
    result.device_id = std::move(id.value);
    result.prefix = *prefix;
    result.ok = true;
    return result;
  } catch (...) {
    return InboundTopic{false, InboundKind::kStatus, {}, "out of memory while parsing a topic", {}};
  }
}

InboundTopic ParseInboundTopic(std::string_view topic, std::string_view prefix) {
  try {
    return ParseInboundTopic(topic, std::vector<std::string>{std::string(prefix)}, false);
  } catch (...) {
    return InboundTopic{false, InboundKind::kStatus, {}, "out of memory while parsing a topic", {}};
  }
}

OutboundTopic CommandTopic(std::string_view prefix, std::string_view device_id) {
  return BuildTopic(prefix, device_id, "cmd");
}

OutboundTopic AckTopic(std::string_view prefix, std::string_view device_id) {
  return BuildTopic(prefix, device_id, "ack");
}

std::vector<std::string> InboundSubscriptions(const std::vector<std::string>& prefixes,
                                              bool shared) noexcept {
  try {
    std::vector<std::string> filters;
    for (const std::string& prefix : prefixes) {
      if (!ValidateTopicPrefix(prefix).empty()) continue;
      for (InboundKind kind : {InboundKind::kStatus, InboundKind::kData, InboundKind::kAck}) {
        std::string filter = shared ? std::string("$share/") + kSharedSubscriptionGroup + "/" : "";
        filter.append(prefix).append("/+/").append(InboundKindName(kind));
        filters.push_back(std::move(filter));
      }
    }
    return filters;
  } catch (...) {
    return {};
  }
}

}  // namespace devicewake::core
