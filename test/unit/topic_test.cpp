// Unit tests of MQTT topic parsing and building: the prefix, the device level and the kind.
#include "core/topic.hpp"

#include <gtest/gtest.h>

using namespace devicewake::core;

TEST(Topic, ParsesEveryInboundKind) {
  struct Case {
    const char* topic;
    InboundKind kind;
  };
  for (const Case& c : {Case{"ESP32CAM/B8F862F9C1C4/status", InboundKind::kStatus},
                        Case{"ESP32CAM/B8F862F9C1C4/data", InboundKind::kData},
                        Case{"ESP32CAM/B8F862F9C1C4/ack", InboundKind::kAck}}) {
    InboundTopic t = ParseInboundTopic(c.topic, "ESP32CAM");
    ASSERT_TRUE(t.ok) << c.topic << ": " << t.error;
    EXPECT_EQ(t.kind, c.kind);
    EXPECT_EQ(t.device_id, "B8F862F9C1C4");
  }
}

TEST(Topic, NormalisesTheDeviceLevelOnlyWhenSeparatedMacsAreAllowed) {
  const std::vector<std::string> prefixes = {"ESP32CAM"};
  InboundTopic t = ParseInboundTopic("ESP32CAM/b8:f8:62:f9:c1:c4/data", prefixes, true);
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.device_id, "B8F862F9C1C4");
  t = ParseInboundTopic("ESP32CAM/b8f862f9c1c4/data", prefixes, true);
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.device_id, "B8F862F9C1C4");
  for (bool allow : {false, true}) {
    t = ParseInboundTopic("ESP32CAM/TEST-ESP32-002/status", prefixes, allow);
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.device_id, "TEST-ESP32-002");
    t = ParseInboundTopic("ESP32CAM/B8F862F9C1C4/status", prefixes, allow);
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.device_id, "B8F862F9C1C4");
  }
}

TEST(Topic, ANonCanonicalDeviceLevelIsRejectedByDefault) {
  const std::vector<std::string> prefixes = {"ESP32CAM"};
  struct Case {
    const char* topic;
    const char* error;
  };
  for (const Case& c : {
           Case{
               "ESP32CAM/bb:00:00:00:00:01/data",
               R"(topic device id "bb:00:00:00:00:01" is not canonical (expected "BB0000000001"))"},
           Case{
               "ESP32CAM/BB:00:00:00:00:01/status",
               R"(topic device id "BB:00:00:00:00:01" is not canonical (expected "BB0000000001"))"},
           Case{"ESP32CAM/bb0000000001/ack",
                R"(topic device id "bb0000000001" is not canonical (expected "BB0000000001"))"},
           Case{"ESP32CAM/Bb0000000001/ack",
                R"(topic device id "Bb0000000001" is not canonical (expected "BB0000000001"))"},
           Case{
               "ESP32CAM/BB-00-00-00-00-01/ack",
               R"(topic device id "BB-00-00-00-00-01" is not canonical (expected "BB0000000001"))"},
           Case{"ESP32CAM/BB00.0000.0001/ack",
                R"(topic device id "BB00.0000.0001" is not canonical (expected "BB0000000001"))"},
       }) {
    // The two-argument forms mean allow_separated_mac = false.
    for (const InboundTopic& t :
         {ParseInboundTopic(c.topic, prefixes), ParseInboundTopic(c.topic, prefixes, false),
          ParseInboundTopic(c.topic, "ESP32CAM")}) {
      EXPECT_FALSE(t.ok) << c.topic;
      EXPECT_EQ(t.error, c.error) << c.topic;
      EXPECT_TRUE(t.device_id.empty()) << c.topic;
      EXPECT_TRUE(t.prefix.empty()) << c.topic;
    }
    InboundTopic allowed = ParseInboundTopic(c.topic, prefixes, true);
    ASSERT_TRUE(allowed.ok) << c.topic << ": " << allowed.error;
    EXPECT_EQ(allowed.device_id, "BB0000000001");
    EXPECT_EQ(allowed.prefix, "ESP32CAM");
  }
  // An id NormalizeDeviceId refuses keeps its own reason whatever the setting.
  for (bool allow : {false, true}) {
    InboundTopic t = ParseInboundTopic("ESP32CAM/bb:00:00/data", prefixes, allow);
    EXPECT_FALSE(t.ok);
    EXPECT_NE(t.error.find("invalid device id \"bb:00:00\" in topic"), std::string::npos)
        << t.error;
  }
}

TEST(Topic, AcceptsMultiLevelPrefixes) {
  InboundTopic t = ParseInboundTopic("farm/north/ESP32CAM/B8F862F9C1C4/ack", "farm/north/ESP32CAM");
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.kind, InboundKind::kAck);
  EXPECT_FALSE(ParseInboundTopic("farm/south/ESP32CAM/B8F862F9C1C4/ack", "farm/north/ESP32CAM").ok);
}

