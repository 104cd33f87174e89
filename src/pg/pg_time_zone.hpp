// core::TimeZone over PostgreSQL's own time-zone database, resolving a name exactly as
// PostgreSQL 15's AT TIME ZONE does: a fixed or dynamic abbreviation first, then a full zone
// name or POSIX-style specification (pg_tzset).
#pragma once

#include <cstdint>
#include <optional>

#include "core/time_zone.hpp"
#include "pg/guard.hpp"

namespace devicewake::pg {

// What a time zone name resolved to: plain data, safe to keep in palloc'd memory.
struct ResolvedZone {
  enum Kind { kFixedOffset, kZone, kDynamicAbbreviation } kind;
  int32_t offset;     // kFixedOffset: seconds east of UTC
  const pg_tz* zone;  // kZone, kDynamicAbbreviation: the zone (owned by PostgreSQL's cache)
  char name[256];     // kDynamicAbbreviation: the abbreviation as given
};

// Resolves name like AT TIME ZONE. Throws SqlError 22023 `time zone "name" not recognized`.
ResolvedZone ResolveTimeZone(const char* name);

// A TimeZone view of a ResolvedZone (which must outlive it). Its methods may throw SqlError.
class PgTimeZone final : public core::TimeZone {
 public:
  explicit PgTimeZone(const ResolvedZone& resolved) : resolved_(resolved) {}
  int32_t OffsetAt(int64_t utc_seconds) const override;
  std::optional<core::Transition> NextTransition(int64_t utc_seconds) const override;

 private:
  const ResolvedZone& resolved_;
};

}  // namespace devicewake::pg
