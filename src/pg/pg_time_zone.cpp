// PgTimeZone: UTC offsets and transitions from PostgreSQL's tz database (pgtime.h), so cron
// results agree with AT TIME ZONE.
#include "pg/pg_time_zone.hpp"
#include "pg/epoch.hpp"

#include <cstring>
#include <string>

extern "C" {
#include "parser/scansup.h"
#include "pgtime.h"
#include "utils/datetime.h"
}

namespace devicewake::pg {
namespace {

constexpr int kMaxSameOffsetBoundaries = 64;

int32_t AbbreviationOffsetAt(const ResolvedZone& z, int64_t utc_seconds) {
  return PgCall([&]() {
    int is_dst = 0;
    TimestampTz ts = FromUnixSeconds(utc_seconds);
    // PostgreSQL's convention is seconds west of UTC
    return static_cast<int32_t>(
        -DetermineTimeZoneAbbrevOffsetTS(ts, z.name, const_cast<pg_tz*>(z.zone), &is_dst));
  });
}

}  // namespace

ResolvedZone ResolveTimeZone(const char* name) {
  ResolvedZone resolved{};
  std::size_t length = std::strlen(name);
  if (length > TZ_STRLEN_MAX) length = TZ_STRLEN_MAX;  // as text_to_cstring_buffer truncates
  std::memcpy(resolved.name, name, length);
  resolved.name[length] = '\0';
  bool found = PgCall([&]() {
    char* lower = downcase_truncate_identifier(resolved.name, static_cast<int>(length), false);
    int value = 0;
    pg_tz* zone = nullptr;
    int type = DecodeTimezoneAbbrev(0, lower, &value, &zone);
    pfree(lower);
    if (type == TZ || type == DTZ) {
      resolved.kind = ResolvedZone::kFixedOffset;
      resolved.offset = value;  // seconds east of UTC
      return true;
    }
    if (type == DYNTZ) {
      resolved.kind = ResolvedZone::kDynamicAbbreviation;
      resolved.zone = zone;
      return true;
    }
    zone = pg_tzset(resolved.name);
    if (zone == nullptr) return false;
    resolved.kind = ResolvedZone::kZone;
    resolved.zone = zone;
    return true;
  });
  if (!found) {
    throw SqlError(
        ERRCODE_INVALID_PARAMETER_VALUE,
        std::string("time zone \"") + resolved.name + "\" not recognized", "",
        "Use a name PostgreSQL accepts in AT TIME ZONE, such as \"Europe/London\" or \"UTC\".");
  }
  return resolved;
}

int32_t PgTimeZone::OffsetAt(int64_t utc_seconds) const {
  switch (resolved_.kind) {
    case ResolvedZone::kFixedOffset:
      return resolved_.offset;
    case ResolvedZone::kDynamicAbbreviation:
      return AbbreviationOffsetAt(resolved_, utc_seconds);
    case ResolvedZone::kZone:
      break;
  }
  pg_time_t t = static_cast<pg_time_t>(utc_seconds);
  struct pg_tm* tm = pg_localtime(&t, resolved_.zone);
  if (tm == nullptr) throw SqlError(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE, "timestamp out of range");
  return static_cast<int32_t>(tm->tm_gmtoff);
}

std::optional<core::Transition> PgTimeZone::NextTransition(int64_t utc_seconds) const {
  if (resolved_.kind == ResolvedZone::kFixedOffset) return std::nullopt;
  const bool abbreviation = resolved_.kind == ResolvedZone::kDynamicAbbreviation;
  pg_time_t t = static_cast<pg_time_t>(utc_seconds);
  bool have_now = false;
  int32_t offset_now = 0;
  // A boundary may change only the DST flag or the abbreviation: skip those.
  for (int i = 0; i < kMaxSameOffsetBoundaries; ++i) {
    long before_gmtoff = 0;
    long after_gmtoff = 0;
    int before_isdst = 0;
    int after_isdst = 0;
    pg_time_t boundary = 0;
    int found = pg_next_dst_boundary(&t, &before_gmtoff, &before_isdst, &boundary, &after_gmtoff,
                                     &after_isdst, resolved_.zone);
    if (found < 0) throw SqlError(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE, "timestamp out of range");
    if (found == 0) return std::nullopt;
    if (!have_now) {
      offset_now = abbreviation ? AbbreviationOffsetAt(resolved_, utc_seconds)
                                : static_cast<int32_t>(before_gmtoff);
      have_now = true;
    }
    int32_t after = abbreviation ? AbbreviationOffsetAt(resolved_, boundary)
                                 : static_cast<int32_t>(after_gmtoff);
    if (after != offset_now)
      return core::Transition{static_cast<int64_t>(boundary), offset_now, after};
    t = boundary;
  }
  // Many boundaries without an offset change: report one that changes nothing, the walk goes on.
  return core::Transition{static_cast<int64_t>(t), offset_now, offset_now};
}

}  // namespace devicewake::pg
