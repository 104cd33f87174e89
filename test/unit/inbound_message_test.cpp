// Unit tests of inbound message parsing with the firmware's real messages (docs/design.md §8):
// every message kind, every field-name variant, curly quotes, and every rejection reason.
#include "core/inbound_message.hpp"

#include <gtest/gtest.h>

#include "core/base64.hpp"

using namespace devicewake::core;

namespace {

constexpr const char* kMac = "B8F862F9C1C4";

InboundMessage Parse(InboundKind kind, const std::string& payload,
                     const InboundLimits& limits = {}) {
  return ParseInbound(kind, kMac, payload, limits);
}

template <typename T>
T Expect(const InboundMessage& m) {
  if (const Rejected* r = std::get_if<Rejected>(&m)) ADD_FAILURE() << "rejected: " << r->reason;
  EXPECT_TRUE(std::holds_alternative<T>(m)) << "got " << InboundMessageName(m);
  return std::holds_alternative<T>(m) ? std::get<T>(m) : T{};
}

std::string JpegBase64() { return EncodeBase64(std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10)); }

}  // namespace

// ------------------------------------------------------------------------------------ HELLO

TEST(InboundHello, TheDesignExample) {
  Hello h = Expect<Hello>(Parse(InboundKind::kStatus,
                                R"({"device_id":"B8F862F9C1C4","status":"Alive","pendingImg":2,)"
                                R"("pending_list":["image_1.jpg","image_2.jpg"]})"));
  EXPECT_EQ(h.device_id, kMac);
  EXPECT_EQ(h.status, "Alive");
  EXPECT_EQ(h.pending_count, 2);
  EXPECT_EQ(h.pending_list, (std::vector<std::string>{"image_1.jpg", "image_2.jpg"}));
  EXPECT_FALSE(h.firmware_version || h.hardware_version || h.wifi_rssi || h.battery_voltage);
  EXPECT_NE(h.body_json.find("\"pendingImg\":2"), std::string::npos) << h.body_json;
}

TEST(InboundHello, PendingCountSynonymColonsAndOptionalFields) {
  Hello h = Expect<Hello>(
      Parse(InboundKind::kStatus,
            R"({"device_id":"b8:f8:62:f9:c1:c4","status":"Alive","pending_count":1,)"
            R"("pending_list":["image_7.jpg"],"firmware_version":"1.4.2",)"
            R"("hardware_version":"ESP32-CAM-MB","wifi_rssi":-67,"battery_voltage":3.92})"));
  EXPECT_EQ(h.pending_count, 1);
  EXPECT_EQ(h.firmware_version.value_or(""), "1.4.2");
  EXPECT_EQ(h.hardware_version.value_or(""), "ESP32-CAM-MB");
  EXPECT_EQ(h.wifi_rssi.value_or(0), -67);
  EXPECT_DOUBLE_EQ(h.battery_voltage.value_or(0), 3.92);
}

TEST(InboundHello, MinimalAndDerivedCounts) {
  Hello h = Expect<Hello>(Parse(InboundKind::kStatus, R"({"status":"Alive"})"));
  EXPECT_EQ(h.pending_count, 0);
  EXPECT_TRUE(h.pending_list.empty());
  h = Expect<Hello>(Parse(InboundKind::kStatus,
                          R"({"pending_list":["a.jpg","b.jpg","c.jpg"],"wifi_rssi":-70.6})"));
  EXPECT_EQ(h.pending_count, 3);
  EXPECT_EQ(h.wifi_rssi.value_or(0), -71);
  h = Expect<Hello>(Parse(InboundKind::kStatus, R"({"status":"Alive","pendingImg":null})"));
  EXPECT_EQ(h.pending_count, 0);
}

// ------------------------------------------------------------------------------------ METADATA

TEST(InboundMetadata, EveryFieldNameVariant) {
  struct Case {
    const char* payload;
  };
  const char* variants[] = {
      R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg","image_size":70144,)"
      R"("timestamp":"2026-11-22T14:31:00Z","max_chunks_size":1024,"total_chunk_count":69,"error":0,)"
      R"("temperature":21.5,"humidity":48.2,"pressure":1013.2,"gas_resistance":120.5})",
      R"({"device_id":"B8:F8:62:F9:C1:C4","image_name":"image_3.jpg","image_size":70144,)"
      R"("capture_timestamp":"2026-11-22T14:31:00Z","max_chunk_size":1024,"total_chunks_count":69,"error":0,)"
      R"("sensor_data":{"temperature":21.5,"humidity":48.2,"pressure":1013.2,"gas_resistance":120.5}})",
      R"({"image_name":"image_3.jpg","image_size":70144,"capture_timeStamp":"2026-11-22T14:31:00Z",)"
      R"("max_chunk_size":1024,"total_chunk_count":69,)"
      R"("sensor_data":{"temperature":21.5,"humidity":48.2},"pressure":1013.2,"gas_resistance":120.5})",
  };
  for (const char* payload : variants) {
    Metadata m = Expect<Metadata>(Parse(InboundKind::kData, payload));
    EXPECT_EQ(m.device_id, kMac) << payload;
    EXPECT_EQ(m.image_name, "image_3.jpg");
    EXPECT_EQ(m.image_size.value_or(0), 70144);
    EXPECT_EQ(m.captured_at_micros.value_or(0), 1795357860LL * 1000000);
    EXPECT_EQ(m.total_chunks, 69);
    EXPECT_EQ(m.error, 0);
    for (const char* reading : {"\"temperature\":21.5", "\"humidity\":48.2", "\"pressure\":1013.2"})
      EXPECT_NE(m.sensor_json.find(reading), std::string::npos) << m.sensor_json;
    EXPECT_NE(m.sensor_json.find("\"temperature\":21.5"), std::string::npos) << m.sensor_json;
    EXPECT_NE(m.sensor_json.find("\"gas_resistance\":120.5"), std::string::npos) << m.sensor_json;
    EXPECT_NE(m.body_json.find("\"image_name\":\"image_3.jpg\""), std::string::npos);
  }
}

