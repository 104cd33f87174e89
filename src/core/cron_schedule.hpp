// A parsed cron expression (docs/design.md §3): the five fields as bitmasks, parsed once and cheap
// to copy, plus the parser and the validator that rejects expressions that can never fire.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace devicewake::core {

struct CronSchedule {
  uint64_t minutes = 0;            // bit m: minute m (0..59)
  uint32_t hours = 0;              // bit h: hour h (0..23)
  uint32_t days_of_month = 0;      // bit d: day d (1..31)
  uint16_t months = 0;             // bit m: month m (1..12)
  uint8_t days_of_week = 0;        // bit w: weekday w (0 = Sunday .. 6)
  uint8_t last_weekdays = 0;       // bit w: `wL`, the last weekday w of the month
  uint8_t nth_weekdays[7] = {};    // [w] bit k: `w#k`, the k-th (1..5) weekday w of the month
  bool last_day_of_month = false;  // `L` in day-of-month
  bool dom_star = true;            // day-of-month field begins with '*'
  bool dow_star = true;            // day-of-week field begins with '*'
  bool wildcard =
      false;  // minute or hour field begins with '*': fires in both halves of an overlap
  bool can_fire = false;  // set by ParseCron: see CanFire
  // Set by ParseCron: the days matching the day-of-week field in a month whose first day is
  // weekday [w] and whose length is 28 + [l]; DayMask is then a table lookup.
  uint32_t weekday_masks[7][4] = {};

  // Bit d (1..31) set for each day of month `month` of `year` that matches the day fields,
  // combining day-of-month and day-of-week with Vixie cron's rule. Never throws.
  uint32_t DayMask(int64_t year, int month) const;

  // Fills weekday_masks from the day-of-week fields. Called by ParseCron. Never throws.
  void BuildWeekdayMasks();
};

struct CronParseResult {
  bool ok = false;
  CronSchedule schedule;
  std::string
      field;  // when !ok: "minute", "hour", "day-of-month", "month", "day-of-week" or "expression"
  std::string text;          // when !ok: the offending text
  std::string message;       // when !ok: lower-case, names the field and the offending text
  std::string detail;        // when !ok: a full sentence, may be empty
  bool never_fires = false;  // when !ok: it parses but no day of any year matches (ValidateCron)
  // When ok: the five field texts (upper-cased, macros expanded) for messages, as PrintableExcerpt
  // renders them: a field longer than 80 characters is cut and ends in "...".
  std::string fields[5];
};

// Parses a cron expression of the dialect of docs/design.md §3 (case-insensitive, surrounding
// blanks ignored). Does not check that the expression can fire: see ValidateCron. Never throws
// except std::bad_alloc.
CronParseResult ParseCron(std::string_view expression);

// True when some day of some year matches (checked over a 28-year window that contains every
// combination of leap year and weekday of January 1st, which is enough for every field).
bool CanFire(const CronSchedule& schedule);

// ParseCron, then rejects an expression that can never fire (e.g. `0 0 30 2 *`). Never throws
// except std::bad_alloc.
CronParseResult ValidateCron(std::string_view expression);

}  // namespace devicewake::core
