// Unit tests of the cron expression parser and validator: the whole dialect of docs/design.md §3
// and every error, which must name the field and the offending text.
#include "core/cron_schedule.hpp"

#include <gtest/gtest.h>

using devicewake::core::CronParseResult;
using devicewake::core::CronSchedule;
using devicewake::core::ParseCron;
using devicewake::core::ValidateCron;

namespace {

CronSchedule Parsed(const char* expression) {
  CronParseResult r = ParseCron(expression);
  EXPECT_TRUE(r.ok) << expression << ": " << r.message;
  return r.schedule;
}

uint64_t Bits(std::initializer_list<int> values) {
  uint64_t b = 0;
  for (int v : values) b |= uint64_t{1} << v;
  return b;
}

}  // namespace

TEST(CronParser, PlainValuesRangesStepsAndLists) {
  CronSchedule s = Parsed("5,10-12,*/20 0-23/6 1,15 */3 1-5");
  EXPECT_EQ(s.minutes, Bits({0, 5, 10, 11, 12, 20, 40}));
  EXPECT_EQ(s.hours, Bits({0, 6, 12, 18}));
  EXPECT_EQ(s.days_of_month, Bits({1, 15}));
  EXPECT_EQ(s.months, Bits({1, 4, 7, 10}));
  EXPECT_EQ(s.days_of_week, Bits({1, 2, 3, 4, 5}));
  EXPECT_FALSE(s.dom_star);
  EXPECT_FALSE(s.dow_star);
  EXPECT_FALSE(s.wildcard);
}

TEST(CronParser, StartWithStepRunsToTheFieldMaximum) {
  EXPECT_EQ(Parsed("50/3 * * * *").minutes, Bits({50, 53, 56, 59}));
  EXPECT_EQ(Parsed("0 20/2 * * *").hours, Bits({20, 22}));
  EXPECT_EQ(Parsed("0 0 * 10/1 *").months, Bits({10, 11, 12}));
}

TEST(CronParser, NamesAreCaseInsensitiveAndSevenIsSunday) {
  CronSchedule s = Parsed("0 0 * jan-MAR,Dec mon-fri");
  EXPECT_EQ(s.months, Bits({1, 2, 3, 12}));
  EXPECT_EQ(s.days_of_week, Bits({1, 2, 3, 4, 5}));
  EXPECT_EQ(Parsed("0 0 * * 7").days_of_week, Bits({0}));
  EXPECT_EQ(Parsed("0 0 * * 0").days_of_week, Bits({0}));
  EXPECT_EQ(Parsed("0 0 * * 5-7").days_of_week, Bits({5, 6, 0}));
  EXPECT_EQ(Parsed("0 0 * * sun,SAT").days_of_week, Bits({0, 6}));
}

TEST(CronParser, LastDayLastWeekdayAndNthWeekday) {
  CronSchedule s = Parsed("0 0 L * *");
  EXPECT_TRUE(s.last_day_of_month);
  EXPECT_EQ(s.days_of_month, 0u);
  s = Parsed("0 0 1,l * *");
  EXPECT_TRUE(s.last_day_of_month);
  EXPECT_EQ(s.days_of_month, Bits({1}));
  s = Parsed("0 0 * * 5L,7l");
  EXPECT_EQ(s.last_weekdays, Bits({5, 0}));
  s = Parsed("0 0 * * 1#2,fri#5");
  EXPECT_EQ(s.nth_weekdays[1], Bits({2}));
  EXPECT_EQ(s.nth_weekdays[5], Bits({5}));
}