TEST(InboundMetadata, CaptureTimeFormsAndUnusedFieldsKeptInTheBody) {
  // location, image_id, battery and RSSI are not used by the server: kept in the body only, and
  // never a reason to refuse an image
  Metadata m = Expect<Metadata>(Parse(
      InboundKind::kData,
      R"({"image_name":"image_4.jpg","total_chunk_count":3,"timestamp":1795357860123,)"
      R"("location":{"lat":52.1,"lon":-1.2},"image_id":[17],"battery_voltage":"3.7","wifi_rssi":-555})"));
  EXPECT_EQ(m.captured_at_micros.value_or(0), 1795357860123000);
  EXPECT_NE(m.body_json.find(R"("location":{"lat":52.1,"lon":-1.2})"), std::string::npos);
  EXPECT_FALSE(m.image_size.has_value());
  EXPECT_EQ(m.sensor_json, "{}");

  m = Expect<Metadata>(
      Parse(InboundKind::kData,
            R"({"image_name":"image_4.jpg","total_chunk_count":3,"timestamp":"boot+12s"})"));
  EXPECT_FALSE(m.captured_at_micros.has_value());  // kept as sent in the body, not parsed

  m = Expect<Metadata>(
      Parse(InboundKind::kData,
            R"({"image_name":"image_4.jpg","total_chunk_count":3,"timestamp":"1795357860"})"));
  EXPECT_EQ(m.captured_at_micros.value_or(0), 1795357860LL * 1000000);

  // A camera's real metadata: the capture time without zero padding.
  m = Expect<Metadata>(Parse(InboundKind::kData,
                             R"({"image_name":"image_4.jpg","total_chunk_count":3,)"
                             R"("capture_timestamp":"2025-10-6T1:04:27Z"})"));
  EXPECT_EQ(m.captured_at_micros.value_or(0), 1759712667LL * 1000000);  // 2025-10-06T01:04:27Z
}

TEST(InboundMetadata, CameraErrorAllowsZeroChunks) {
  Metadata m = Expect<Metadata>(
      Parse(InboundKind::kData,
            R"({"image_name":"image_5.jpg","image_size":0,"total_chunk_count":0,"error":3})"));
  EXPECT_EQ(m.error, 3);
  EXPECT_EQ(m.total_chunks, 0);
  EXPECT_EQ(m.image_size.value_or(-1), 0);
}

// ------------------------------------------------------------------------------------ CHUNK

TEST(InboundChunk, TheDesignExample) {
  std::string payload = R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg","chunk_id":0,)"
                        R"("max_chunk_size":1024,"payload":")" +
                        JpegBase64() + R"("})";
  Chunk c = Expect<Chunk>(Parse(InboundKind::kData, payload));
  EXPECT_EQ(c.image_name, "image_3.jpg");
  EXPECT_EQ(c.chunk_id, 0);
  EXPECT_EQ(c.max_chunk_size.value_or(0), 1024);
  EXPECT_FALSE(c.total_chunks.has_value());
  EXPECT_EQ(c.bytes, std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10));
}

TEST(InboundChunk, SynonymsAndTotals) {
  Chunk c = Expect<Chunk>(Parse(
      InboundKind::kData, R"({"image_name":"image_3.jpg","chunk_id":68,)"
                          R"("max_chunks_size":1024,"total_chunks_count":69,"payload":"/9k="})"));
  EXPECT_EQ(c.chunk_id, 68);
  EXPECT_EQ(c.total_chunks.value_or(0), 69);
  EXPECT_EQ(c.bytes, "\xFF\xD9");
  c = Expect<Chunk>(
      Parse(InboundKind::kData, R"({"image_name":"image_3.jpg","chunk_id":3.0,"payload":"/9k"})"));
  EXPECT_EQ(c.chunk_id, 3);
}

// ------------------------------------------------------------------------------------ TELEMETRY

TEST(InboundTelemetry, FlatNestedAndBatteryOnly) {
  Telemetry t = Expect<Telemetry>(Parse(
      InboundKind::kData,
      R"({"device_id":"B8F862F9C1C4","temperature":19.25,"humidity":55,"battery_voltage":3.61,"wifi_rssi":-80})"));
  EXPECT_DOUBLE_EQ(t.sensors.temperature.value_or(0), 19.25);
  EXPECT_DOUBLE_EQ(t.sensors.humidity.value_or(0), 55);
  EXPECT_DOUBLE_EQ(t.battery_voltage.value_or(0), 3.61);
  EXPECT_EQ(t.wifi_rssi.value_or(0), -80);
  EXPECT_NE(t.telemetry_json.find("\"temperature\":19.25"), std::string::npos);
  t = Expect<Telemetry>(
      Parse(InboundKind::kData, R"({"sensor_data":{"pressure":1001.5,"gas_resistance":88}})"));
  EXPECT_DOUBLE_EQ(t.sensors.pressure.value_or(0), 1001.5);
  EXPECT_DOUBLE_EQ(t.sensors.gas_resistance.value_or(0), 88);
  t = Expect<Telemetry>(Parse(InboundKind::kData, R"({"battery_voltage":3.3})"));
  EXPECT_TRUE(t.sensors.Empty());
}

// ------------------------------------------------------------------------------------ RSSI