TEST(Topic, RejectsEverythingElseWithAReason) {
  struct Case {
    const char* topic;
    const char* reason;
  };
  for (const Case& c : {
           Case{"OTHER/B8F862F9C1C4/data", "does not start with the prefix"},
           Case{"ESP32CAMX/B8F862F9C1C4/data", "does not start with the prefix"},
           Case{"ESP32CAM", "does not start with the prefix"},
           Case{"ESP32CAM/", "does not start with the prefix"},
           Case{"ESP32CAM/B8F862F9C1C4", "no message kind"},
           Case{"ESP32CAM/B8F862F9C1C4/cmd", "topic kind \"cmd\" is not one devices publish"},
           Case{"ESP32CAM/B8F862F9C1C4/Data", "topic kind \"Data\""},
           Case{"ESP32CAM/B8F862F9C1C4/", "topic kind \"\""},
           Case{"ESP32CAM/B8F862F9C1C4/data/extra", "extra levels"},
           Case{"ESP32CAM//data", "invalid device id \"\" in topic"},
           Case{"ESP32CAM/+/data", "invalid device id \"+\""},
           Case{"ESP32CAM/#/data", "invalid device id \"#\""},
           Case{"ESP32CAM/B8F862F9C1/data", "found 10"},
           Case{"ESP32CAM/TEST-a b/data", "Prefixed identifiers"},
       }) {
    InboundTopic t = ParseInboundTopic(c.topic, "ESP32CAM");
    EXPECT_FALSE(t.ok) << c.topic;
    EXPECT_NE(t.error.find(c.reason), std::string::npos) << c.topic << " -> " << t.error;
  }
}

TEST(Topic, ValidatesThePrefix) {
  EXPECT_EQ(ValidateTopicPrefix("ESP32CAM"), "");
  EXPECT_EQ(ValidateTopicPrefix("a/b/c"), "");
  for (const char* bad : {"", "/x", "x/", "a//b", "a/+/b", "a/#", "$SYS", "a b", "a\nb"}) {
    EXPECT_NE(ValidateTopicPrefix(bad), "") << bad;
    EXPECT_FALSE(ParseInboundTopic(std::string(bad) + "/B8F862F9C1C4/data", bad).ok) << bad;
    EXPECT_FALSE(CommandTopic(bad, "B8F862F9C1C4").ok) << bad;
  }
  EXPECT_NE(ValidateTopicPrefix(std::string(129, 'a')), "");
}

TEST(Topic, BuildsOutboundTopicsOnlyFromNormalisedIds) {
  OutboundTopic t = CommandTopic("ESP32CAM", "B8F862F9C1C4");
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.topic, "ESP32CAM/B8F862F9C1C4/cmd");
  EXPECT_EQ(AckTopic("ESP32CAM", "B8F862F9C1C4").topic, "ESP32CAM/B8F862F9C1C4/ack");
  EXPECT_EQ(CommandTopic("site/1", "VIRTUAL:cam_1").topic, "site/1/VIRTUAL:cam_1/cmd");

  OutboundTopic colon = CommandTopic("ESP32CAM", "B8:F8:62:F9:C1:C4");
  EXPECT_FALSE(colon.ok);
  EXPECT_NE(colon.error.find("is not normalised (expected \"B8F862F9C1C4\")"), std::string::npos)
      << colon.error;
  EXPECT_FALSE(CommandTopic("ESP32CAM", "b8f862f9c1c4").ok);
  for (const char* inject :
       {"B8F862F9C1C4/#", "+", "#", "TEST-a/b", "TEST-x/../y", "", "B8F862F9C1C4/cmd"}) {
    OutboundTopic r = AckTopic("ESP32CAM", inject);
    EXPECT_FALSE(r.ok) << inject;
    EXPECT_TRUE(r.topic.empty());
    EXPECT_NE(r.error.find("invalid device id"), std::string::npos) << r.error;
  }
}

