// Unit tests of wire time parsing and formatting: capture timestamps, PostgreSQL's timestamptz
// JSON rendering, ping's ISO-8601 and the firmware's H:MMAM wake times.
#include "core/wire_time.hpp"

#include <gtest/gtest.h>

using namespace devicewake::core;

constexpr std::int64_t k20261122T1431 = 1795357860;  // 2026-11-22T14:31:00Z

TEST(WireTime, ParsesIso8601Spellings) {
  struct Case {
    const char* text;
    std::int64_t micros;
  };
  for (const Case& c :
       {Case{"2026-11-22T14:31:00+00:00", k20261122T1431 * 1000000},
        Case{"2026-11-22T14:31:00Z", k20261122T1431 * 1000000},
        Case{"2026-11-22 14:31:00", k20261122T1431 * 1000000},
        Case{"2026-11-22T14:31", k20261122T1431 * 1000000},
        Case{"2026-11-22T15:31:00+01:00", k20261122T1431 * 1000000},
        Case{"2026-11-22T09:01:00-0530", k20261122T1431 * 1000000},
        Case{"2026-11-22T14:31:00.123456+00:00", k20261122T1431 * 1000000 + 123456},
        Case{"2026-11-22T14:31:00.5Z", k20261122T1431 * 1000000 + 500000},
        Case{"2026-11-22T14:31:00.1234567Z", k20261122T1431 * 1000000 + 123456},
        Case{"1970-01-01T00:00:00Z", 0}, Case{"2024-02-29T00:00:00Z", 1709164800LL * 1000000}}) {
    auto r = ParseIso8601Micros(c.text);
    ASSERT_TRUE(r.has_value()) << c.text;
    EXPECT_EQ(*r, c.micros) << c.text;
  }
}

TEST(WireTime, RejectsMalformedIso8601) {
  for (const char* bad :
       {"", "2026-11-22", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-11-22T24:00:00Z", "2026-11-22T14:60:00Z", "2026-11-22T14:31:60Z",
        "2026-11-22T14:31:00+", "2026-11-22T14:31:00+02:", "2026-11-22T14:31:00 UTC",
        "2026-11-22T14:31:00.Z", "0000-01-01T00:00:00Z", "26-11-22T14:31:00Z",
        "2026/11/22T14:31:00Z", "2026-11-22T14:31:00+16:00"}) {
    EXPECT_FALSE(ParseIso8601Micros(bad).has_value()) << bad;
  }
}

TEST(WireTime, FieldsWithoutZeroPaddingParse) {
  constexpr std::int64_t k20251006T010427 = 1759712667;  // 2025-10-06T01:04:27Z
  constexpr std::int64_t k20260102T030405 = 1767323045;  // 2026-01-02T03:04:05Z
  struct Case {
    const char* text;
    std::int64_t seconds;
  };
  for (const Case& c : {
           // what a camera sent in its metadata
           Case{"2025-10-6T1:04:27Z", k20251006T010427},
           Case{"2025-10-06T01:04:27Z", k20251006T010427},
           Case{"2025-10-6T01:04:27Z", k20251006T010427},
           Case{"2025-10-06T1:04:27Z", k20251006T010427},
           Case{"2025-10-06T01:4:27Z", k20251006T010427},
           Case{"2026-1-2T3:4:5Z", k20260102T030405},
           Case{"2026-01-02T03:04:05Z", k20260102T030405},
           Case{"2026-1-02T03:4:05", k20260102T030405},
           Case{"2026-1-2 3:4:5+00:00", k20260102T030405},
           Case{"2026-1-2T4:4:5+01:00", k20260102T030405},
           Case{"2026-1-2T3:4", k20260102T030405 - 5},
       }) {
    auto r = ParseIso8601Micros(c.text);
    ASSERT_TRUE(r.has_value()) << c.text;
    EXPECT_EQ(*r, c.seconds * 1000000) << c.text;
    EXPECT_EQ(ParseCaptureTimeMicros(c.text), c.seconds * 1000000) << c.text;
  }
  EXPECT_EQ(ParseIso8601Micros("2026-1-2T3:4:5.25Z"), k20260102T030405 * 1000000 + 250000);
}

