// libFuzzer target: the cron parser and validator (src/core/cron_schedule.hpp) and the search
// over a fixed-offset zone and over a zone that shifts by one hour twice a year
// (src/core/cron_search.hpp). Input: the expression, optionally followed by "\n" and bytes that
// pick the start instant and the offset.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/civil_time.hpp"
#include "core/cron_schedule.hpp"
#include "core/cron_search.hpp"
#include "core/time_zone.hpp"

using namespace devicewake::core;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

bool SameSchedule(const CronSchedule& a, const CronSchedule& b) {
  return a.minutes == b.minutes && a.hours == b.hours && a.days_of_month == b.days_of_month &&
         a.months == b.months && a.days_of_week == b.days_of_week &&
         a.last_weekdays == b.last_weekdays &&
         std::memcmp(a.nth_weekdays, b.nth_weekdays, sizeof a.nth_weekdays) == 0 &&
         a.last_day_of_month == b.last_day_of_month && a.dom_star == b.dom_star &&
         a.dow_star == b.dow_star && a.wildcard == b.wildcard && a.can_fire == b.can_fire;
}

// Standard time `base`, one hour more in the second half of every period of 2 * kHalf seconds:
// gaps and overlaps at every phase of the day, far more often than a real zone.
class ShiftingZone final : public TimeZone {
 public:
  static constexpr int64_t kHalf = 182 * 86400 + 7 * 3600 + 30 * 60;
  explicit ShiftingZone(int32_t base) : base_(base) {}
  int32_t OffsetAt(int64_t t) const override { return Phase(t) ? base_ + 3600 : base_; }
  std::optional<Transition> NextTransition(int64_t t) const override {
    int64_t at = (FloorDiv(t, kHalf) + 1) * kHalf;
    return Transition{at, OffsetAt(t), OffsetAt(at)};
  }

 private:
  static bool Phase(int64_t t) { return FloorMod(FloorDiv(t, kHalf), 2) == 1; }
  int32_t base_;
};

uint64_t Bytes(std::string_view s) {
  uint64_t v = 0;
  for (std::size_t i = 0; i < s.size() && i < 8; ++i) v = v << 8 | static_cast<unsigned char>(s[i]);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view expression = input;
  std::string_view tail;
  if (std::size_t nl = input.find('\n'); nl != std::string_view::npos) {
    expression = input.substr(0, nl);
    tail = input.substr(nl + 1);
  }

  CronParseResult parsed = ParseCron(expression);
  CronParseResult validated = ValidateCron(expression);
  if (!parsed.ok) {
    Check(!parsed.message.empty() && !parsed.field.empty());
    Check(!validated.ok && !validated.never_fires);
    return 0;
  }
  Check(parsed.schedule.minutes != 0 && parsed.schedule.hours != 0 && parsed.schedule.months != 0);
  Check(parsed.schedule.minutes >> 60 == 0 && parsed.schedule.hours >> 24 == 0);
  Check((parsed.schedule.days_of_month & 1u) == 0 && (parsed.schedule.months & 1u) == 0);
  Check(validated.ok == parsed.schedule.can_fire);
  Check(validated.ok || (validated.never_fires && !validated.message.empty()));

  // The normalised field texts parse back to the same schedule (unless one was cut for messages:
  // fields[] are excerpts of at most 80 characters).
  bool cut = false;
  for (const std::string& f : parsed.fields) cut |= f.size() > 80;
  if (!cut) {
    std::string again = parsed.fields[0];
    for (int i = 1; i < 5; ++i) again += " " + parsed.fields[i];
    CronParseResult reparsed = ParseCron(again);
    Check(reparsed.ok && SameSchedule(reparsed.schedule, parsed.schedule));
  }
  if (!validated.ok) return 0;

  // Start between 1970 and 2106, offset a whole number of minutes within +-14 h.
  uint64_t pick = Bytes(tail) ^ (size * 0x9E3779B97F4A7C15ull);
  int64_t t0 = static_cast<int64_t>(pick & 0xFFFFFFFFull);
  int32_t offset = static_cast<int32_t>((pick >> 32) % (28 * 60 + 1)) * 60 - 14 * 3600;
  const CronSchedule& s = validated.schedule;

  // Fixed offset: the first match strictly after t0 is the first local match after t0's minute.
  FixedOffsetZone fixed(offset);
  std::optional<int64_t> next = NextFireTime(s, fixed, t0);
  Check(next.has_value());
  Check(*next > t0 && FloorMod(*next, 60) == 0);
  int64_t local_from = FloorDiv(t0 + offset, 60) * 60 + 60;
  std::optional<int64_t> local = NextLocalMatch(s, local_from);
  Check(local.has_value() && *local == *next + offset);
  Check(NextLocalMatch(s, *local) == local);

  // A zone with a gap and an overlap every year: fire times strictly increase.
  ShiftingZone shifting(offset);
  std::vector<int64_t> times = NextFireTimes(s, shifting, t0, 4);
  Check(!times.empty());
  int64_t previous = t0;
  for (int64_t t : times) {
    Check(t > previous);
    previous = t;
  }
  return 0;
}