TEST(Topic, SeveralPrefixesTellWhichOneWasUsed) {
  const std::vector<std::string> prefixes = {"ESP32CAM", "device", "farm/north/cams"};
  struct Case {
    const char* topic;
    const char* prefix;
    InboundKind kind;
  };
  for (const Case& c :
       {Case{"ESP32CAM/B8F862F9C1C4/status", "ESP32CAM", InboundKind::kStatus},
        Case{"device/B8F862F9C1C4/data", "device", InboundKind::kData},
        Case{"farm/north/cams/B8F862F9C1C4/ack", "farm/north/cams", InboundKind::kAck}}) {
    InboundTopic t = ParseInboundTopic(c.topic, prefixes);
    ASSERT_TRUE(t.ok) << c.topic << ": " << t.error;
    EXPECT_EQ(t.prefix, c.prefix);
    EXPECT_EQ(t.kind, c.kind);
    EXPECT_EQ(t.device_id, "B8F862F9C1C4");
  }
  InboundTopic t = ParseInboundTopic("ESP32CAM/B8F862F9C1C4/data", "ESP32CAM");
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.prefix, "ESP32CAM");

  t = ParseInboundTopic("other/B8F862F9C1C4/data", prefixes);
  EXPECT_FALSE(t.ok);
  EXPECT_EQ(t.error, R"(topic "other/B8F862F9C1C4/data" does not start with any of the prefixes )"
                     R"("ESP32CAM/", "device/", "farm/north/cams/")");
  EXPECT_FALSE(ParseInboundTopic("devices/B8F862F9C1C4/data", prefixes).ok);
  EXPECT_FALSE(ParseInboundTopic("farm/north/B8F862F9C1C4/data", prefixes).ok);
}

TEST(Topic, TheLongestOverlappingPrefixWins) {
  // Whatever order they are listed in.
  for (const std::vector<std::string>& prefixes :
       {std::vector<std::string>{"a", "a/b"}, std::vector<std::string>{"a/b", "a"}}) {
    InboundTopic t = ParseInboundTopic("a/b/B8F862F9C1C4/data", prefixes);
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.prefix, "a/b");
    EXPECT_EQ(t.device_id, "B8F862F9C1C4");
    t = ParseInboundTopic("a/B8F862F9C1C4/data", prefixes);
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.prefix, "a");
    // "a/bc" is not "a/b": only whole levels match.
    t = ParseInboundTopic("a/bc/B8F862F9C1C4/data", prefixes);
    EXPECT_FALSE(t.ok);
    EXPECT_NE(t.error.find("has extra levels"), std::string::npos) << t.error;
    // "a/TEST-b/data" only matches "a".
    t = ParseInboundTopic("a/TEST-b/data", prefixes);
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.prefix, "a");
    EXPECT_EQ(t.device_id, "TEST-b");
  }
  // The longest match is final: with "a/TEST-b" configured, "a/TEST-b/data" is parsed against it
  // (and has no device level), not retried against "a".
  InboundTopic t = ParseInboundTopic("a/TEST-b/data", std::vector<std::string>{"a", "a/TEST-b"});
  EXPECT_FALSE(t.ok);
  EXPECT_NE(t.error.find("has no message kind"), std::string::npos) << t.error;
}

TEST(Topic, EveryConfiguredPrefixMustBeValid) {
  InboundTopic t = ParseInboundTopic("ESP32CAM/B8F862F9C1C4/data", std::vector<std::string>{});
  EXPECT_FALSE(t.ok);
  EXPECT_EQ(t.error, "no topic prefix is configured");
  t = ParseInboundTopic("ESP32CAM/B8F862F9C1C4/data", std::vector<std::string>{"ESP32CAM", "a/+"});
  EXPECT_FALSE(t.ok);
  EXPECT_EQ(
      t.error,
      R"(topic prefix "a/+" is invalid: topic prefix must not contain the wildcards '+' or '#')");
}

TEST(TopicPrefixList, ParsesOneOrSeveralPrefixes) {
  struct Case {
    const char* list;
    std::vector<std::string> prefixes;
  };
  for (const Case& c : {
           Case{"ESP32CAM", {"ESP32CAM"}},
           Case{"ESP32CAM,device", {"ESP32CAM", "device"}},
           Case{" ESP32CAM , device ", {"ESP32CAM", "device"}},
           Case{"ESP32CAM,\tdevice\t", {"ESP32CAM", "device"}},
           Case{"device, ESP32CAM", {"device", "ESP32CAM"}},
           Case{"a, a/b, farm/north/ESP32CAM", {"a", "a/b", "farm/north/ESP32CAM"}},
           Case{"p1,p2,p3,p4,p5,p6,p7,p8", {"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"}},
       }) {
    TopicPrefixes p = ParseTopicPrefixList(c.list);
    ASSERT_TRUE(p.ok) << c.list << ": " << p.error;
    EXPECT_EQ(p.prefixes, c.prefixes) << c.list;
    EXPECT_TRUE(p.error.empty());
  }
  EXPECT_TRUE(ParseTopicPrefixList(std::string(128, 'a') + "," + std::string(128, 'b')).ok);
}

