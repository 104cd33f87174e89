// Unit tests of the server → device bodies of docs/design.md §8, built from device_commands rows.
#include "core/outbound_message.hpp"

#include <gtest/gtest.h>

using namespace devicewake::core;

namespace {

constexpr const char* kMac = "B8F862F9C1C4";
constexpr std::int64_t kNow = 1795357860;  // 2026-11-22T14:31:00Z

std::string Body(const char* type, const char* payload) {
  OutboundBody b = BuildCommandBody(type, payload, kMac, kNow);
  EXPECT_TRUE(b.ok) << type << " " << payload << ": " << b.error;
  return b.body;
}

std::string Error(const char* type, const char* payload, const char* device = kMac) {
  OutboundBody b = BuildCommandBody(type, payload, device, kNow);
  EXPECT_FALSE(b.ok) << type << " " << payload << " built " << b.body;
  EXPECT_TRUE(b.body.empty());
  return b.error;
}

}  // namespace

TEST(OutboundCommand, EveryCommandTypeOfTheDesign) {
  struct Case {
    const char* type;
    const char* payload;
    const char* body;
  };
  for (
      const Case& c : {
          Case{"set_wake_schedule", R"({"next_wake_time":"2026-11-22T14:31:00+00:00"})",
               R"({"device_id":"B8F862F9C1C4","next_wake":"2:31PM"})"},
          Case{"set_wake_schedule",
               R"({"next_wake_time":"2026-11-23T00:05:00.5+00:00","cron":"5 0 * * *"})",
               R"({"device_id":"B8F862F9C1C4","next_wake":"12:05AM"})"},
          Case{"set_wake_schedule", R"({"next_wake_time":"2026-11-22T09:30:00-05:00"})",
               R"({"device_id":"B8F862F9C1C4","next_wake":"2:30PM"})"},
          Case{"set_wake_schedule", R"({"next_wake_epoch":1795336200})",
               R"({"device_id":"B8F862F9C1C4","next_wake":"8:30AM"})"},
          Case{"set_wake_schedule", R"({"next_wake":"5:30PM"})",
               R"({"device_id":"B8F862F9C1C4","next_wake":"5:30PM"})"},
          Case{"capture_image", "{}", R"({"device_id":"B8F862F9C1C4","capture_image":true})"},
          Case{"capture_image", "", R"({"device_id":"B8F862F9C1C4","capture_image":true})"},
          Case{"capture_image", "null", R"({"device_id":"B8F862F9C1C4","capture_image":true})"},
          Case{"send_image", R"({"image_name":"image_3.jpg"})",
               R"({"device_id":"B8F862F9C1C4","send_image":"image_3.jpg"})"},
          Case{"retry_image", R"({"image_name":"image_2.jpg","retry":2})",
               R"({"device_id":"B8F862F9C1C4","send_image":"image_2.jpg"})"},
          Case{
              "resend_chunks", R"({"image_name":"image_3.jpg","missing_chunks":[23,5,10,5]})",
              R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg","missing_chunks":[5,10,23]})"},
          Case{"reboot", "{}", R"({"device_id":"B8F862F9C1C4","reboot":true})"},
          Case{
              "update_firmware", R"({"firmware_url":"https://updates.example.com/fw-1.5.0.bin"})",
              R"({"device_id":"B8F862F9C1C4","firmware_url":"https://updates.example.com/fw-1.5.0.bin"})"},
          Case{"update_config",
               R"({"frame_size":"UXGA","jpeg_quality":12,"device_id":"AABBCCDDEEFF"})",
               R"({"device_id":"B8F862F9C1C4","frame_size":"UXGA","jpeg_quality":12})"},
          Case{"ping", "{}",
               R"({"device_id":"B8F862F9C1C4","ping":true,"timestamp":"2026-11-22T14:31:00Z"})"},
      }) {
    EXPECT_EQ(Body(c.type, c.payload), c.body) << c.type << " " << c.payload;
  }
}

TEST(OutboundCommand, TheWakeConversationCommands) {
  struct Case {
    const char* type;
    const char* payload;
    const char* body;
  };
  for (const Case& c : {
           Case{"send_all_pending", "{}",
                R"({"device_id":"B8F862F9C1C4","send_all_pending":true})"},
           Case{"send_all_pending", "", R"({"device_id":"B8F862F9C1C4","send_all_pending":true})"},
           Case{"send_all_pending", R"({"image_name":"image_1.jpg","device_id":"AABBCCDDEEFF"})",
                R"({"device_id":"B8F862F9C1C4","send_all_pending":true})"},
           Case{"ack_ok", R"({"image_name":"image_3.jpg"})",
                R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg","ACK_OK":true})"},
           Case{"ack_ok", R"({"image_name":"image_3.jpg","next_wake_time":"2026-11-22T17:30:00Z"})",
                R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg","ACK_OK":true})"},
           Case{"sleep",
                R"({"image_name":"image_3.jpg","next_wake_time":"2026-11-22T17:30:00+00:00"})",
                R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg",)"
                R"("ACK_OK":{"next_wake_time":"5:30PM"}})"},
           Case{"sleep", R"({"next_wake_time":"2026-11-22T17:30:00+00:00"})",
                R"({"device_id":"B8F862F9C1C4","ACK_OK":{"next_wake_time":"5:30PM"}})"},
           Case{"sleep", R"({"next_wake_time":"2026-11-22T12:30:00-05:00","image_name":null})",
                R"({"device_id":"B8F862F9C1C4","ACK_OK":{"next_wake_time":"5:30PM"}})"},
           Case{"sleep", R"({"next_wake_time":"2026-11-23T00:05:00.5+00:00"})",
                R"({"device_id":"B8F862F9C1C4","ACK_OK":{"next_wake_time":"12:05AM"}})"},
           Case{"sleep", R"({"next_wake_epoch":1795336200,"image_name":"image_9.jpg"})",
                R"({"device_id":"B8F862F9C1C4","image_name":"image_9.jpg",)"
                R"("ACK_OK":{"next_wake_time":"8:30AM"}})"},
           Case{"sleep", R"({"next_wake_epoch":1795336200.9})",
                R"({"device_id":"B8F862F9C1C4","ACK_OK":{"next_wake_time":"8:30AM"}})"},
       }) {
    EXPECT_EQ(Body(c.type, c.payload), c.body) << c.type << " " << c.payload;
  }
}

TEST(OutboundCommand, WakeConversationErrors) {
  struct Case {
    const char* type;
    const char* payload;
    const char* error;
  };
  for (const Case& c : {
           Case{"ack_ok", "{}", "ack_ok needs image_name in command_payload"},
           Case{"ack_ok", R"({"image_name":null})", "ack_ok needs image_name in command_payload"},
           Case{"ack_ok", R"({"image_name":7})", "image_name must be a string, got number"},
           Case{"ack_ok", R"({"image_name":"../x"})", "image_name must not start with '.'"},
           Case{"sleep", "{}", "sleep needs next_wake_time or next_wake_epoch in command_payload"},
           Case{"sleep", R"({"image_name":"image_3.jpg"})",
                "sleep needs next_wake_time or next_wake_epoch in command_payload"},
           Case{"sleep", R"({"next_wake_time":"5:30PM"})",
                "next_wake_time \"5:30PM\" is not an ISO-8601 timestamp"},
           Case{"sleep", R"({"next_wake_time":true})",
                "next_wake_time must be a timestamp string, got boolean"},
           Case{"sleep", R"({"next_wake_epoch":-1e300})", "next_wake_epoch is out of range"},
           Case{"sleep", R"({"next_wake_epoch":1795336200,"image_name":"a/b.jpg"})",
                "forbidden character '/'"},
           Case{"sleep", R"({"next_wake_epoch":1795336200,"image_name":""})", "image_name"},
           Case{"sleep", R"({"next_wake_epoch":1795336200,"image_name":5})",
                "image_name must be a string, got number"},
           Case{"send_all_pending", "[true]", "command_payload must be a JSON object, got array"},
       }) {
    std::string error = Error(c.type, c.payload);
    EXPECT_NE(error.find(c.error), std::string::npos)
        << c.type << " " << c.payload << " -> " << error;
  }
  for (const char* type : {"send_all_pending", "ack_ok", "sleep"}) {
    EXPECT_NE(Error(type, R"({"image_name":"i.jpg","next_wake_epoch":0})", "b8:f8:62:f9:c1:c4")
                  .find("is not normalised"),
              std::string::npos)
        << type;
  }
}

TEST(OutboundChannel, AckCommandsGoOnAckEverythingElseOnCmd) {
  for (const char* type : {"resend_chunks", "ack_ok", "sleep"}) {
    EXPECT_EQ(ChannelFor(type), CommandChannel::kAck) << type;
  }
  for (const char* type : {"set_wake_schedule", "capture_image", "send_image", "retry_image",
                           "send_all_pending", "reboot", "update_firmware", "update_config", "ping",
                           "self_destruct", "", "SLEEP", "ack_ok ", "ACK_OK"}) {
    EXPECT_EQ(ChannelFor(type), CommandChannel::kCmd) << type;
  }
}

TEST(OutboundChannel, TopicForTheChannel) {
  OutboundTopic t = TopicFor("ESP32CAM", kMac, ChannelFor("sleep"));
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.topic, "ESP32CAM/B8F862F9C1C4/ack");
  t = TopicFor("device", kMac, ChannelFor("capture_image"));
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.topic, "device/B8F862F9C1C4/cmd");
  EXPECT_EQ(TopicFor("farm/north", kMac, CommandChannel::kAck).topic,
            "farm/north/B8F862F9C1C4/ack");
  EXPECT_EQ(TopicFor("ESP32CAM", kMac, CommandChannel::kCmd).topic,
            CommandTopic("ESP32CAM", kMac).topic);
  OutboundTopic bad = TopicFor("ESP32CAM", "b8:f8:62:f9:c1:c4", CommandChannel::kAck);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("is not normalised"), std::string::npos) << bad.error;
  EXPECT_FALSE(TopicFor("a/+", kMac, CommandChannel::kCmd).ok);
}

