// Parser and validator of cron expressions (docs/design.md §3) into CronSchedule bitmasks.
#include "core/cron_schedule.hpp"

#include <cctype>
#include <vector>

#include "core/civil_time.hpp"
#include "core/device_id.hpp"

namespace devicewake::core {
namespace {

enum FieldIndex { kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek };

struct FieldSpec {
  const char* name;
  int min;
  int max;  // day-of-week: 7 (another name for Sunday)
};

constexpr FieldSpec kFields[] = {{"minute", 0, 59},
                                 {"hour", 0, 23},
                                 {"day-of-month", 1, 31},
                                 {"month", 1, 12},
                                 {"day-of-week", 0, 7}};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kWeekdayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct Macro {
  const char* name;
  const char* expansion;
};
constexpr Macro kMacros[] = {{"@YEARLY", "0 0 1 1 *"},  {"@ANNUALLY", "0 0 1 1 *"},
                             {"@MONTHLY", "0 0 1 * *"}, {"@WEEKLY", "0 0 * * 0"},
                             {"@DAILY", "0 0 * * *"},   {"@MIDNIGHT", "0 0 * * *"},
                             {"@HOURLY", "0 * * * *"}};

// Thrown inside this file only, caught by ParseCron.
struct FieldError {
  std::string text;
  std::string reason;
};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A number or (month, day-of-week) a name.
int ParseValue(const std::string& token, const std::string& item, int field) {
  const FieldSpec& spec = kFields[field];
  if (token.empty()) throw FieldError{item, "a value is missing"};
  if (std::isdigit(static_cast<unsigned char>(token[0]))) {
    int value = 0;
    for (char c : token) {
      if (!std::isdigit(static_cast<unsigned char>(c)))
        throw FieldError{item, "\"" + token + "\" is not a number"};
      value = value * 10 + (c - '0');
      if (value > 1000) break;
    }
    if (value < spec.min || value > spec.max) {
      throw FieldError{item, token + " is out of range " + std::to_string(spec.min) + "-" +
                                 std::to_string(spec.max)};
    }
    return value;
  }
  if (field == kMonth) {
    for (int i = 0; i < 12; ++i)
      if (token == kMonthNames[i]) return i + 1;
    throw FieldError{item, "\"" + token + "\" is not a month (1-12 or JAN-DEC)"};
  }
  if (field == kDayOfWeek) {
    for (int i = 0; i < 7; ++i)
      if (token == kWeekdayNames[i]) return i;
    throw FieldError{item, "\"" + token + "\" is not a weekday (0-7 or SUN-SAT)"};
  }
  throw FieldError{item, "\"" + token + "\" is not a number"};
}

int ParseStep(const std::string& token, const std::string& item, int field) {
  const FieldSpec& spec = kFields[field];
  int span = field == kDayOfWeek ? 7 : spec.max - spec.min + 1;
  int value = 0;
  if (token.empty()) throw FieldError{item, "the step after '/' is missing"};
  for (char c : token) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      throw FieldError{item, "step \"" + token + "\" is not a number"};
    value = value * 10 + (c - '0');
    if (value > 1000) break;
  }
  if (value < 1 || value > span) {
    throw FieldError{item, "step " + token + " is out of range 1-" + std::to_string(span)};
  }
  return value;
}

// Sets bits of one list item into *bits; day-of-month `L` and day-of-week `nL`/`n#k` go to
// schedule.
void ParseItem(const std::string& item, int field, uint64_t* bits, CronSchedule* schedule) {
  const FieldSpec& spec = kFields[field];
  if (item.empty()) throw FieldError{item, "an empty list item"};
  if (field == kDayOfMonth && item == "L") {
    schedule->last_day_of_month = true;
    return;
  }
  if (field == kDayOfWeek) {
    std::size_t hash = item.find('#');
    if (hash != std::string::npos) {
      int weekday = ParseValue(item.substr(0, hash), item, field) % 7;
      std::string k = item.substr(hash + 1);
      if (k.size() != 1 || k[0] < '1' || k[0] > '5') {
        throw FieldError{item, "the occurrence after '#' must be 1-5"};
      }
      schedule->nth_weekdays[weekday] |= static_cast<uint8_t>(1u << (k[0] - '0'));
      return;
    }
    if (item.size() >= 2 && item.back() == 'L') {
      int weekday = ParseValue(item.substr(0, item.size() - 1), item, field) % 7;
      schedule->last_weekdays |= static_cast<uint8_t>(1u << weekday);
      return;
    }
  }
  std::string range = item;
  int step = 1;
  bool has_step = false;
  std::size_t slash = item.find('/');
  if (slash != std::string::npos) {
    range = item.substr(0, slash);
    step = ParseStep(item.substr(slash + 1), item, field);
    has_step = true;
  }
  int low;
  int high;
  if (range == "*") {
    low = spec.min;
    high = spec.max;
  } else {
    std::size_t dash = range.find('-');
    if (dash == std::string::npos) {
      low = ParseValue(range, item, field);
      high = has_step ? spec.max : low;  // `a/s`: a to the field's max
    } else {
      low = ParseValue(range.substr(0, dash), item, field);
      high = ParseValue(range.substr(dash + 1), item, field);
      if (low > high) {
        throw FieldError{item, "range " + range + " runs backwards"};
      }
    }
  }
  for (int v = low; v <= high; v += step) *bits |= uint64_t{1} << (field == kDayOfWeek ? v % 7 : v);
}

void ParseField(const std::string& text, int field, CronSchedule* schedule) {
  uint64_t bits = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) throw FieldError{text, "the list has an empty item"};
    ParseItem(item, field, &bits, schedule);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  switch (field) {
    case kMinute:
      schedule->minutes = bits;
      break;
    case kHour:
      schedule->hours = static_cast<uint32_t>(bits);
      break;
    case kDayOfMonth:
      schedule->days_of_month = static_cast<uint32_t>(bits);
      break;
    case kMonth:
      schedule->months = static_cast<uint16_t>(bits);
      break;
    case kDayOfWeek:
      schedule->days_of_week = static_cast<uint8_t>(bits);
      break;
  }
}

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

