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

TEST(Topic, NormalisesTheDeviceLevel) {
  InboundTopic t = ParseInboundTopic("ESP32CAM/b8:f8:62:f9:c1:c4/data", "ESP32CAM");
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.device_id, "B8F862F9C1C4");
  t = ParseInboundTopic("ESP32CAM/TEST-ESP32-002/status", "ESP32CAM");
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.device_id, "TEST-ESP32-002");
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

TEST(Topic, KindNames) {
  EXPECT_STREQ(InboundKindName(InboundKind::kStatus), "status");
  EXPECT_STREQ(InboundKindName(InboundKind::kData), "data");
  EXPECT_STREQ(InboundKindName(InboundKind::kAck), "ack");
}
