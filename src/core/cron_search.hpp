// The next instants at which a cron schedule fires in a time zone (docs/design.md §3): the earliest
// instant strictly after t0 whose local wall-clock minute matches, with the DST rules fixed there.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <optional>
#include <vector>

#include "core/cron_schedule.hpp"
#include "core/time_zone.hpp"

namespace devicewake::core {

// The earliest local wall-clock minute (seconds since 1970-01-01 00:00 local, a multiple of 60)
// at or after local_from that matches the schedule, searched field by field; nullopt when none
// exists within 401 years (only for a schedule that cannot fire). Never throws.
std::optional<int64_t> NextLocalMatch(const CronSchedule& schedule, int64_t local_from);

// The earliest instant (seconds since the Unix epoch, UTC) strictly after t0 at which the
// schedule fires in zone. Rules (docs/design.md §3):
//  - gap (offset increases): a matching wall time that does not exist fires at that wall time
//    read with the offset in force just before the transition (as PostgreSQL's AT TIME ZONE);
//  - overlap (offset decreases): a repeated wall time fires only at its first occurrence, unless
//    the schedule is a wildcard one (minute or hour field begins with '*'): then in both.
// nullopt when the schedule can never fire. Cost does not grow with the distance to the match.
// Never throws; may call zone's methods, which may throw.
std::optional<int64_t> NextFireTime(const CronSchedule& schedule, const TimeZone& zone, int64_t t0);

// Up to count successive fire times after t0 (each the NextFireTime of the previous one).
std::vector<int64_t> NextFireTimes(const CronSchedule& schedule, const TimeZone& zone, int64_t t0,
                                   int count);

}  // namespace devicewake::core