TEST(OutboundCommand, ErrorsSayWhatIsMissingOrWrong) {
  struct Case {
    const char* type;
    const char* payload;
    const char* error;
  };
  for (const Case& c : {
           Case{"set_wake_schedule", "{}",
                "set_wake_schedule needs next_wake_time or next_wake_epoch in command_payload"},
           Case{"set_wake_schedule", R"({"next_wake_time":"tomorrow"})",
                "next_wake_time \"tomorrow\" is not an ISO-8601 timestamp"},
           Case{"set_wake_schedule", R"({"next_wake_time":5})",
                "next_wake_time must be a timestamp string, got number"},
           Case{"set_wake_schedule", R"({"next_wake_epoch":"5"})",
                "next_wake_epoch must be a number, got string"},
           Case{"set_wake_schedule", R"({"next_wake_epoch":1e300})",
                "next_wake_epoch is out of range"},
           Case{"set_wake_schedule", R"({"next_wake":"25:00PM"})",
                "set_wake_schedule needs next_wake_time"},
           Case{"send_image", "{}", "send_image needs image_name in command_payload"},
           Case{"retry_image", R"({"image_name":null})",
                "retry_image needs image_name in command_payload"},
           Case{"send_image", R"({"image_name":3})", "image_name must be a string, got number"},
           Case{"send_image", R"({"image_name":"a/b.jpg"})", "forbidden character '/'"},
           Case{"send_image", R"({"image_name":"x\"}, \"reboot\": true, \"y\":\""})",
                "forbidden character '\"'"},
           Case{"resend_chunks", R"({"image_name":"i.jpg"})",
                "resend_chunks needs missing_chunks in command_payload"},
           Case{"resend_chunks", R"({"image_name":"i.jpg","missing_chunks":[]})",
                "missing_chunks must not be empty"},
           Case{"resend_chunks", R"({"image_name":"i.jpg","missing_chunks":"5"})",
                "missing_chunks must be an array, got string"},
           Case{"resend_chunks", R"({"image_name":"i.jpg","missing_chunks":[1,-2]})",
                "missing_chunks entries must be integers between 0 and 65535, got -2"},
           Case{"resend_chunks", R"({"image_name":"i.jpg","missing_chunks":[1.5]})", "got 1.5"},
           Case{"resend_chunks", R"({"missing_chunks":[1]})", "resend_chunks needs image_name"},
           Case{"update_firmware", "{}", "update_firmware needs firmware_url in command_payload"},
           Case{"update_firmware", R"({"firmware_url":"ftp://x/fw.bin"})",
                "firmware_url must start with http:// or https://"},
           Case{"update_firmware", R"({"firmware_url":"http://x/a b"})",
                "firmware_url must not contain spaces or control characters"},
           Case{"update_firmware", R"({"firmware_url":7})",
                "firmware_url must be a string, got number"},
           Case{"update_config", "{}",
                "update_config needs at least one setting in command_payload"},
           Case{"update_config", R"({"device_id":"X"})",
                "update_config needs at least one setting"},
           Case{"reboot", "[1]", "command_payload must be a JSON object, got array"},
           Case{"reboot", "{oops", "command_payload is not valid JSON"},
           Case{"self_destruct", "{}", "unknown command_type \"self_destruct\""},
       }) {
    EXPECT_EQ(Error(c.type, c.payload).find(c.error) != std::string::npos, true)
        << c.type << " " << c.payload << " -> " << Error(c.type, c.payload);
  }
}