TEST(TopicPrefixList, ErrorsNameTheOffendingEntry) {
  struct Case {
    std::string list;
    std::string error;
  };
  for (const Case& c : {
           Case{"", "topic prefix list must not be empty"},
           Case{"   ", "topic prefix list must not be empty"},
           Case{"ESP32CAM,", "topic prefix list has an empty entry (entry 2)"},
           Case{",ESP32CAM", "topic prefix list has an empty entry (entry 1)"},
           Case{"a, ,b", "topic prefix list has an empty entry (entry 2)"},
           Case{"ESP32CAM,fleet 1",
                "topic prefix \"fleet 1\" is invalid: topic prefix may only contain printable "
                "ASCII without spaces"},
           Case{"ESP32CAM, a/+/b",
                "topic prefix \"a/+/b\" is invalid: topic prefix must not contain the wildcards "
                "'+' or '#'"},
           Case{"$SYS", "topic prefix \"$SYS\" is invalid: topic prefix must not start with '$'"},
           Case{"a/",
                "topic prefix \"a/\" is invalid: topic prefix must not start or end with '/'"},
           Case{"x,a//b",
                "topic prefix \"a//b\" is invalid: topic prefix must not contain an empty level"},
           Case{"x," + std::string(129, 'a'), "is invalid: topic prefix is longer than 128 bytes"},
           Case{"ESP32CAM,device, ESP32CAM", "topic prefix \"ESP32CAM\" is listed twice"},
           Case{"p1,p2,p3,p4,p5,p6,p7,p8,p9",
                "topic prefix list has 9 entries, more than the limit of 8"},
           Case{"a\nb", "topic prefix \"a?b\" is invalid"},
       }) {
    TopicPrefixes p = ParseTopicPrefixList(c.list);
    EXPECT_FALSE(p.ok) << c.list;
    EXPECT_TRUE(p.prefixes.empty()) << c.list;
    EXPECT_NE(p.error.find(c.error), std::string::npos) << c.list << " -> " << p.error;
  }
  // Prefixes are case-sensitive, as MQTT topics are.
  EXPECT_TRUE(ParseTopicPrefixList("ESP32CAM,esp32cam").ok);
}

TEST(TopicPrefixList, EveryParsedListParsesTopics) {
  TopicPrefixes p = ParseTopicPrefixList("ESP32CAM, device");
  ASSERT_TRUE(p.ok) << p.error;
  InboundTopic t = ParseInboundTopic("device/B8F862F9C1C4/status", p.prefixes);
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.prefix, "device");
  OutboundTopic reply = AckTopic(t.prefix, t.device_id);
  ASSERT_TRUE(reply.ok) << reply.error;
  EXPECT_EQ(reply.topic, "device/B8F862F9C1C4/ack");
}

TEST(Topic, KindNames) {
  EXPECT_STREQ(InboundKindName(InboundKind::kStatus), "status");
  EXPECT_STREQ(InboundKindName(InboundKind::kData), "data");
  EXPECT_STREQ(InboundKindName(InboundKind::kAck), "ack");
}

// One worker subscribes as it always has; several share one subscription per filter, so the
// broker hands each message to one of them (docs/design.md §10).
TEST(InboundSubscriptions, PlainFiltersForEachPrefixInOrder) {
  std::vector<std::string> plain = InboundSubscriptions({"ESP32CAM", "fleet/a"}, false);
  EXPECT_EQ(plain,
            (std::vector<std::string>{"ESP32CAM/+/status", "ESP32CAM/+/data", "ESP32CAM/+/ack",
                                      "fleet/a/+/status", "fleet/a/+/data", "fleet/a/+/ack"}));
}

TEST(InboundSubscriptions, SharedFiltersJoinTheDevicewakeGroup) {
  std::vector<std::string> shared = InboundSubscriptions({"ESP32CAM", "device"}, true);
  EXPECT_EQ(shared, (std::vector<std::string>{
                        "$share/devicewake/ESP32CAM/+/status", "$share/devicewake/ESP32CAM/+/data",
                        "$share/devicewake/ESP32CAM/+/ack", "$share/devicewake/device/+/status",
                        "$share/devicewake/device/+/data", "$share/devicewake/device/+/ack"}));
  // what the broker delivers on them is the device's own topic, which parses as before
  InboundTopic t = ParseInboundTopic("device/B8F862F9C1C4/data", {"ESP32CAM", "device"});
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.prefix, "device");
}

TEST(InboundSubscriptions, InvalidPrefixesAreLeftOut) {
  EXPECT_TRUE(InboundSubscriptions({}, true).empty());
  EXPECT_TRUE(InboundSubscriptions({"$SYS"}, false).empty());
  EXPECT_TRUE(InboundSubscriptions({"a/#"}, true).empty());
  EXPECT_EQ(InboundSubscriptions({"", "ok"}, false),
            (std::vector<std::string>{"ok/+/status", "ok/+/data", "ok/+/ack"}));
}
