// Wire time parsing and formatting (see wire_time.hpp). Calendar arithmetic after Howard
// Hinnant's days_from_civil / civil_from_days, so no libc time zone state is touched.
#include "core/wire_time.hpp"

#include <cmath>
#include <cstdio>

namespace devicewake::core {
namespace {

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month, day;
};

Civil CivilFromDays(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{y + (m <= 2), m, d};
}

bool IsLeap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(std::int64_t y, unsigned m) noexcept {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at pos.
bool Digits(std::string_view s, std::size_t& pos, int n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

// Reads one or two digits at pos (a field a camera may send without zero padding); a third digit
// makes the field invalid.
bool ShortDigits(std::string_view s, std::size_t& pos, int& out) noexcept {
  auto is_digit = [&](std::size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
  if (!is_digit(pos)) return false;
  int n = is_digit(pos + 1) ? 2 : 1;
  if (is_digit(pos + n)) return false;
  return Digits(s, pos, n, out);
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

std::optional<std::int64_t> ParseIso8601Micros(std::string_view s) noexcept {
  std::size_t p = 0;
  int year, month, day, hour, minute, second = 0;
  if (!Digits(s, p, 4, year) || p >= s.size() || s[p++] != '-') return std::nullopt;
  if (!ShortDigits(s, p, month) || p >= s.size() || s[p++] != '-') return std::nullopt;
  if (!ShortDigits(s, p, day) || p >= s.size() || (s[p] != 'T' && s[p] != 't' && s[p] != ' ')) {
    return std::nullopt;
  }
  ++p;
  if (!ShortDigits(s, p, hour) || p >= s.size() || s[p++] != ':') return std::nullopt;
  if (!ShortDigits(s, p, minute)) return std::nullopt;
  std::int64_t micros = 0;
  if (p < s.size() && s[p] == ':') {
    ++p;
    if (!ShortDigits(s, p, second)) return std::nullopt;
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      ++p;
      int digits = 0;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (digits < 6) micros = micros * 10 + (s[p] - '0');
        ++digits;
        ++p;
      }
      if (digits == 0) return std::nullopt;
      for (int i = digits; i < 6; ++i) micros *= 10;
    }
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  std::int64_t offset_seconds = 0;
  if (p < s.size()) {
    char z = s[p];
    if (z == 'Z' || z == 'z') {
      ++p;
    } else if (z == '+' || z == '-') {
      ++p;
      int oh, om = 0;
      if (!Digits(s, p, 2, oh)) return std::nullopt;
      if (p < s.size() && s[p] == ':') {
        ++p;
        if (!Digits(s, p, 2, om)) return std::nullopt;
      } else if (p < s.size() && !Digits(s, p, 2, om)) {
        return std::nullopt;
      }
      if (oh > 15 || om > 59) return std::nullopt;
      offset_seconds = (oh * 3600 + om * 60) * (z == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
  }
  if (p != s.size()) return std::nullopt;
  std::int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  if (seconds < kMinEpochSeconds || seconds > kMaxEpochSeconds) return std::nullopt;
  return seconds * 1000000 + micros;
}

std::optional<std::int64_t> EpochCountToMicros(double value) noexcept {
  if (!std::isfinite(value) || value < 0) return std::nullopt;
  if (value < 1e11) return static_cast<std::int64_t>(std::llround(value * 1e6));
  if (value < 1e14) return static_cast<std::int64_t>(std::llround(value * 1e3));
  return std::nullopt;
}

std::optional<std::int64_t> ParseCaptureTimeMicros(std::string_view text) noexcept {
  if (auto iso = ParseIso8601Micros(text)) return iso;
  if (text.empty() || text.size() > 20) return std::nullopt;
  double value = 0;
  bool seen_dot = false;
  double scale = 1;
  for (char c : text) {
    if (c == '.' && !seen_dot) {
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    if (seen_dot) {
      scale /= 10;
      value += (c - '0') * scale;
    } else {
      value = value * 10 + (c - '0');
    }
  }
  if (text == ".") return std::nullopt;
  return EpochCountToMicros(value);
}

std::string FormatIso8601Utc(std::int64_t epoch_seconds) {
  if (epoch_seconds < kMinEpochSeconds) epoch_seconds = kMinEpochSeconds;
  if (epoch_seconds > kMaxEpochSeconds) epoch_seconds = kMaxEpochSeconds;
  std::int64_t days = FloorDiv(epoch_seconds, 86400);
  std::int64_t secs = epoch_seconds - days * 86400;
  Civil c = CivilFromDays(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

std::string FormatWakeTime(std::int64_t epoch_seconds_utc) {
  std::int64_t secs = epoch_seconds_utc - FloorDiv(epoch_seconds_utc, 86400) * 86400;
  int hour24 = static_cast<int>(secs / 3600);
  int minute = static_cast<int>(secs / 60 % 60);
  int hour12 = hour24 % 12 == 0 ? 12 : hour24 % 12;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%d:%02d%s", hour12, minute, hour24 < 12 ? "AM" : "PM");
  return buf;
}

bool IsWakeTimeText(std::string_view s) noexcept {
  std::size_t colon = s.find(':');
  if (colon != 1 && colon != 2) return false;
  if (s.size() != colon + 5) return false;
  int hour = 0;
  for (std::size_t i = 0; i < colon; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    hour = hour * 10 + (s[i] - '0');
  }
  if (colon == 2 && s[0] == '0') return false;
  if (hour < 1 || hour > 12) return false;
  char m1 = s[colon + 1], m2 = s[colon + 2];
  if (m1 < '0' || m1 > '5' || m2 < '0' || m2 > '9') return false;
  std::string_view suffix = s.substr(colon + 3);
  return suffix == "AM" || suffix == "PM";
}

}  // namespace devicewake::core