TEST(WireTime, UnpaddedFieldsStillRejectNonsense) {
  for (const char* bad : {
           "2025-13-6T1:04:27Z",      // month 13
           "2025-0-6T1:04:27Z",       // month 0
           "2025-10-32T1:04:27Z",     // day 32
           "2025-10-0T1:04:27Z",      // day 0
           "2025-2-29T1:04:27Z",      // not a leap year
           "2025-10-6T24:04:27Z",     // hour 24
           "2025-10-6T1:60:27Z",      // minute 60
           "2025-10-6T1:04:60Z",      // second 60
           "2025-010-6T1:04:27Z",     // three-digit month
           "2025-10-006T1:04:27Z",    // three-digit day
           "2025-10-6T001:04:27Z",    // three-digit hour
           "2025-10-6T1:004:27Z",     // three-digit minute
           "2025-10-6T1:04:027Z",     // three-digit second
           "2025--6T1:04:27Z",        // empty month
           "2025-10-T1:04:27Z",       // empty day
           "2025-10-6T:04:27Z",       // empty hour
           "2025-10-6T1::27Z",        // empty minute
           "2025-10-6T1:04:Z",        // empty second
           "25-10-6T1:04:27Z",        // two-digit year
           "2025-10-6T1:04:27+1:00",  // the offset keeps two digits
           "2025-10-6",               // no time
           "2025-1x-6T1:04:27Z",
       }) {
    EXPECT_FALSE(ParseIso8601Micros(bad).has_value()) << bad;
    EXPECT_FALSE(ParseCaptureTimeMicros(bad).has_value()) << bad;
  }
}

TEST(WireTime, CaptureTimeAcceptsEpochSecondsAndMillis) {
  EXPECT_EQ(ParseCaptureTimeMicros("1795357860"), k20261122T1431 * 1000000);
  EXPECT_EQ(ParseCaptureTimeMicros("1795357860123"), k20261122T1431 * 1000000 + 123000);
  EXPECT_EQ(ParseCaptureTimeMicros("1795357860.5"), k20261122T1431 * 1000000 + 500000);
  EXPECT_EQ(ParseCaptureTimeMicros("2026-11-22T14:31:00Z"), k20261122T1431 * 1000000);
  EXPECT_FALSE(ParseCaptureTimeMicros("").has_value());
  EXPECT_FALSE(ParseCaptureTimeMicros("-5").has_value());
  EXPECT_FALSE(ParseCaptureTimeMicros("12ab").has_value());
  EXPECT_FALSE(ParseCaptureTimeMicros(".").has_value());
  EXPECT_FALSE(ParseCaptureTimeMicros("99999999999999999").has_value());
  EXPECT_EQ(EpochCountToMicros(1795357860.0), k20261122T1431 * 1000000);
  EXPECT_FALSE(EpochCountToMicros(1e15).has_value());
  EXPECT_FALSE(EpochCountToMicros(-1).has_value());
}

TEST(WireTime, FormatsIso8601Utc) {
  EXPECT_EQ(FormatIso8601Utc(k20261122T1431), "2026-11-22T14:31:00Z");
  EXPECT_EQ(FormatIso8601Utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIso8601Utc(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatIso8601Utc(INT64_MAX), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatIso8601Utc(INT64_MIN), "0001-01-01T00:00:00Z");
}

TEST(WireTime, FormatsWakeTimesLikeTheFirmwareExpects) {
  const std::int64_t midnight = 1795305600;  // 2026-11-22T00:00:00Z
  struct Case {
    std::int64_t offset;
    const char* text;
  };
  for (const Case& c :
       {Case{0, "12:00AM"}, Case{59, "12:00AM"}, Case{5 * 60, "12:05AM"}, Case{3600, "1:00AM"},
        Case{8 * 3600 + 30 * 60, "8:30AM"}, Case{11 * 3600 + 59 * 60, "11:59AM"},
        Case{12 * 3600, "12:00PM"}, Case{12 * 3600 + 5 * 60, "12:05PM"},
        Case{14 * 3600 + 31 * 60, "2:31PM"}, Case{17 * 3600 + 30 * 60, "5:30PM"},
        Case{23 * 3600 + 59 * 60 + 59, "11:59PM"}, Case{-60, "11:59PM"}}) {
    EXPECT_EQ(FormatWakeTime(midnight + c.offset), c.text) << c.offset;
    EXPECT_TRUE(IsWakeTimeText(c.text)) << c.text;
  }
}

TEST(WireTime, RecognisesWakeTimeText) {
  for (const char* bad : {"", "0:00AM", "13:00PM", "12:60AM", "1:5AM", "01:05AM", "1:05am", "1:05",
                          "1:05AMX", "x:05AM", "123:00AM"}) {
    EXPECT_FALSE(IsWakeTimeText(bad)) << bad;
  }
}

TEST(WireTime, RoundTripsEveryMinuteOfTwoDaysThroughIso) {
  for (std::int64_t t = k20261122T1431 - 86400; t < k20261122T1431 + 86400; t += 60) {
    auto back = ParseIso8601Micros(FormatIso8601Utc(t));
    ASSERT_TRUE(back.has_value());
    ASSERT_EQ(*back, t * 1000000);
  }
}