TEST(OutboundCommand, DeviceIdMustBeNormalised) {
  EXPECT_NE(Error("reboot", "{}", "b8:f8:62:f9:c1:c4").find("is not normalised"),
            std::string::npos);
  EXPECT_NE(Error("reboot", "{}", "B8F862F9C1C4/#").find("invalid device id"), std::string::npos);
  EXPECT_NE(Error("reboot", "{}", "").find("invalid device id"), std::string::npos);
  OutboundBody b = BuildCommandBody("reboot", "{}", "TEST-ESP32-002", kNow);
  ASSERT_TRUE(b.ok) << b.error;
  EXPECT_EQ(b.body, R"({"device_id":"TEST-ESP32-002","reboot":true})");
}

TEST(OutboundCommand, DeeplyNestedPayloadIsRefused) {
  std::string payload = R"({"a":)" + std::string(40, '[') + std::string(40, ']') + "}";
  OutboundBody b = BuildCommandBody("update_config", payload, kMac, kNow);
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.error, "command_payload nests deeper than 32 levels");
  payload = R"({"a":)" + std::string(20, '[') + std::string(20, ']') + "}";
  EXPECT_TRUE(BuildCommandBody("update_config", payload, kMac, kNow).ok);
}

TEST(OutboundCommand, TooManyMissingChunks) {
  std::string list;
  for (int i = 0; i <= 4096; ++i) list += (i ? "," : "") + std::to_string(i);
  std::string payload = R"({"image_name":"i.jpg","missing_chunks":[)" + list + "]}";
  OutboundBody b = BuildCommandBody("resend_chunks", payload, kMac, kNow);
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.error, "missing_chunks has more than 4096 entries");
}

// The sleep signal of a completed image, as docs/design.md §8 writes it (5:30PM UTC).
TEST(OutboundSleep, TheDesignExample) {
  EXPECT_EQ(
      Body("sleep", R"({"image_name":"image_3.jpg","next_wake_epoch":1795368600})"),
      R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg","ACK_OK":{"next_wake_time":"5:30PM"}})");
  Error("sleep", R"({"image_name":"image_3.jpg","next_wake_epoch":0})", "b8f862f9c1c4");
  EXPECT_EQ(Error("sleep", R"({"image_name":"../x","next_wake_epoch":0})"),
            "image_name must not start with '.'");
}
