// The cron search: field-by-field jumps over local wall-clock time (month -> day bitmask -> hour
// -> minute), and a walk over the UTC segments of constant offset of a time zone that applies
// the DST rules of docs/design.md §3.
#include "core/cron_search.hpp"

#include <algorithm>
#include <limits>

#include "core/civil_time.hpp"

namespace devicewake::core {
namespace {

// How far before t0 the walk over transitions starts, so that it sees the transition that began
// the segment holding t0 (a gap or overlap moves wall time by at most a day: Pacific/Apia 2011).
constexpr int64_t kLookback = 3 * kSecondsPerDay;
constexpr int kMaxSegments = 100000;

inline int Ctz(uint64_t v) { return __builtin_ctzll(v); }
inline uint64_t AtOrAbove(int bit) { return bit >= 64 ? 0 : ~((uint64_t{1} << bit) - 1); }

}  // namespace

std::optional<int64_t> NextLocalMatch(const CronSchedule& s, int64_t local_from) {
  if (!s.minutes || !s.hours || !s.months) return std::nullopt;
  local_from = FloorDiv(local_from + 59, 60) * 60;
  const int64_t days = FloorDiv(local_from, kSecondsPerDay);
  const int64_t second_of_day = local_from - days * kSecondsPerDay;
  const CivilDate date = CivilFromDays(days);
  int64_t year = date.year;
  int month = date.month;
  int day = date.day;
  int hour = static_cast<int>(second_of_day / 3600);
  int minute = static_cast<int>(second_of_day % 3600 / 60);
  const int64_t last_year = year + 401;

  int64_t mask_year = std::numeric_limits<int64_t>::min();
  int mask_month = 0;
  uint32_t day_mask = 0;
  while (year <= last_year) {
    if (!(s.months & (1u << month))) {  // jump to the next month of the schedule
      uint64_t later = s.months & AtOrAbove(month + 1);
      if (later) {
        month = Ctz(later);
      } else {
        ++year;
        month = Ctz(s.months);
      }
      day = 1;
      hour = minute = 0;
      continue;
    }
    if (mask_year != year || mask_month != month) {
      day_mask = s.DayMask(year, month);
      mask_year = year;
      mask_month = month;
    }
    uint64_t days_left = day_mask & AtOrAbove(day);
    if (!days_left) {  // nothing left this month
      if (++month > 12) {
        month = 1;
        ++year;
      }
      day = 1;
      hour = minute = 0;
      continue;
    }
    int next_day = Ctz(days_left);
    if (next_day != day) {
      day = next_day;
      hour = minute = 0;
    }
    uint64_t hours_left = s.hours & AtOrAbove(hour);
    if (!hours_left) {
      ++day;
      hour = minute = 0;
      continue;
    }
    int next_hour = Ctz(hours_left);
    if (next_hour != hour) {
      hour = next_hour;
      minute = 0;
    }
    uint64_t minutes_left = s.minutes & AtOrAbove(minute);
    if (!minutes_left) {
      ++hour;
      minute = 0;
      continue;
    }
    return DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + Ctz(minutes_left) * 60;
  }
  return std::nullopt;
}

std::optional<int64_t> NextFireTime(const CronSchedule& s, const TimeZone& zone, int64_t t0) {
  if (!s.can_fire) return std::nullopt;
  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  const int64_t after = t0 + 1;  // results are >= after (whole seconds; the caller floors t0)

  int64_t segment_start = t0 - kLookback;
  std::optional<Transition> next = zone.NextTransition(segment_start);
  int32_t offset = next ? next->offset_before : zone.OffsetAt(segment_start);
  bool has_previous = false;  // the offset before segment_start is unknown where the walk starts
  int32_t previous_offset = 0;

  for (int segment = 0; segment < kMaxSegments; ++segment) {
    const int64_t segment_end = next ? next->at : kNever;
    const int64_t low = std::max(segment_start, after);
    std::optional<int64_t> match;  // the first local match of this segment's own wall times
    if (low < segment_end) {
      int64_t local_from = low + offset;
      const bool after_overlap = has_previous && previous_offset > offset;
      if (after_overlap && !s.wildcard) {
        // wall times [start + offset, start + previous) already occurred before the transition
        local_from = std::max(local_from, segment_start + previous_offset);
      }
      match = NextLocalMatch(s, local_from);
      if (!match) return std::nullopt;
      std::optional<int64_t> best;
      if (*match - offset < segment_end) best = *match - offset;

      const bool after_gap = has_previous && previous_offset < offset;
      if (after_gap) {
        // wall times [start + previous, start + offset) do not exist: read them with the
        // previous offset, which puts them at [start, start + gap) in UTC
        std::optional<int64_t> skipped = NextLocalMatch(s, low + previous_offset);
        if (skipped && *skipped < segment_start + offset) {
          int64_t at = *skipped - previous_offset;
          if (at < segment_end && (!best || at < *best)) best = at;
        }
      }
      if (best) return best;
    }
    if (!next) return std::nullopt;

    if (match && low == segment_start && *match - offset > segment_end + 2 * kLookback) {
      // The next match lies far beyond this segment (a leap day, a yearly schedule): no wall
      // time in between matches, so resume the walk shortly before it instead of visiting
      // every segment on the way. This keeps the cost independent of the distance.
      segment_start = *match - offset - kLookback;
      next = zone.NextTransition(segment_start);
      offset = next ? next->offset_before : zone.OffsetAt(segment_start);
      has_previous = false;
      continue;
    }
    has_previous = true;
    previous_offset = offset;
    segment_start = next->at;
    offset = next->offset_after;
    next = zone.NextTransition(segment_start);
  }
  return std::nullopt;
}

std::vector<int64_t> NextFireTimes(const CronSchedule& s, const TimeZone& zone, int64_t t0,
                                   int count) {
  std::vector<int64_t> times;
  if (count > 0) times.reserve(static_cast<std::size_t>(count));
  int64_t from = t0;
  for (int i = 0; i < count; ++i) {
    std::optional<int64_t> at = NextFireTime(s, zone, from);
    if (!at) break;
    times.push_back(*at);
    from = *at;
  }
  return times;
}

}  // namespace devicewake::core