TEST(InboundRssi, DecimalRssiIsRoundedInHelloAndTelemetry) {
  struct Case {
    const char* rssi;
    std::int64_t rounded;
  };
  for (const Case& c :
       {Case{"-61.4", -61}, Case{"-61.5", -62}, Case{"-61.6", -62}, Case{"-61", -61},
        Case{"-61.0", -61}, Case{"-0.4", 0}, Case{"-60.49", -60}, Case{"-1e1", -10}}) {
    const std::string rssi = std::string(R"("wifi_rssi":)") + c.rssi;
    Hello h = Expect<Hello>(
        Parse(InboundKind::kStatus, R"({"status":"Alive","pendingImg":0,)" + rssi + "}"));
    EXPECT_EQ(h.wifi_rssi.value_or(99), c.rounded) << c.rssi;
    Telemetry t = Expect<Telemetry>(Parse(InboundKind::kData, "{" + rssi + "}"));
    EXPECT_EQ(t.wifi_rssi.value_or(99), c.rounded) << c.rssi;
    t = Expect<Telemetry>(Parse(InboundKind::kData, R"({"temperature":20.5,)" + rssi + "}"));
    EXPECT_EQ(t.wifi_rssi.value_or(99), c.rounded) << c.rssi;
  }
}

// ------------------------------------------------------------------------------------ limits
// The one set of reading limits (kMinRssiDbm..kMaxRssiDbm, kMinBatteryVolts..kMaxBatteryVolts,
// kMaxVersionLength), at their boundaries: a HELLO ignores a bad field and goes on (the field is
// named in ignored), telemetry is rejected.

std::string FieldOf(const std::string& name, const std::string& value) {
  return "{\"" + name + "\":" + value + "}";
}

const IgnoredField* IgnoredNamed(const Hello& h, const std::string& field) {
  for (const IgnoredField& i : h.ignored)
    if (i.field == field) return &i;
  return nullptr;
}

TEST(InboundLimitsAtTheBoundary, HelloRssi) {
  for (const char* ok : {"-200", "-200.0", "100", "99.9", "-199.6"}) {
    Hello h = Expect<Hello>(Parse(InboundKind::kStatus, FieldOf("wifi_rssi", ok)));
    EXPECT_TRUE(h.wifi_rssi.has_value()) << ok;
    EXPECT_TRUE(h.ignored.empty()) << ok;
  }
  EXPECT_EQ(Expect<Hello>(Parse(InboundKind::kStatus, FieldOf("wifi_rssi", "-200"))).wifi_rssi,
            -200);
  EXPECT_EQ(Expect<Hello>(Parse(InboundKind::kStatus, FieldOf("wifi_rssi", "100"))).wifi_rssi, 100);
  for (const char* bad :
       {"-200.01", "100.01", "-201", "101", "1000", "-1000", "\"-61\"", "true", "[1]", "1e400"}) {
    InboundMessage m = Parse(InboundKind::kStatus, FieldOf("wifi_rssi", bad));
    if (std::string(bad) == "1e400") {  // not JSON a camera can send: the message is refused
      EXPECT_TRUE(std::holds_alternative<Rejected>(m));
      continue;
    }
    Hello h = Expect<Hello>(m);
    EXPECT_FALSE(h.wifi_rssi.has_value()) << bad;
    const IgnoredField* i = IgnoredNamed(h, "wifi_rssi");
    ASSERT_NE(i, nullptr) << bad;
    EXPECT_EQ(i->reason, "expected a number of dBm between -200 and 100");
    EXPECT_EQ(i->value_json, bad);
  }
}

TEST(InboundLimitsAtTheBoundary, HelloBattery) {
  for (const char* ok : {"0", "0.0", "100", "3.912", "99.999"}) {
    Hello h = Expect<Hello>(Parse(InboundKind::kStatus, FieldOf("battery_voltage", ok)));
    EXPECT_TRUE(h.battery_voltage.has_value()) << ok;
    EXPECT_TRUE(h.ignored.empty()) << ok;
  }
  for (const char* bad : {"-0.001", "100.001", "1000000", "\"3.7\"", "null"}) {
    Hello h = Expect<Hello>(Parse(InboundKind::kStatus, FieldOf("battery_voltage", bad)));
    EXPECT_FALSE(h.battery_voltage.has_value()) << bad;
    if (std::string(bad) == "null") {  // null is absent, not bad
      EXPECT_TRUE(h.ignored.empty());
      continue;
    }
    const IgnoredField* i = IgnoredNamed(h, "battery_voltage");
    ASSERT_NE(i, nullptr) << bad;
    EXPECT_EQ(i->reason, "expected a number of volts between 0 and 100");
  }
}

TEST(InboundLimitsAtTheBoundary, HelloVersionsCountCharacters) {
  const std::string e_acute = "\xC3\xA9";  // two bytes, one character
  std::string sixty_four_accents;
  for (int i = 0; i < 64; ++i) sixty_four_accents += e_acute;
  for (const char* field : {"firmware_version", "hardware_version"}) {
    for (const std::string& ok : {std::string(1, 'v'), std::string(64, 'v'), sixty_four_accents}) {
      Hello h = Expect<Hello>(Parse(InboundKind::kStatus, FieldOf(field, "\"" + ok + "\"")));
      const std::optional<std::string>& got =
          std::string(field) == "firmware_version" ? h.firmware_version : h.hardware_version;
      EXPECT_EQ(got.value_or("-"), ok) << field << " " << ok.size() << " bytes";
      EXPECT_TRUE(h.ignored.empty());
    }
    for (const std::string& bad :
         {std::string("\"\""), "\"" + std::string(65, 'v') + "\"",
          "\"" + sixty_four_accents + "v\"", std::string("42"), std::string("\"a\\u0001b\"")}) {
      Hello h = Expect<Hello>(Parse(InboundKind::kStatus, FieldOf(field, bad)));
      EXPECT_FALSE(h.firmware_version || h.hardware_version) << field << " " << bad;
      const IgnoredField* i = IgnoredNamed(h, field);
      ASSERT_NE(i, nullptr) << field << " " << bad;
      EXPECT_EQ(i->reason, "expected a string of 1 to 64 characters");
    }
  }
}