CronParseResult Fail(std::string field, std::string text, std::string message,
                     std::string detail = {}) {
  CronParseResult r;
  r.field = std::move(field);
  r.text = std::move(text);
  r.message = std::move(message);
  r.detail = std::move(detail);
  return r;
}

}  // namespace

void CronSchedule::BuildWeekdayMasks() {
  for (int weekday_of_first = 0; weekday_of_first < 7; ++weekday_of_first) {
    for (int l = 0; l < 4; ++l) {
      const int length = 28 + l;
      uint32_t dow = 0;
      for (int w = 0; w < 7; ++w) {
        const int first_day =
            1 + (w - weekday_of_first + 7) % 7;  // first day of the month that is weekday w
        if (days_of_week & (1u << w)) {
          for (int d = first_day; d <= length; d += 7) dow |= uint32_t{1} << d;
        }
        for (int k = 1; k <= 5; ++k) {
          const int d = first_day + 7 * (k - 1);
          if ((nth_weekdays[w] & (1u << k)) && d <= length) dow |= uint32_t{1} << d;
        }
        if (last_weekdays & (1u << w)) {
          int d = first_day + 28;
          if (d > length) d -= 7;
          dow |= uint32_t{1} << d;
        }
      }
      weekday_masks[weekday_of_first][l] = dow;
    }
  }
}

uint32_t CronSchedule::DayMask(int64_t year, int month) const {
  const int length = DaysInMonth(year, month);
  const uint32_t valid = static_cast<uint32_t>(((uint64_t{1} << (length + 1)) - 1) & ~uint64_t{1});
  uint32_t dom = days_of_month & valid;
  if (last_day_of_month) dom |= uint32_t{1} << length;
  const uint32_t dow = weekday_masks[WeekdayFromDays(DaysFromCivil(year, month, 1))][length - 28];
  if (dom_star || dow_star) return dom & dow;  // a star field matches every day (bits all set)
  return dom | dow;                            // Vixie cron: both restricted -> either matches
}

