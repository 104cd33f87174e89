// MQTT topics of docs/design.md §8: parsing what devices publish on
// ({prefix}/{MAC}/status|data|ack) and building what the server publishes ({prefix}/{MAC}/cmd|ack)
// from normalised identifiers only, so that no MAC or payload field can inject '/', '+', '#' or
// another device's topic. Pure C++; never throws; any thread may call these.
#pragma once
#include "core/cpp_only.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace devicewake::core {

inline constexpr std::size_t kMaxTopicPrefixLength = 128;
inline constexpr std::size_t kMaxTopicPrefixes = 8;

enum class InboundKind { kStatus, kData, kAck };

// "status", "data" or "ack".
const char* InboundKindName(InboundKind kind) noexcept;

struct InboundTopic {
  bool ok = false;
  InboundKind kind = InboundKind::kStatus;
  std::string device_id;  // normalised (NormalizeDeviceId) when ok
  std::string error;      // lower-case reason without final period when !ok
  std::string prefix;     // the configured prefix the topic used, when ok (replies go there)
};

// Checks a topic prefix (one entry of the devicewake.topic_prefix setting): 1..128 bytes of
// printable ASCII, one or more levels separated by '/', no empty level, no '+', '#', leading '$'
// or space. Returns an empty string when valid, otherwise the reason.
std::string ValidateTopicPrefix(std::string_view prefix);

struct TopicPrefixes {
  bool ok = false;
  std::vector<std::string> prefixes;  // in the order listed, when ok
  std::string error;                  // lower-case reason without final period when !ok
};

// Parses the devicewake.topic_prefix setting (its check hook calls this): a comma-separated
// list of 1..kMaxTopicPrefixes prefixes, spaces around each entry trimmed, each valid per
// ValidateTopicPrefix, no entry twice. Overlapping prefixes ("a" and "a/b") are allowed. The
// error names the offending entry: `topic prefix "fleet 1" is invalid: …`.
TopicPrefixes ParseTopicPrefixList(std::string_view list);

// Parses an inbound topic `{prefix}/{MAC}/{status|data|ack}` where prefix is one of prefixes
// (each may have several levels; when several match, as "a" and "a/b" do for "a/b/…", the
// longest wins and the topic is parsed against it alone). The MAC level must be one level that
// NormalizeDeviceId accepts. When allow_separated_mac is false (the default), it must also be
// canonical already (what NormalizeDeviceId returns: "BB0000000001", not "bb:00:00:00:00:01" or
// "bb0000000001"), so that broker ACLs written for the canonical topic cannot be sidestepped;
// when true, any accepted spelling is normalised. Every prefix must be valid, and prefixes must
// not be empty. Anything else is rejected with a reason.
InboundTopic ParseInboundTopic(std::string_view topic, const std::vector<std::string>& prefixes,
                               bool allow_separated_mac = false);

// The same with a single prefix (allow_separated_mac = false).
InboundTopic ParseInboundTopic(std::string_view topic, std::string_view prefix);

// The MQTT shared-subscription group of docs/design.md §10 (the broker hands each message to one
// member). Workers no longer join it (a device's messages were applied out of order): they only
// unsubscribe its filters, which an earlier build may have left in their persistent sessions.
inline constexpr const char* kSharedSubscriptionGroup = "devicewake";

// The topic filters a worker subscribes to for what devices publish: for each prefix, in order,
// `{prefix}/+/status`, `{prefix}/+/data`, `{prefix}/+/ack`; with shared, each as
// `$share/devicewake/{prefix}/+/{kind}` (MQTT 5 shared subscriptions, which mosquitto also
// accepts from MQTT 3.1.1 clients). Prefixes must be valid (ValidateTopicPrefix): an invalid one
// is left out. Never throws (out of memory: an empty list).
std::vector<std::string> InboundSubscriptions(const std::vector<std::string>& prefixes,
                                              bool shared) noexcept;

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