TEST(CronParser, MacrosExpand) {
  struct Case {
    const char* macro;
    const char* expansion;
  } cases[] = {{"@yearly", "0 0 1 1 *"}, {"@ANNUALLY", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
               {"@weekly", "0 0 * * 0"}, {"@Daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
               {"@hourly", "0 * * * *"}};
  for (const Case& c : cases) {
    CronSchedule a = Parsed(c.macro);
    CronSchedule b = Parsed(c.expansion);
    EXPECT_EQ(a.minutes, b.minutes) << c.macro;
    EXPECT_EQ(a.hours, b.hours) << c.macro;
    EXPECT_EQ(a.days_of_month, b.days_of_month) << c.macro;
    EXPECT_EQ(a.months, b.months) << c.macro;
    EXPECT_EQ(a.days_of_week, b.days_of_week) << c.macro;
    EXPECT_EQ(a.wildcard, b.wildcard) << c.macro;
  }
  EXPECT_TRUE(Parsed("@hourly").wildcard);
}

TEST(CronParser, StarFlagsFollowTheFirstCharacter) {
  CronSchedule s = Parsed("*/5 3 */2 * *");
  EXPECT_TRUE(s.wildcard);
  EXPECT_TRUE(s.dom_star);
  EXPECT_TRUE(s.dow_star);
  s = Parsed("0 * 1 * *");
  EXPECT_TRUE(s.wildcard);
  s = Parsed("0 0 1-31 * 0-7");
  EXPECT_FALSE(s.dom_star);
  EXPECT_FALSE(s.dow_star);
}

TEST(CronParser, BlanksAroundAndBetweenFieldsAreIgnored) {
  EXPECT_TRUE(ParseCron("  0\t6  * *   * \n").ok);
}

TEST(CronParser, ErrorsNameTheFieldAndTheOffendingText) {
  struct Case {
    const char* expression;
    const char* field;
    const char* message;
  } cases[] = {
      {"", "expression", "invalid cron expression \"\": expected 5 fields, found 0"},
      {"* * * *", "expression", "invalid cron expression \"* * * *\": expected 5 fields, found 4"},
      {"0 0 * * * *", "expression",
       "invalid cron expression \"0 0 * * * *\": expected 5 fields, found 6"},
      {"@reboot", "expression", "invalid cron expression: unknown macro \"@reboot\""},
      {"60 * * * *", "minute",
       "invalid cron expression: minute field \"60\": 60 is out of range 0-59"},
      {"0 24 * * *", "hour", "invalid cron expression: hour field \"24\": 24 is out of range 0-23"},
      {"0 0 0 * *", "day-of-month",
       "invalid cron expression: day-of-month field \"0\": 0 is out of range 1-31"},
      {"0 0 32 * *", "day-of-month",
       "invalid cron expression: day-of-month field \"32\": 32 is out of range 1-31"},
      {"0 0 * 13 *", "month",
       "invalid cron expression: month field \"13\": 13 is out of range 1-12"},
      {"0 0 * * 8", "day-of-week",
       "invalid cron expression: day-of-week field \"8\": 8 is out of range 0-7"},
      {"x * * * *", "minute", "invalid cron expression: minute field \"X\": \"X\" is not a number"},
      {"0 0 * FOO *", "month",
       "invalid cron expression: month field \"FOO\": \"FOO\" is not a month (1-12 or JAN-DEC)"},
      {"0 0 * * FUN", "day-of-week",
       "invalid cron expression: day-of-week field \"FUN\": \"FUN\" is not a weekday (0-7 or "
       "SUN-SAT)"},
      {"5-1 * * * *", "minute",
       "invalid cron expression: minute field \"5-1\": range 5-1 runs backwards"},
      {"*/0 * * * *", "minute",
       "invalid cron expression: minute field \"*/0\": step 0 is out of range 1-60"},
      {"*/ * * * *", "minute",
       "invalid cron expression: minute field \"*/\": the step after '/' is missing"},
      {"*/x * * * *", "minute",
       "invalid cron expression: minute field \"*/X\": step \"X\" is not a number"},
      {"1,,2 * * * *", "minute",
       "invalid cron expression: minute field \"1,,2\": the list has an empty item"},
      {"0 0 * * 1#6", "day-of-week",
       "invalid cron expression: day-of-week field \"1#6\": the occurrence after '#' must be 1-5"},
      {"0 0 * * 1#", "day-of-week",
       "invalid cron expression: day-of-week field \"1#\": the occurrence after '#' must be 1-5"},
      {"0 0 LW * *", "day-of-month",
       "invalid cron expression: day-of-month field \"LW\": \"LW\" is not a number"},
      {"0 0 15W * *", "day-of-month",
       "invalid cron expression: day-of-month field \"15W\": \"15W\" is not a number"},
      {"0 0 ? * *", "day-of-month",
       "invalid cron expression: day-of-month field \"?\": \"?\" is not a number"},
      {"0 0 * * L", "day-of-week",
       "invalid cron expression: day-of-week field \"L\": \"L\" is not a weekday (0-7 or SUN-SAT)"},
      {"0 L * * *", "hour", "invalid cron expression: hour field \"L\": \"L\" is not a number"},
      {"0 0 * * 8L", "day-of-week",
       "invalid cron expression: day-of-week field \"8L\": 8 is out of range 0-7"},
      {"-1 * * * *", "minute", "invalid cron expression: minute field \"-1\": a value is missing"},
  };
  for (const Case& c : cases) {
    CronParseResult r = ParseCron(c.expression);
    EXPECT_FALSE(r.ok) << c.expression;
    EXPECT_EQ(r.field, c.field) << c.expression;
    EXPECT_EQ(r.message, c.message) << c.expression;
  }
}

TEST(CronValidator, RejectsExpressionsThatCanNeverFire) {
  for (const char* never : {"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 FEB *", "0 0 30,31 2 *"}) {
    CronParseResult r = ValidateCron(never);
    EXPECT_FALSE(r.ok) << never;
    EXPECT_EQ(r.field, "day-of-month") << never;
  }
  EXPECT_EQ(ValidateCron("0 0 30 2 *").message,
            "invalid cron expression: day-of-month \"30\" never occurs in month \"2\"");
  for (const char* fires :
       {"0 0 29 2 *", "0 0 * 2 5#5", "0 0 31 * *", "0 0 30 2 1", "0 0 L 2 *", "0 0 * 2 0L"}) {
    EXPECT_TRUE(ValidateCron(fires).ok) << fires;
  }
  EXPECT_FALSE(ParseCron("0 0 30 2 *").schedule.can_fire);
  EXPECT_TRUE(ParseCron("0 0 30 2 *").ok);  // parses; only the validator refuses it
}

TEST(CronSchedule, DayMaskCombinesDayFieldsWithVixieRule) {
  // March 2024: the 1st is a Friday; 31 days.
  auto days = [](uint32_t mask) {
    std::vector<int> out;
    for (int d = 1; d <= 31; ++d)
      if (mask & (1u << d)) out.push_back(d);
    return out;
  };
  EXPECT_EQ(days(Parsed("0 0 13 * 5").DayMask(2024, 3)), (std::vector<int>{1, 8, 13, 15, 22, 29}));
  EXPECT_EQ(days(Parsed("0 0 */2 * 5").DayMask(2024, 3)), (std::vector<int>{1, 15, 29}));
  EXPECT_EQ(days(Parsed("0 0 13 * *").DayMask(2024, 3)), (std::vector<int>{13}));
  EXPECT_EQ(days(Parsed("0 0 * * 5").DayMask(2024, 3)), (std::vector<int>{1, 8, 15, 22, 29}));
  EXPECT_EQ(days(Parsed("0 0 L * *").DayMask(2024, 2)), (std::vector<int>{29}));
  EXPECT_EQ(days(Parsed("0 0 L * *").DayMask(2023, 2)), (std::vector<int>{28}));
  EXPECT_EQ(days(Parsed("0 0 * * 5L").DayMask(2024, 3)), (std::vector<int>{29}));
  EXPECT_EQ(days(Parsed("0 0 * * 0L").DayMask(2024, 3)), (std::vector<int>{31}));
  EXPECT_EQ(days(Parsed("0 0 * * 5#5").DayMask(2024, 3)), (std::vector<int>{29}));
  EXPECT_EQ(days(Parsed("0 0 * * 4#5").DayMask(2024, 3)), (std::vector<int>{}));
  EXPECT_EQ(days(Parsed("0 0 * * 1#1,1#3").DayMask(2024, 3)), (std::vector<int>{4, 18}));
  EXPECT_EQ(days(Parsed("0 0 L * 1#1").DayMask(2024, 3)), (std::vector<int>{4, 31}));
}

// Found by fuzz_cron_parser: a field of 113 characters ("000...04#5") is valid and means the same
// as "4#5"; the field texts kept for messages are cut to 80 characters, so they must not be read
// back as the expression.
TEST(CronParser, LongZeroPaddedFieldParsesAndItsMessageTextIsCut) {
  std::string dow = std::string(111, '0') + "4#5";
  CronParseResult r = ParseCron("0 0 * * " + dow);
  ASSERT_TRUE(r.ok) << r.message;
  CronSchedule short_form = Parsed("0 0 * * 4#5");
  EXPECT_EQ(r.schedule.nth_weekdays[4], short_form.nth_weekdays[4]);
  EXPECT_EQ(r.schedule.days_of_week, short_form.days_of_week);
  EXPECT_EQ(r.fields[4], std::string(80, '0') + "...");
  EXPECT_TRUE(ValidateCron("0 0 * * " + dow).ok);
}