CronParseResult ParseCron(std::string_view expression) {
  std::size_t b = 0;
  std::size_t e = expression.size();
  while (b < e && IsBlank(expression[b])) ++b;
  while (e > b && IsBlank(expression[e - 1])) --e;
  std::string trimmed = Upper(expression.substr(b, e - b));
  std::string excerpt = PrintableExcerpt(expression.substr(b, e - b));

  if (!trimmed.empty() && trimmed[0] == '@') {
    for (const Macro& macro : kMacros) {
      if (trimmed == macro.name) return ParseCron(macro.expansion);
    }
    return Fail("expression", excerpt, "invalid cron expression: unknown macro \"" + excerpt + "\"",
                "Macros are @yearly, @annually, @monthly, @weekly, @daily, @midnight and @hourly.");
  }

  std::vector<std::string> fields;
  std::size_t i = 0;
  while (i < trimmed.size()) {
    while (i < trimmed.size() && IsBlank(trimmed[i])) ++i;
    std::size_t start = i;
    while (i < trimmed.size() && !IsBlank(trimmed[i])) ++i;
    if (i > start) fields.push_back(trimmed.substr(start, i - start));
  }
  if (fields.size() != 5) {
    return Fail("expression", excerpt,
                "invalid cron expression \"" + excerpt + "\": expected 5 fields, found " +
                    std::to_string(fields.size()),
                "The fields are minute, hour, day-of-month, month and day-of-week.");
  }

  CronParseResult result;
  CronSchedule& s = result.schedule;
  for (int f = 0; f < 5; ++f) {
    try {
      ParseField(fields[f], f, &s);
    } catch (const FieldError& error) {
      std::string text = PrintableExcerpt(error.text);
      return Fail(kFields[f].name, text,
                  std::string("invalid cron expression: ") + kFields[f].name + " field \"" + text +
                      "\": " + PrintableExcerpt(error.reason, 200),
                  "The expression was \"" + excerpt + "\".");
    }
  }
  for (int f = 0; f < 5; ++f) result.fields[f] = PrintableExcerpt(fields[f]);
  s.dom_star = fields[kDayOfMonth][0] == '*';
  s.dow_star = fields[kDayOfWeek][0] == '*';
  s.wildcard = fields[kMinute][0] == '*' || fields[kHour][0] == '*';
  s.BuildWeekdayMasks();
  s.can_fire = CanFire(s);
  result.ok = true;
  return result;
}

bool CanFire(const CronSchedule& schedule) {
  if (!schedule.minutes || !schedule.hours) return false;
  for (int64_t year = 2000; year < 2028; ++year) {
    for (int month = 1; month <= 12; ++month) {
      if ((schedule.months & (1u << month)) && schedule.DayMask(year, month)) return true;
    }
  }
  return false;
}

CronParseResult ValidateCron(std::string_view expression) {
  CronParseResult result = ParseCron(expression);
  if (!result.ok || result.schedule.can_fire) return result;
  std::string excerpt = PrintableExcerpt(expression);
  const std::string* f = result.fields;
  if (!result.schedule.minutes || !result.schedule.hours) {
    return Fail("expression", excerpt,
                "invalid cron expression \"" + excerpt + "\": it can never fire");
  }
  std::string days =
      result.schedule.dow_star ? "day-of-month \"" + f[kDayOfMonth] + "\""
      : result.schedule.dom_star
          ? "day-of-week \"" + f[kDayOfWeek] + "\""
          : "day-of-month \"" + f[kDayOfMonth] + "\" with day-of-week \"" + f[kDayOfWeek] + "\"";
  CronParseResult never =
      Fail("day-of-month", f[kDayOfMonth],
           "invalid cron expression: " + days + " never occurs in month \"" + f[kMonth] + "\"",
           "The expression \"" + excerpt + "\" can never fire.");
  never.never_fires = true;
  return never;
}

}  // namespace devicewake::core
