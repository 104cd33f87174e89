// Server -> device bodies: the firmware's exact field names and the H:MMAM wake-time format.
#include "core/outbound_message.hpp"

#include <gtest/gtest.h>

using namespace devicewake::core;

namespace {
constexpr std::int64_t k20261122_1431 = 1795357860;  // 2026-11-22T14:31:00Z
std::string Body(const char* type, const char* payload, std::int64_t now = 0) {
  OutboundBody b = BuildCommandBody(type, payload, "B8F862F9C1C4", now);
  EXPECT_TRUE(b.ok) << type << ": " << b.error;
  return b.body;
}
}  // namespace

TEST(WakeTime, HoursNotPaddedMinutesTwoDigits) {
  EXPECT_EQ(FormatWakeTime(k20261122_1431), "2:31PM");
  EXPECT_EQ(FormatWakeTime(0), "12:00AM");
  EXPECT_EQ(FormatWakeTime(8 * 3600 + 30 * 60), "8:30AM");
  EXPECT_EQ(FormatWakeTime(12 * 3600 + 5 * 60), "12:05PM");
  EXPECT_EQ(FormatWakeTime(23 * 3600 + 59 * 60 + 59), "11:59PM");
  EXPECT_EQ(FormatWakeTime(-60), "11:59PM");
}

TEST(Timestamp, ParsesPostgresAndIsoSpellings) {
  std::int64_t t = 0;
  ASSERT_TRUE(ParseTimestampSeconds("2026-11-22T14:31:00+00:00", &t));
  EXPECT_EQ(t, k20261122_1431);
  ASSERT_TRUE(ParseTimestampSeconds("2026-11-22 20:16:00.123456+05:45", &t));
  EXPECT_EQ(t, k20261122_1431);
  ASSERT_TRUE(ParseTimestampSeconds("2026-11-22T14:31:00Z", &t));
  EXPECT_EQ(t, k20261122_1431);
  ASSERT_TRUE(ParseTimestampSeconds("2026-11-22T09:31-05", &t));
  EXPECT_EQ(t, k20261122_1431);
  for (const char* bad : {"", "2026-11-22", "2026-13-01T00:00Z", "2026-11-22T14:31:00", "tomorrow",
                          "2026-11-22T14:31:00+00:00junk"}) {
    EXPECT_FALSE(ParseTimestampSeconds(bad, &t)) << bad;
  }
  EXPECT_EQ(FormatIso8601Utc(k20261122_1431), "2026-11-22T14:31:00Z");
}

TEST(CommandBody, EveryTypeInTheFirmwaresWords) {
  EXPECT_EQ(Body("set_wake_schedule", R"({"next_wake_time":"2026-11-22T14:31:00+00:00","manual_wake":true})"),
            R"({"device_id":"B8F862F9C1C4","next_wake":"2:31PM"})");
  EXPECT_EQ(Body("capture_image", "{}"), R"({"capture_image":true,"device_id":"B8F862F9C1C4"})");
  EXPECT_EQ(Body("send_image", R"({"image_name":"image_3.jpg"})"),
            R"({"device_id":"B8F862F9C1C4","send_image":"image_3.jpg"})");
  EXPECT_EQ(Body("retry_image", R"({"image_id":"x","image_name":"image_1.jpg","total_chunks":4,"missing_chunks":[3]})"),
            R"({"device_id":"B8F862F9C1C4","send_image":"image_1.jpg"})");
  EXPECT_EQ(Body("resend_chunks", R"({"image_name":"a.jpg","missing_chunks":[5,10,23]})"),
            R"({"device_id":"B8F862F9C1C4","image_name":"a.jpg","missing_chunks":[5,10,23]})");
  EXPECT_EQ(Body("reboot", "{}"), R"({"device_id":"B8F862F9C1C4","reboot":true})");
  EXPECT_EQ(Body("update_firmware", R"({"firmware_url":"https://fw/1.2.bin"})"),
            R"({"device_id":"B8F862F9C1C4","firmware_url":"https://fw/1.2.bin"})");
  EXPECT_EQ(Body("ping", "{}", k20261122_1431),
            R"({"device_id":"B8F862F9C1C4","ping":true,"timestamp":"2026-11-22T14:31:00Z"})");
}

TEST(CommandBody, UpdateConfigCannotOverrideDeviceId) {
  EXPECT_EQ(Body("update_config", R"({"frame_size":"UXGA","device_id":"OTHER/+/#"})"),
            R"({"device_id":"B8F862F9C1C4","frame_size":"UXGA"})");
}

TEST(CommandBody, PayloadsTheirTypeCannotCarryAreErrors) {
  struct Case {
    const char* type;
    const char* payload;
    const char* error_part;
  };
  for (const Case& c : {Case{"send_image", "{}", "needs image_name"},
                        Case{"send_image", R"({"image_name":7})", "needs image_name"},
                        Case{"set_wake_schedule", "{}", "needs next_wake_time"},
                        Case{"set_wake_schedule", R"({"next_wake_time":"soon"})", "not an ISO-8601"},
                        Case{"resend_chunks", R"({"image_name":"a.jpg","missing_chunks":[]})", "non-empty"},
                        Case{"resend_chunks", R"({"image_name":"a.jpg","missing_chunks":[-1]})", "indexes"},
                        Case{"update_firmware", "{}", "firmware_url"},
                        Case{"update_config", "{}", "at least one"},
                        Case{"self_destruct", "{}", "unknown command type"},
                        Case{"ping", "[1,2]", "JSON object"},
                        Case{"ping", "{not json", "not valid JSON"}}) {
    OutboundBody b = BuildCommandBody(c.type, c.payload, "B8F862F9C1C4", 0);
    EXPECT_FALSE(b.ok) << c.type << " " << c.payload;
    EXPECT_NE(b.error.find(c.error_part), std::string::npos) << b.error;
  }
}

TEST(AckOk, CarriesTheNextWakeTime) {
  EXPECT_EQ(BuildAckOk("B8F862F9C1C4", "image_2.jpg", 17 * 3600 + 30 * 60),
            R"({"ACK_OK":{"next_wake_time":"5:30PM"},"device_id":"B8F862F9C1C4","image_name":"image_2.jpg"})");
}