TEST(InboundLimitsAtTheBoundary, HelloPendingFieldsAndTheRestStillCount) {
  Hello h = Expect<Hello>(
      Parse(InboundKind::kStatus,
            R"({"status":"Alive","pending_count":"two","pending_list":["image_3.jpg",7,"","../x"],)"
            R"("firmware_version":"1.4.2","wifi_rssi":-300})"));
  EXPECT_EQ(h.pending_list, std::vector<std::string>{"image_3.jpg"});
  EXPECT_EQ(h.pending_count, 1);  // the list's size when the count is unusable
  EXPECT_EQ(h.firmware_version.value_or(""), "1.4.2");
  std::vector<std::string> fields;
  for (const IgnoredField& i : h.ignored) fields.push_back(i.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"pending_list", "pending_list", "pending_list",
                                              "pending_count", "wifi_rssi"}));
  EXPECT_EQ(IgnoredNamed(h, "pending_count")->reason, "expected a whole number from 0 to 65536");
  for (const char* ok : {"0", "65536", "3.0"}) {
    EXPECT_TRUE(
        Expect<Hello>(Parse(InboundKind::kStatus, FieldOf("pendingImg", ok))).ignored.empty())
        << ok;
  }
  for (const char* bad : {"-1", "65537", "2.5"}) {
    EXPECT_NE(IgnoredNamed(Expect<Hello>(Parse(InboundKind::kStatus, FieldOf("pendingImg", bad))),
                           "pendingImg"),
              nullptr)
        << bad;
  }
  std::string list = "[";
  for (int i = 0; i < 257; ++i)
    list += std::string(i ? "," : "") + "\"image_" + std::to_string(i) + ".jpg\"";
  h = Expect<Hello>(Parse(InboundKind::kStatus, FieldOf("pending_list", list + "]")));
  EXPECT_TRUE(h.pending_list.empty());
  EXPECT_EQ(IgnoredNamed(h, "pending_list")->reason, "expected at most 256 image names");
  EXPECT_EQ(
      IgnoredFieldsJson(h.ignored),
      R"([{"field":"pending_list","reason":"expected at most 256 image names","value":257}])");
}

TEST(InboundLimitsAtTheBoundary, TelemetryIsRejectedOutsideTheSameLimits) {
  for (const char* ok : {R"({"wifi_rssi":-200})", R"({"wifi_rssi":100})",
                         R"({"battery_voltage":0})", R"({"battery_voltage":100})"}) {
    Expect<Telemetry>(Parse(InboundKind::kData, ok));
  }
  struct Case {
    const char* body;
    const char* reason;
  };
  for (const Case& c :
       {Case{R"({"wifi_rssi":-200.5})", "wifi_rssi: expected a number of dBm between -200 and 100"},
        Case{R"({"wifi_rssi":100.5})", "wifi_rssi: expected a number of dBm between -200 and 100"},
        Case{R"({"wifi_rssi":"-61.4"})",
             "wifi_rssi: expected a number of dBm between -200 and 100"},
        Case{R"({"battery_voltage":100.001})",
             "battery_voltage: expected a number of volts between 0 and 100"},
        Case{R"({"battery_voltage":-1})",
             "battery_voltage: expected a number of volts between 0 and 100"},
        Case{R"({"battery_voltage":1e6})",
             "battery_voltage: expected a number of volts between 0 and 100"}}) {
    InboundMessage m = Parse(InboundKind::kData, c.body);
    const Rejected* r = std::get_if<Rejected>(&m);
    ASSERT_NE(r, nullptr) << c.body;
    EXPECT_EQ(r->reason, c.reason) << c.body;
  }
}

TEST(InboundHelloBody, TheSqlEntryNotesWhatMqttRejects) {
  // record_device_hello's path: a body that is not an object, or names another device, is noted
  Hello h = Expect<Hello>(ParseHelloBody(kMac, "[1,2]"));
  EXPECT_EQ(h.body_json, R"({"raw":[1,2]})");
  ASSERT_FALSE(h.ignored.empty());
  EXPECT_EQ(h.ignored[0].field, "(payload)");
  EXPECT_EQ(h.ignored[0].reason, "not a JSON object");
  h = Expect<Hello>(ParseHelloBody(kMac, R"({"device_id":"B8F862000102","wifi_rssi":-61.4})"));
  EXPECT_EQ(h.wifi_rssi.value_or(0), -61);
  ASSERT_NE(IgnoredNamed(h, "device_id"), nullptr);
  EXPECT_EQ(IgnoredNamed(h, "device_id")->reason, "does not name the device of the topic");
  h = Expect<Hello>(ParseHelloBody(kMac, R"({"device_id":"b8:f8:62:f9:c1:c4"})"));
  EXPECT_TRUE(h.ignored.empty());
  std::string deep(40, '[');
  deep += std::string(40, ']');
  EXPECT_TRUE(std::holds_alternative<Rejected>(ParseHelloBody(kMac, deep)));
  // the same body over MQTT is refused as a whole: a message naming another device is not applied
  EXPECT_TRUE(std::holds_alternative<Rejected>(
      Parse(InboundKind::kStatus, R"({"device_id":"B8F862000102"})")));
}

// ------------------------------------------------------------------------------------ ACK

