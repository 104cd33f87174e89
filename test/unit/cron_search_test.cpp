// Unit tests of the cron search over table-driven time zones (New York 2025, Lord Howe's
// 30-minute DST, Apia's skipped day, Kathmandu's +05:45, a rule-based US zone for far dates):
// the DST rules of docs/design.md §3 and a cost that does not grow with the distance to the match.
#include "core/cron_search.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/civil_time.hpp"

namespace dc = devicewake::core;
using dc::Transition;

namespace {

// "YYYY-MM-DD HH:MM" (UTC, or local when used as a wall time) -> seconds since the epoch.
int64_t At(const char* text) {
  int y, mo, d, h, mi;
  EXPECT_EQ(std::sscanf(text, "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi), 5) << text;
  return dc::DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

std::string Format(int64_t t) {
  dc::CivilDate date = dc::CivilFromDays(dc::FloorDiv(t, 86400));
  int64_t s = dc::FloorMod(t, 86400);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02d-%02d %02lld:%02lld",
                static_cast<long long>(date.year), date.month, date.day,
                static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
  if (s % 60)
    std::snprintf(buffer + 16, sizeof buffer - 16, ":%02lld", static_cast<long long>(s % 60));
  return buffer;
}

// A zone given by its offset before the first transition and a sorted list of transitions.
class TableZone : public dc::TimeZone {
 public:
  TableZone(int32_t initial, std::vector<Transition> transitions)
      : initial_(initial), transitions_(std::move(transitions)) {}
  int32_t OffsetAt(int64_t t) const override {
    int32_t offset = initial_;
    for (const Transition& tr : transitions_)
      if (tr.at <= t) offset = tr.offset_after;
    return offset;
  }
  std::optional<Transition> NextTransition(int64_t t) const override {
    ++calls;
    for (const Transition& tr : transitions_)
      if (tr.at > t) return tr;
    return std::nullopt;
  }
  mutable int calls = 0;

 private:
  int32_t initial_;
  std::vector<Transition> transitions_;
};

constexpr int32_t H = 3600;

TableZone NewYork2025() {
  return TableZone(
      -5 * H, {{At("2025-03-09 07:00"), -5 * H, -4 * H}, {At("2025-11-02 06:00"), -4 * H, -5 * H}});
}
// Australia/Lord_Howe: +10:30 standard, +11:00 summer time (30-minute shifts at 02:00 local).
TableZone LordHowe2025() {
  return TableZone(11 * H, {{At("2025-04-05 15:00"), 11 * H, 10 * H + 1800},
                            {At("2025-10-04 15:30"), 10 * H + 1800, 11 * H}});
}
// Pacific/Apia skipped 2011-12-30: from 23:59:59 on the 29th (-10) straight to the 31st (+14).
TableZone Apia2011() { return TableZone(-10 * H, {{At("2011-12-30 10:00"), -10 * H, 14 * H}}); }

// US rules for any year: second Sunday of March 02:00 EST -> EDT, first Sunday of November 02:00
// EDT -> EST. Counts NextTransition calls to show the search does not walk every year.
class UsEasternRules : public dc::TimeZone {
 public:
  static int64_t NthSunday(int64_t year, int month, int n) {
    int64_t first = dc::DaysFromCivil(year, month, 1);
    int64_t first_sunday = first + (7 - dc::WeekdayFromDays(first)) % 7;
    return first_sunday + 7 * (n - 1);
  }
  static int64_t Start(int64_t y) { return NthSunday(y, 3, 2) * 86400 + 7 * H; }
  static int64_t End(int64_t y) { return NthSunday(y, 11, 1) * 86400 + 6 * H; }
  int32_t OffsetAt(int64_t t) const override {
    int64_t y = dc::CivilFromDays(dc::FloorDiv(t, 86400)).year;
    return t >= Start(y) && t < End(y) ? -4 * H : -5 * H;
  }
  std::optional<Transition> NextTransition(int64_t t) const override {
    ++calls;
    int64_t y = dc::CivilFromDays(dc::FloorDiv(t, 86400)).year;
    if (t < Start(y)) return Transition{Start(y), -5 * H, -4 * H};
    if (t < End(y)) return Transition{End(y), -4 * H, -5 * H};
    return Transition{Start(y + 1), -5 * H, -4 * H};
  }
  mutable int calls = 0;
};

dc::CronSchedule Schedule(const char* expression) {
  dc::CronParseResult r = dc::ParseCron(expression);
  EXPECT_TRUE(r.ok) << r.message;
  return r.schedule;
}

std::string Next(const char* expression, const dc::TimeZone& zone, const char* t0) {
  std::optional<int64_t> at = dc::NextFireTime(Schedule(expression), zone, At(t0));
  return at ? Format(*at) : "never";
}

std::vector<std::string> Series(const char* expression, const dc::TimeZone& zone, const char* t0,
                                int n) {
  std::vector<std::string> out;
  for (int64_t t : dc::NextFireTimes(Schedule(expression), zone, At(t0), n))
    out.push_back(Format(t));
  return out;
}

const dc::FixedOffsetZone kUtc(0);

}  // namespace

TEST(CronSearch, SeedExampleNextSlotNotLastWakePlusInterval) {
  EXPECT_EQ(Next("0 6 * * *", kUtc, "2025-06-10 14:31"), "2025-06-11 06:00");
  EXPECT_EQ(Next("0 6 * * *", kUtc, "2025-06-10 05:59"), "2025-06-10 06:00");
}

TEST(CronSearch, StrictlyAfterT0) {
  EXPECT_EQ(Next("0 6 * * *", kUtc, "2025-06-10 06:00"), "2025-06-11 06:00");
  EXPECT_EQ(Next("* * * * *", kUtc, "2025-06-10 06:00"), "2025-06-10 06:01");
  // t0 with seconds: the next whole minute
  EXPECT_EQ(Format(*dc::NextFireTime(Schedule("* * * * *"), kUtc, At("2025-06-10 06:00") + 59)),
            "2025-06-10 06:01");
}

TEST(CronSearch, StepsRollOverHoursDaysMonthsYears) {
  EXPECT_EQ(Series("*/20 * * * *", kUtc, "2025-12-31 23:30", 3),
            (std::vector<std::string>{"2025-12-31 23:40", "2026-01-01 00:00", "2026-01-01 00:20"}));
  EXPECT_EQ(Next("0 0 31 * *", kUtc, "2025-04-01 00:00"), "2025-05-31 00:00");
  EXPECT_EQ(Next("0 0 L * *", kUtc, "2025-02-01 00:00"), "2025-02-28 00:00");
  EXPECT_EQ(Next("0 0 L * *", kUtc, "2024-02-01 00:00"), "2024-02-29 00:00");
  EXPECT_EQ(Next("@yearly", kUtc, "2025-01-01 00:00"), "2026-01-01 00:00");
  EXPECT_EQ(Next("0 12 * * 5#3", kUtc, "2025-06-01 00:00"), "2025-06-20 12:00");
  EXPECT_EQ(Next("0 12 * * 0L", kUtc, "2025-06-01 00:00"), "2025-06-29 12:00");
  EXPECT_EQ(Next("0 9 13 * 5", kUtc, "2025-06-01 00:00"),
            "2025-06-06 09:00");  // Friday OR the 13th
  EXPECT_EQ(Next("0 9 13 * 5", kUtc, "2025-06-12 00:00"), "2025-06-13 09:00");
  EXPECT_EQ(Next("0 9 */13 * 5", kUtc, "2025-06-01 00:00"),
            "2025-06-27 09:00");  // AND: 27th is a Friday
}

TEST(CronSearch, LeapDayAcrossCenturies) {
  EXPECT_EQ(Next("0 0 29 2 *", kUtc, "2025-01-01 00:00"), "2028-02-29 00:00");
  EXPECT_EQ(Next("0 0 29 2 *", kUtc, "2096-03-01 00:00"), "2104-02-29 00:00");
  EXPECT_EQ(Next("0 0 * 2 5#5", kUtc, "2025-01-01 00:00"), "2036-02-29 00:00");
  EXPECT_EQ(Next("0 0 30 2 *", kUtc, "2025-01-01 00:00"), "never");
}

TEST(CronSearch, NewYorkGapReadsSkippedWallTimeWithThePreviousOffset) {
  TableZone ny = NewYork2025();
  // 02:30 does not exist on 2025-03-09: read as 02:30 EST = 07:30 UTC (PostgreSQL's AT TIME ZONE)
  EXPECT_EQ(Series("30 2 * * *", ny, "2025-03-08 12:00", 3),
            (std::vector<std::string>{"2025-03-09 07:30", "2025-03-10 06:30", "2025-03-11 06:30"}));
  // t0 inside the interval the skipped times land in
  EXPECT_EQ(Next("30 2 * * *", ny, "2025-03-09 07:10"), "2025-03-09 07:30");
  // a wildcard schedule keeps its rhythm without duplicates
  EXPECT_EQ(Series("*/30 * * * *", ny, "2025-03-09 06:00", 5),
            (std::vector<std::string>{"2025-03-09 06:30", "2025-03-09 07:00", "2025-03-09 07:30",
                                      "2025-03-09 08:00", "2025-03-09 08:30"}));
  EXPECT_EQ(Next("0 3 * * *", ny, "2025-03-08 12:00"), "2025-03-09 07:00");
}

TEST(CronSearch, NewYorkOverlapFiresOnceAtTheFirstOccurrence) {
  TableZone ny = NewYork2025();
  // 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST): fire at the first only
  EXPECT_EQ(Series("30 1 * * *", ny, "2025-11-01 12:00", 2),
            (std::vector<std::string>{"2025-11-02 05:30", "2025-11-03 06:30"}));
  EXPECT_EQ(Next("30 1 * * *", ny, "2025-11-02 05:45"), "2025-11-03 06:30");
  EXPECT_EQ(Next("0 2 * * *", ny, "2025-11-01 12:00"), "2025-11-02 07:00");
  EXPECT_EQ(Next("59 0 * * *", ny, "2025-11-01 12:00"), "2025-11-02 04:59");
}

TEST(CronSearch, NewYorkOverlapWildcardFiresInBothOccurrences) {
  TableZone ny = NewYork2025();
  EXPECT_EQ(Series("30 * * * *", ny, "2025-11-02 04:00", 4),
            (std::vector<std::string>{"2025-11-02 04:30", "2025-11-02 05:30", "2025-11-02 06:30",
                                      "2025-11-02 07:30"}));
  EXPECT_EQ(Series("*/30 1 * * *", ny, "2025-11-02 04:00", 5),
            (std::vector<std::string>{"2025-11-02 05:00", "2025-11-02 05:30", "2025-11-02 06:00",
                                      "2025-11-02 06:30", "2025-11-03 06:00"}));
  EXPECT_EQ(Next("*/30 1 * * *", ny, "2025-11-02 05:45"), "2025-11-02 06:00");
}

TEST(CronSearch, LordHoweThirtyMinuteShifts) {
  TableZone lh = LordHowe2025();
  // spring forward 02:00 -> 02:30 on 2025-10-05: 02:15 read with +10:30 = 15:45 UTC on the 4th
  EXPECT_EQ(Next("15 2 * * *", lh, "2025-10-04 12:00"), "2025-10-04 15:45");
  EXPECT_EQ(Next("45 2 * * *", lh, "2025-10-04 12:00"), "2025-10-04 15:45");  // exists: 02:45 +11
  EXPECT_EQ(Series("*/15 * * * *", lh, "2025-10-04 15:00", 4),
            (std::vector<std::string>{"2025-10-04 15:15", "2025-10-04 15:30", "2025-10-04 15:45",
                                      "2025-10-04 16:00"}));
  // fall back 02:00 -> 01:30 on 2025-04-06: 01:45 first at 14:45 UTC (+11), not again at 15:15
  EXPECT_EQ(Series("45 1 * * *", lh, "2025-04-05 12:00", 2),
            (std::vector<std::string>{"2025-04-05 14:45", "2025-04-06 15:15"}));
  EXPECT_EQ(Series("45 * * * *", lh, "2025-04-05 13:00", 3),
            (std::vector<std::string>{"2025-04-05 13:45", "2025-04-05 14:45", "2025-04-05 15:15"}));
}

TEST(CronSearch, ApiaSkippedDay) {
  TableZone apia = Apia2011();
  // 2011-12-30 never existed in Apia: its 06:00 is read with -10 = 16:00 UTC, which is also
  // 2011-12-31 06:00 +14; the next is 2012-01-01 06:00 +14
  EXPECT_EQ(Series("0 6 * * *", apia, "2011-12-29 00:00", 3),
            (std::vector<std::string>{"2011-12-29 16:00", "2011-12-30 16:00", "2011-12-31 16:00"}));
  EXPECT_EQ(Next("0 6 30 12 *", apia, "2011-12-01 00:00"), "2011-12-30 16:00");
  EXPECT_EQ(Next("0 23 29 12 *", apia, "2011-12-01 00:00"), "2011-12-30 09:00");
  EXPECT_EQ(Next("0 0 31 12 *", apia, "2011-12-30 09:00"), "2011-12-30 10:00");
  EXPECT_EQ(Next("0 12 * * *", apia, "2011-12-30 12:00"), "2011-12-30 22:00");
}

TEST(CronSearch, KathmanduQuarterHourOffset) {
  dc::FixedOffsetZone kathmandu(5 * H + 45 * 60);
  EXPECT_EQ(Next("0 6 * * *", kathmandu, "2025-06-10 12:00"), "2025-06-11 00:15");
  EXPECT_EQ(Next("0 * * * *", kathmandu, "2025-06-10 12:00"), "2025-06-10 12:15");
}

TEST(CronSearch, OffsetsWithSecondsGiveInstantsWithSeconds) {
  dc::FixedOffsetZone lmt(-(4 * H + 56 * 60 + 2));  // New York local mean time
  EXPECT_EQ(Next("0 12 * * *", lmt, "1880-06-10 00:00"), "1880-06-10 16:56:02");
}

TEST(CronSearch, FarFutureRulesStillApply) {
  UsEasternRules us;
  EXPECT_EQ(Next("30 2 * * *", us, "2100-03-13 12:00"), "2100-03-14 07:30");  // gap day in 2100
  EXPECT_EQ(Next("30 1 * * *", us, "2100-11-07 05:45"), "2100-11-08 06:30");  // overlap 2100-11-07
}

TEST(CronSearch, CostDoesNotGrowWithDistance) {
  UsEasternRules hourly_zone;
  UsEasternRules leap_zone;
  dc::NextFireTime(Schedule("0 * * * *"), hourly_zone, At("2025-03-01 00:00"));
  std::optional<int64_t> leap =
      dc::NextFireTime(Schedule("0 0 29 2 *"), leap_zone, At("2025-03-01 00:00"));
  EXPECT_EQ(Format(*leap), "2028-02-29 05:00");
  EXPECT_LE(leap_zone.calls, hourly_zone.calls + 3);
  UsEasternRules yearly_zone;
  dc::NextFireTime(Schedule("0 0 29 2 1"), yearly_zone,
                   At("2025-03-01 00:00"));  // OR rule: Mondays
  EXPECT_LE(yearly_zone.calls, 3);
}

TEST(CronSearch, PreviewReturnsCountTimes) {
  EXPECT_EQ(dc::NextFireTimes(Schedule("0 6 * * *"), kUtc, At("2025-06-10 14:31"), 1000).size(),
            1000u);
  EXPECT_TRUE(dc::NextFireTimes(Schedule("0 0 30 2 *"), kUtc, 0, 5).empty());
  EXPECT_TRUE(dc::NextFireTimes(Schedule("0 6 * * *"), kUtc, 0, 0).empty());
}
