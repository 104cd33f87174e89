// Unit tests of device identifier normalisation: the only source of MQTT topic segments.
#include "core/device_id.hpp"

#include <gtest/gtest.h>

using devicewake::core::NormalizeDeviceId;

TEST(DeviceId, NormalisesMacSpellings) {
  for (const char* in : {"B8F862F9C1C4", "b8f862f9c1c4", "B8:F8:62:F9:C1:C4", "b8-f8-62-f9-c1-c4",
                         "b8f8.62f9.c1c4"}) {
    auto r = NormalizeDeviceId(in);
    ASSERT_TRUE(r.ok) << in << ": " << r.error;
    EXPECT_EQ(r.value, "B8F862F9C1C4") << in;
  }
}

TEST(DeviceId, KeepsPrefixedIdentifiersAsGiven) {
  EXPECT_EQ(NormalizeDeviceId("TEST-ESP32-002").value, "TEST-ESP32-002");
  EXPECT_EQ(NormalizeDeviceId("VIRTUAL:cam_1").value, "VIRTUAL:cam_1");
  EXPECT_EQ(NormalizeDeviceId("SYSTEM:sweeper").value, "SYSTEM:sweeper");
}

TEST(DeviceId, RejectsWrongLengthsAndDigits) {
  EXPECT_FALSE(NormalizeDeviceId("").ok);
  EXPECT_FALSE(NormalizeDeviceId("B8F862F9C1").ok);
  EXPECT_FALSE(NormalizeDeviceId("B8F862F9C1C4AA").ok);
  auto r = NormalizeDeviceId("B8F862F9C1CZ");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("hexadecimal"), std::string::npos);
  EXPECT_FALSE(NormalizeDeviceId(std::string(65, 'A')).ok);
}

TEST(DeviceId, NeverAcceptsTopicSeparatorsOrWildcards) {
  for (const char* in : {"TEST-a/b", "TEST-+", "TEST-#", "VIRTUAL:x/y", "B8F8/62F9C1C4",
                         "B8F862F9C1C4/#", "TEST-a b", "TEST-\n", "TEST-", "SYSTEM:"}) {
    EXPECT_FALSE(NormalizeDeviceId(in).ok) << in;
  }
}

TEST(DeviceId, PrintableExcerptHidesControlBytesAndCuts) {
  using devicewake::core::PrintableExcerpt;
  EXPECT_EQ(PrintableExcerpt("ab\ncd\xff"), "ab?cd?");
  EXPECT_EQ(PrintableExcerpt(std::string(100, 'x'), 5), "xxxxx...");
}
