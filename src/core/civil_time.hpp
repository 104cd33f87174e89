// Proleptic Gregorian calendar arithmetic on plain integers (Howard Hinnant's algorithms): days
// since 1970-01-01 <-> year/month/day, weekdays, month lengths. Used by the cron search.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>

namespace devicewake::core {

struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

inline constexpr int64_t kSecondsPerDay = 86400;

// Floor division and modulo for possibly negative numerators.
inline constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
inline constexpr int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

inline constexpr int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

inline constexpr CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return CivilDate{yoe + era * 400 + (m <= 2), m, d};
}

// 0 = Sunday .. 6 = Saturday.
inline constexpr int WeekdayFromDays(int64_t z) { return static_cast<int>(FloorMod(z + 4, 7)); }

inline constexpr bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

inline constexpr int DaysInMonth(int64_t y, int m) {
  constexpr int kLengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kLengths[m - 1];
}

}  // namespace devicewake::core