TEST(InboundAck, WithAndWithoutCommandId) {
  CommandAck a = Expect<CommandAck>(
      Parse(InboundKind::kAck, R"({"device_id":"B8F862F9C1C4","command_ack":"acknowledged"})"));
  EXPECT_EQ(a.device_id, kMac);
  EXPECT_FALSE(a.command_id.has_value());
  a = Expect<CommandAck>(Parse(InboundKind::kAck,
                               R"({"device_id":"B8:F8:62:F9:C1:C4","command_ack":"acknowledged",)"
                               R"("command_id":"6F9619FF-8B86-D011-B42D-00C04FC964FF"})"));
  EXPECT_EQ(a.command_id.value_or(""), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
}

TEST(InboundAck, ObjectFormWithCommandIdAndStatus) {
  CommandAck a = Expect<CommandAck>(Parse(InboundKind::kAck,
                                          R"({"device_id":"B8F862F9C1C4","command_ack":)"
                                          R"({"command_id":"6F9619FF-8B86-D011-B42D-00C04FC964FF",)"
                                          R"("status":"acknowledged"}})"));
  EXPECT_EQ(a.device_id, kMac);
  EXPECT_EQ(a.command_id.value_or(""), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
}

TEST(InboundAck, ObjectFormAcceptsEveryStatusWordInAnyCase) {
  for (const char* status :
       {"acknowledged", "ack", "ok", "success", "done", "completed", "received", "ACKNOWLEDGED",
        "Ok", "SUCCESS", "Done", "Completed", "RECEIVED", "aCk"}) {
    std::string payload = std::string(R"({"command_ack":{"status":")") + status + R"("}})";
    CommandAck a = Expect<CommandAck>(Parse(InboundKind::kAck, payload));
    EXPECT_FALSE(a.command_id.has_value()) << status;
  }
}

TEST(InboundAck, ObjectFormFieldsAreOptional) {
  // Without command_id the oldest sent command is acknowledged, as with the string form.
  CommandAck a = Expect<CommandAck>(Parse(InboundKind::kAck, R"({"command_ack":{}})"));
  EXPECT_FALSE(a.command_id.has_value());
  a = Expect<CommandAck>(
      Parse(InboundKind::kAck,
            R"({"command_ack":{"command_id":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}})"));
  EXPECT_EQ(a.command_id.value_or(""), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
  a = Expect<CommandAck>(
      Parse(InboundKind::kAck, R"({"command_ack":{"status":"ok","command_id":null,"seq":4}})"));
  EXPECT_FALSE(a.command_id.has_value());
}

TEST(InboundAck, TopLevelCommandIdWithTheObjectForm) {
  // Only at the top level.
  CommandAck a = Expect<CommandAck>(
      Parse(InboundKind::kAck, R"({"command_ack":{"status":"done"},)"
                               R"("command_id":"6F9619FF-8B86-D011-B42D-00C04FC964FF"})"));
  EXPECT_EQ(a.command_id.value_or(""), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
  // In both places and equal (case does not matter).
  a = Expect<CommandAck>(Parse(
      InboundKind::kAck, R"({"command_ack":{"command_id":"6f9619ff-8b86-d011-b42d-00c04fc964ff"},)"
                         R"("command_id":"6F9619FF-8B86-D011-B42D-00C04FC964FF"})"));
  EXPECT_EQ(a.command_id.value_or(""), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
}

TEST(InboundAck, ObjectFormRejections) {
  struct Case {
    const char* payload;
    const char* reason;
  };
  for (const Case& c : {
           Case{R"({"command_ack":{"status":"rejected"}})",
                "command_ack.status \"rejected\" is not an acknowledgement (expected "
                "acknowledged, ack, ok, success, done, completed or received)"},
           Case{R"({"command_ack":{"status":"failed","command_id":"6f9619ff-8b86-d011-b42d-)"
                R"(00c04fc964ff"}})",
                "command_ack.status \"failed\" is not an acknowledgement"},
           Case{R"({"command_ack":{"status":""}})", "command_ack.status \"\" is not an"},
           Case{R"({"command_ack":{"status":true}})",
                "command_ack.status must be a string, got boolean"},
           Case{R"({"command_ack":{"command_id":"42"}})",
                "command_ack.command_id \"42\" is not a UUID"},
           Case{R"({"command_ack":{"command_id":7}})",
                "command_ack.command_id must be a string, got number"},
           Case{R"({"command_ack":{"command_id":"6f9619ff-8b86-d011-b42d-00c04fc964ff"},)"
                R"("command_id":"6f9619ff-8b86-d011-b42d-00c04fc96400"})",
                "command_ack.command_id \"6f9619ff-8b86-d011-b42d-00c04fc964ff\" does not match "
                "command_id \"6f9619ff-8b86-d011-b42d-00c04fc96400\""},
           Case{R"({"command_ack":{"status":"ok"},"command_id":"nope"})",
                "command_id \"nope\" is not a UUID"},
           Case{R"({"command_ack":[1]})", "command_ack must be a string or an object, got array"},
           Case{R"({"command_ack":5})", "command_ack must be a string or an object, got number"},
       }) {
    InboundMessage m = Parse(InboundKind::kAck, c.payload);
    const Rejected* r = std::get_if<Rejected>(&m);
    ASSERT_NE(r, nullptr) << c.payload << " was accepted as " << InboundMessageName(m);
    EXPECT_NE(r->reason.find(c.reason), std::string::npos)
        << c.payload << "\n  reason: " << r->reason << "\n  wanted: " << c.reason;
  }
}

TEST(InboundAck, TheServersOwnMessagesAreEchoesNotErrors) {
  auto m = Parse(
      InboundKind::kAck,
      R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg","ACK_OK":{"next_wake_time":"5:30PM"}})");
  ASSERT_TRUE(std::holds_alternative<ServerEcho>(m)) << InboundMessageName(m);
  EXPECT_EQ(std::get<ServerEcho>(m).what, "ACK_OK");
  m = Parse(InboundKind::kAck,
            R"({"device_id":"B8F862F9C1C4","image_name":"image_3.jpg","missing_chunks":[5,10]})");
  ASSERT_TRUE(std::holds_alternative<ServerEcho>(m));
  EXPECT_EQ(std::get<ServerEcho>(m).what, "missing_chunks");
}

// ------------------------------------------------------------------------------------ curly quotes

TEST(InboundCurlyQuotes, DoubleCurlyQuotesAsDelimiters) {
  Hello h = Expect<Hello>(Parse(InboundKind::kStatus,
                                "{\xE2\x80\x9C"
                                "device_id\xE2\x80\x9D:\xE2\x80\x9C"
                                "B8F862F9C1C4\xE2\x80\x9D,"
                                "\xE2\x80\x9Cstatus\xE2\x80\x9D:\xE2\x80\x9C"
                                "Alive\xE2\x80\x9D,"
                                "\xE2\x80\x9CpendingImg\xE2\x80\x9D:0}"));
  EXPECT_EQ(h.status, "Alive");
}

TEST(InboundCurlyQuotes, SingleCurlyQuotesAndMixedPairs) {
  CommandAck a = Expect<CommandAck>(Parse(InboundKind::kAck,
                                          "{\xE2\x80\x98"
                                          "device_id\xE2\x80\x99:\"B8F862F9C1C4\","
                                          "\xE2\x80\x9D"
                                          "command_ack\":\xE2\x80\x9C"
                                          "acknowledged\xE2\x80\x9C}"));
  EXPECT_EQ(a.device_id, kMac);
}

TEST(InboundCurlyQuotes, CurlyQuotesInsideAsciiStringsAreKept) {
  Hello h =
      Expect<Hello>(Parse(InboundKind::kStatus, "{\"status\":\"say \xE2\x80\x9Chi\xE2\x80\x9D\"}"));
  EXPECT_EQ(h.status, "say \xE2\x80\x9Chi\xE2\x80\x9D");
}

// ------------------------------------------------------------------------------------ rejections

struct RejectCase {
  InboundKind kind;
  std::string payload;
  std::string reason;  // a substring of the reason
};

TEST(InboundRejected, EveryReason) {
  const std::string chunk_head = R"({"image_name":"image_3.jpg","payload":"/9j/",)";
  const std::vector<RejectCase> cases = {
      {InboundKind::kStatus, "", "payload is empty"},
      {InboundKind::kStatus, "   ", "payload is not valid JSON"},
      {InboundKind::kStatus, "{\"status\":\"Al", "payload is not valid JSON"},
      {InboundKind::kStatus, "{\"status\":\"Alive\"} trailing", "payload is not valid JSON"},
      {InboundKind::kStatus, "\xFF\xFE{}", "payload is not valid UTF-8 (byte 0xff at offset 0)"},
      {InboundKind::kStatus, "{\"status\":\"\xC3\"}", "bad continuation byte"},
      {InboundKind::kStatus, "{\"status\":\"\xED\xA0\x80\"}", "surrogate"},
      {InboundKind::kStatus, "{\"status\":\"\xC0\xAF\"}", "byte 0xc0"},
      {InboundKind::kStatus, "[1,2]", "payload must be a JSON object, got array"},
      {InboundKind::kStatus, "\"Alive\"", "payload must be a JSON object, got string"},
      {InboundKind::kStatus, "null", "payload must be a JSON object, got null"},
      {InboundKind::kStatus, std::string(40, '[') + std::string(40, ']'),
       "nests deeper than 16 levels"},
      {InboundKind::kStatus, R"({"device_id":"AABBCCDDEEFF","status":"Alive"})",
       "device_id in payload does not match topic"},
      {InboundKind::kData, R"({"device_id":"B8F862F9C1C5","temperature":1})",
       "device_id in payload does not match topic"},
      {InboundKind::kAck, R"({"device_id":"nonsense","command_ack":"acknowledged"})",
       "invalid device_id \"nonsense\" in payload"},
      {InboundKind::kStatus, R"({"device_id":42})", "device_id must be a string, got number"},
      {InboundKind::kStatus, R"({"battery_voltage":1e400})",
       "payload is not valid JSON (a number is out of range)"},
      // metadata
      {InboundKind::kData, R"({"image_name":"image_3.jpg","total_chunk_count":1000000000})",
       "total_chunk_count must be an integer between 1 and 65536, got 1000000000"},
      {InboundKind::kData, R"({"image_name":"image_3.jpg","total_chunks_count":0})",
       "total_chunks_count must be an integer between 1 and 65536, got 0"},
      {InboundKind::kData, R"({"image_name":"image_3.jpg","total_chunk_count":"69"})",
       "total_chunk_count must be an integer, got string"},
      {InboundKind::kData,
       R"({"image_name":"image_3.jpg","total_chunk_count":18446744073709551615})",
       "got 18446744073709551615"},
      {InboundKind::kData, R"({"total_chunk_count":69})", "image_name is missing"},
      {InboundKind::kData, R"({"image_name":"","total_chunk_count":69})",
       "image_name must not be empty"},
      {InboundKind::kData,
       R"({"image_name":")" + std::string(201, 'x') + R"(","total_chunk_count":69})",
       "image_name is 201 bytes long, more than the limit of 200"},
      {InboundKind::kData, R"({"image_name":"a\nb","total_chunk_count":69})",
       "image_name contains a control character"},
      {InboundKind::kData, "{\"image_name\":\"caf\xC3\xA9.jpg\",\"total_chunk_count\":69}",
       "control or non-ASCII byte"},
      {InboundKind::kData, R"({"image_name":"a\\b.jpg","total_chunk_count":69})",
       "forbidden character '\\'"},
      {InboundKind::kData, R"({"image_name":7,"total_chunk_count":69})",
       "image_name must be a string, got number"},
      {InboundKind::kData,
       R"({"image_name":"i.jpg","total_chunk_count":69,"image_size":99999999999})",
       "image_size must be an integer between 0 and 16777216"},
      {InboundKind::kData,
       R"({"image_name":"i.jpg","total_chunk_count":69,"max_chunk_size":100000})",
       "max_chunk_size must be an integer between 1 and 16384"},
      {InboundKind::kData,
       R"({"image_name":"i.jpg","total_chunk_count":2,"max_chunk_size":1024,"image_size":5000})",
       "image_size 5000 does not fit in 2 chunks of 1024 bytes"},
      {InboundKind::kData, R"({"image_name":"i.jpg","total_chunk_count":2,"error":"none"})",
       "error must be an integer, got string"},
      {InboundKind::kData, R"({"image_name":"i.jpg","total_chunk_count":2,"timestamp":true})",
       "timestamp must be a string or a number, got boolean"},
      {InboundKind::kData, R"({"image_name":"i.jpg","total_chunk_count":2,"sensor_data":[1]})",
       "sensor_data must be an object, got array"},
      {InboundKind::kData, R"({"image_name":"i.jpg","total_chunk_count":2,"temperature":"hot"})",
       "temperature must be a number, got string"},
      {InboundKind::kData,
       R"({"image_name":"i.jpg","total_chunk_count":2,"sensor_data":{"humidity":null,"pressure":"x"}})",
       "pressure must be a number, got string"},
      // chunks
      {InboundKind::kData, chunk_head + R"("chunk_id":-1})",
       "chunk_id must be an integer between 0 and 65535, got -1"},
      {InboundKind::kData, chunk_head + R"("chunk_id":1.5})",
       "chunk_id must be an integer, got 1.5"},
      {InboundKind::kData, chunk_head + R"("chunk_id":"3"})",
       "chunk_id must be an integer, got string"},
      {InboundKind::kData, chunk_head + R"("chunk_id":1e300})",
       "chunk_id must be an integer between 0 and 65535, got 1e+300"},
      {InboundKind::kData, chunk_head + R"("chunk_id":65536})",
       "chunk_id must be an integer between 0 and 65535, got 65536"},
      {InboundKind::kData, chunk_head + R"("chunk_id":69,"total_chunk_count":69})",
       "chunk_id 69 is out of range for 69 chunks"},
      {InboundKind::kData, R"({"image_name":"image_3.jpg","chunk_id":0})", "payload is missing"},
      {InboundKind::kData, R"({"image_name":"image_3.jpg","chunk_id":0,"payload":42})",
       "payload must be a base64 string, got number"},
      {InboundKind::kData, R"({"image_name":"image_3.jpg","chunk_id":0,"payload":"not base64!"})",
       "payload: base64 has an invalid character at offset 3"},
      {InboundKind::kData, R"({"image_name":"image_3.jpg","chunk_id":0,"payload":""})",
       "payload is empty"},
      {InboundKind::kData,
       R"({"image_name":"image_3.jpg","chunk_id":0,"max_chunk_size":2,"payload":"/9j/"})",
       "payload: base64 decodes to 3 bytes, more than the limit of 2"},
      {InboundKind::kData, R"({"chunk_id":0,"payload":"/9j/"})", "image_name is missing"},
      // data without a recognisable shape
      {InboundKind::kData, R"({"image_name":"image_3.jpg","image_size":100})",
       "data message has image fields but neither chunk_id nor a chunk count"},
      {InboundKind::kData, R"({"payload":"/9j/"})", "data message has image fields"},
      {InboundKind::kData, R"({"device_id":"B8F862F9C1C4"})", "data message is neither metadata"},
      {InboundKind::kData, R"({})", "data message is neither metadata"},
      // acks
      {InboundKind::kAck, R"({"device_id":"B8F862F9C1C4"})", "ack message has no command_ack"},
      {InboundKind::kAck, R"({"command_ack":true})",
       "command_ack must be a string or an object, got boolean"},
      {InboundKind::kAck, R"({"command_ack":"rejected"})",
       "command_ack must be \"acknowledged\", got \"rejected\""},
      {InboundKind::kAck, R"({"command_ack":"acknowledged","command_id":"42"})",
       "command_id \"42\" is not a UUID"},
      {InboundKind::kAck, R"({"command_ack":"acknowledged","command_id":7})",
       "command_id must be a string, got number"},
  };
  for (const RejectCase& c : cases) {
    InboundMessage m = Parse(c.kind, c.payload);
    const Rejected* r = std::get_if<Rejected>(&m);
    ASSERT_NE(r, nullptr) << c.payload << " was accepted as " << InboundMessageName(m);
    EXPECT_NE(r->reason.find(c.reason), std::string::npos)
        << c.payload << "\n  reason: " << r->reason << "\n  wanted: " << c.reason;
  }
}

TEST(InboundRejected, OversizedPayloadAndCustomLimits) {
  InboundLimits small;
  small.max_payload_bytes = 64;
  auto m = Parse(InboundKind::kStatus, R"({"status":")" + std::string(100, 'a') + R"("})", small);
  ASSERT_TRUE(std::holds_alternative<Rejected>(m));
  EXPECT_EQ(std::get<Rejected>(m).reason, "payload is 113 bytes, more than the limit of 64");
  auto big = Parse(InboundKind::kStatus, std::string(300 * 1024, ' '));
  ASSERT_TRUE(std::holds_alternative<Rejected>(big));
  EXPECT_NE(std::get<Rejected>(big).reason.find("more than the limit of 262144"),
            std::string::npos);
  InboundLimits few;
  few.max_chunks_per_image = 10;
  m = Parse(InboundKind::kData, R"({"image_name":"image_3.jpg","chunk_id":10,"payload":"/9j/"})",
            few);
  ASSERT_TRUE(std::holds_alternative<Rejected>(m));
  EXPECT_NE(std::get<Rejected>(m).reason.find("between 0 and 9, got 10"), std::string::npos);
}

TEST(InboundRejected, DeviceIdFromTopicMustBeNormalised) {
  auto m = ParseInbound(InboundKind::kStatus, "b8:f8:62:f9:c1:c4", R"({"status":"Alive"})");
  ASSERT_TRUE(std::holds_alternative<Rejected>(m));
  EXPECT_EQ(std::get<Rejected>(m).reason, "device id from the topic is not normalised");
}

TEST(InboundHello, BadOptionalFieldsAreIgnoredWithTheirReasonNotRejected) {
  struct Case {
    std::string body;
    const char* field;
    std::string reason;
  };
  const Case cases[] = {
      {R"({"status":5})", "status", "expected a string of at most 256 characters"},
      {R"({"status":"a\u0001b"})", "status", "expected a string of at most 256 characters"},
      {R"({"pendingImg":"2"})", "pendingImg", "expected a whole number from 0 to 65536"},
      {R"({"pending_count":-1})", "pending_count", "expected a whole number from 0 to 65536"},
      {R"({"pendingImg":1.5})", "pendingImg", "expected a whole number from 0 to 65536"},
      {R"({"pending_list":"image_1.jpg"})", "pending_list", "expected an array of image names"},
      {R"({"pending_list":[1]})", "pending_list", "expected an image name (a string)"},
      {R"({"pending_list":["../etc/passwd"]})", "pending_list",
       "image_name must not start with '.'"},
      {R"({"battery_voltage":"3.7"})", "battery_voltage",
       "expected a number of volts between 0 and 100"},
      {R"({"wifi_rssi":-5000})", "wifi_rssi", "expected a number of dBm between -200 and 100"},
      {R"({"firmware_version":")" + std::string(300, 'v') + R"("})", "firmware_version",
       "expected a string of 1 to 64 characters"},
  };
  for (const Case& c : cases) {
    Hello h = Expect<Hello>(Parse(InboundKind::kStatus, c.body));
    ASSERT_EQ(h.ignored.size(), 1u) << c.body;
    EXPECT_EQ(h.ignored[0].field, c.field) << c.body;
    EXPECT_NE(h.ignored[0].reason.find(c.reason), std::string::npos)
        << c.body << ": " << h.ignored[0].reason;
  }
  Hello h = Expect<Hello>(Parse(InboundKind::kStatus, R"({"pending_list":["a/b.jpg"]})"));
  ASSERT_EQ(h.ignored.size(), 1u);
  EXPECT_NE(h.ignored[0].reason.find("forbidden character '/'"), std::string::npos);
}

// A chunk's long payload is cut out before JSON parsing (CutTopLevelString). Whatever the cut,
// the outcome is the one of parsing the whole text: the same message with one character of its
// device_id written as a \u escape (no cut: the text has a backslash) gives the same result, and
// a rejection the same reason, byte offset included (from the whole text).
TEST(InboundChunk, TheLongPayloadCutChangesNothing) {
  std::string bytes(1024, '\0');
  for (int i = 0; i < 1024; ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  const std::string b64 = EncodeBase64(bytes);
  const std::string mac = kMac, escaped = mac.substr(0, 11) + "\\u0034";  // '4'
  auto body = [&](const std::string& id, const std::string& tail) {
    return "{\"device_id\":\"" + id + "\",\"image_name\":\"image_1.jpg\",\"chunk_id\":3," +
           "\"max_chunk_size\":1024,\"payload\":\"" + b64 + "\"" + tail + "}";
  };
  for (const std::string& tail :
       {std::string(), std::string(",\"total_chunk_count\":2"), std::string(",\"chunk_id\":9"),
        std::string(",\"extra\":[1,{}]")}) {
    InboundMessage cut = Parse(InboundKind::kData, body(mac, tail));
    InboundMessage whole = Parse(InboundKind::kData, body(escaped, tail));
    ASSERT_EQ(cut.index(), whole.index()) << tail;
    if (const Chunk* c = std::get_if<Chunk>(&cut)) {
      const Chunk& w = std::get<Chunk>(whole);
      EXPECT_EQ(c->bytes, bytes);
      EXPECT_EQ(c->bytes, w.bytes);
      EXPECT_EQ(c->chunk_id, w.chunk_id);
      EXPECT_EQ(c->image_name, w.image_name);
    } else {
      EXPECT_EQ(std::get<Rejected>(cut).reason, std::get<Rejected>(whole).reason) << tail;
    }
  }
  // invalid JSON after the payload: the byte offset is the whole text's
  std::string broken = body(mac, ",\"x\":}");
  std::size_t at = broken.find(":}") + 2;
  EXPECT_EQ(std::get<Rejected>(Parse(InboundKind::kData, broken)).reason,
            "payload is not valid JSON (at byte " + std::to_string(at) + ")");
  // a second payload key: the last one counts, as without the cut
  std::string twice = body(mac, ",\"payload\":\"" + JpegBase64() + "\"");
  EXPECT_EQ(Expect<Chunk>(Parse(InboundKind::kData, twice)).bytes,
            std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10));
}
