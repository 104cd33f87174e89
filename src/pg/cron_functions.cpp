// SQL entry points of the cron engine (docs/design.md §3): fn_calculate_next_wake_time,
// next_wake_times and check_cron_expression. The parsed expression and the resolved time zone are
// cached in fn_extra, keyed by their text, so a million calls in one statement parse once.
#include <cstring>
#include <string>
#include <vector>

#include "core/cron_schedule.hpp"
#include "core/cron_search.hpp"
#include "pg/datum.hpp"
#include "pg/epoch.hpp"
#include "pg/pg_time_zone.hpp"

using devicewake::core::CronParseResult;
using devicewake::core::CronSchedule;
using devicewake::pg::PgCall;
using devicewake::pg::PgTimeZone;
using devicewake::pg::ResolvedZone;
using devicewake::pg::SqlError;
using devicewake::pg::ToUnixSeconds;

namespace {

constexpr int kMaxPreviewCount = 1000;
constexpr const char* kCronHint =
    "A cron expression has five fields (minute hour day-of-month month day-of-week) or is one of "
    "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly.";

// Per call site cache, allocated in fn_mcxt: the last few expressions and zones seen, so a
// statement over many devices with a handful of schedules and zones parses each once.
// Plain data only: no C++ object lives in palloc'd memory.
constexpr int kCacheEntries = 16;

struct ScheduleEntry {
  char* text;  // fn_mcxt copy of the expression's bytes
  int length;
  CronSchedule schedule;
};

struct ZoneEntry {
  char* text;  // fn_mcxt copy of the name's bytes
  int length;
  ResolvedZone zone;
};

struct CronCallCache {
  ScheduleEntry schedules[kCacheEntries];
  int schedule_count;
  int schedule_last;  // the entry hit last: consecutive rows usually repeat it
  ZoneEntry zones[kCacheEntries];
  int zone_count;
  int zone_last;
};
// Zeroed by MemoryContextAllocZero and never destroyed: it must be plain bytes.
static_assert(std::is_trivially_copyable_v<CronCallCache>);

struct TextView {
  const char* data;
  int length;
};

TextView TextArgView(FunctionCallInfo fcinfo, int n) {
  return PgCall([&]() {
    text* value = PG_GETARG_TEXT_PP(n);
    return TextView{VARDATA_ANY(value), static_cast<int>(VARSIZE_ANY_EXHDR(value))};
  });
}

CronCallCache* CacheFor(FunctionCallInfo fcinfo) {
  return PgCall([&]() {
    if (fcinfo->flinfo->fn_extra == nullptr) {
      fcinfo->flinfo->fn_extra =
          MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CronCallCache));
    }
    return static_cast<CronCallCache*>(fcinfo->flinfo->fn_extra);
  });
}

// Replaces *slot with an fn_mcxt copy of bytes.
void StoreCopy(FunctionCallInfo fcinfo, char** slot, TextView bytes) {
  PgCall([&]() {
    char* copy = static_cast<char*>(MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, bytes.length + 1));
    std::memcpy(copy, bytes.data, bytes.length);
    copy[bytes.length] = '\0';
    if (*slot) pfree(*slot);
    *slot = copy;
  });
}

// The index of the entry holding text among entries[0..count), trying `last` first; -1 if none.
template <typename Entry>
int FindEntry(const Entry* entries, int count, int last, TextView text) {
  auto same = [&](const Entry& e) {
    return e.length == text.length && std::memcmp(e.text, text.data, text.length) == 0;
  };
  if (last < count && same(entries[last])) return last;
  for (int i = 0; i < count; ++i)
    if (same(entries[i])) return i;
  return -1;
}

// The slot for a new entry: a free one, else one picked by a cheap rotation.
int SlotForNewEntry(int* count, int last) {
  if (*count < kCacheEntries) return (*count)++;
  return (last + 1) % kCacheEntries;
}

[[noreturn]] void ThrowCronError(const CronParseResult& result) {
  throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, result.message, result.detail,
                 result.never_fires
                     ? "February has at most 29 days; April, June, September and November have 30."
                     : kCronHint);
}

// The parsed schedule for the expression argument, from the cache when seen before.
// Throws SqlError 22023 when it does not parse.
const CronSchedule& ScheduleArg(FunctionCallInfo fcinfo, CronCallCache* cache, int n) {
  TextView text = TextArgView(fcinfo, n);
  int i = FindEntry(cache->schedules, cache->schedule_count, cache->schedule_last, text);
  if (i < 0) {
    CronParseResult result = devicewake::core::ParseCron(std::string_view(text.data, text.length));
    if (!result.ok) ThrowCronError(result);
    int count = cache->schedule_count;
    i = SlotForNewEntry(&count, cache->schedule_last);
    ScheduleEntry& entry = cache->schedules[i];
    entry.length = -1;  // invalid until complete
    StoreCopy(fcinfo, &entry.text, text);
    entry.schedule = result.schedule;
    entry.length = text.length;
    cache->schedule_count = count;
  }
  cache->schedule_last = i;
  return cache->schedules[i].schedule;
}

// The resolved time zone for the zone argument, from the cache when seen before.
// Throws SqlError 22023 for a name AT TIME ZONE would not accept.
const ResolvedZone& ZoneArg(FunctionCallInfo fcinfo, CronCallCache* cache, int n) {
  TextView text = TextArgView(fcinfo, n);
  int i = FindEntry(cache->zones, cache->zone_count, cache->zone_last, text);
  if (i < 0) {
    std::string name(text.data, text.length);
    ResolvedZone zone = devicewake::pg::ResolveTimeZone(name.c_str());
    int count = cache->zone_count;
    i = SlotForNewEntry(&count, cache->zone_last);
    ZoneEntry& entry = cache->zones[i];
    entry.length = -1;
    StoreCopy(fcinfo, &entry.text, text);
    entry.zone = zone;
    entry.length = text.length;
    cache->zone_count = count;
  }
  cache->zone_last = i;
  return cache->zones[i].zone;
}

// False when the instant is outside PostgreSQL's timestamptz range.
bool ToTimestampTz(int64_t unix_seconds, TimestampTz* out) {
  const int64_t kLimit = (END_TIMESTAMP / USECS_PER_SEC);
  int64_t seconds = unix_seconds - devicewake::pg::kPostgresEpochUnixSeconds;
  if (seconds >= kLimit) return false;
  TimestampTz ts = seconds * USECS_PER_SEC;
  if (!IS_VALID_TIMESTAMP(ts)) return false;
  *out = ts;
  return true;
}

}  // namespace

// fn_calculate_next_wake_time(timestamptz, text, text) RETURNS timestamptz, STABLE STRICT:
// the earliest instant strictly after the first argument whose wall-clock minute in the zone
// matches the expression (docs/design.md §3). NULL for an infinite instant or an expression that
// can never fire; 22023 for an expression that does not parse or an unknown time zone.
DW_SQL_FUNCTION(devicewake_fn_calculate_next_wake_time) {
  TimestampTz t0 = PG_GETARG_TIMESTAMPTZ(0);
  CronCallCache* cache = CacheFor(fcinfo);
  const CronSchedule& schedule = ScheduleArg(fcinfo, cache, 1);
  const ResolvedZone& resolved = ZoneArg(fcinfo, cache, 2);
  if (TIMESTAMP_NOT_FINITE(t0) || !schedule.can_fire) PG_RETURN_NULL();
  PgTimeZone zone(resolved);
  std::optional<int64_t> next = devicewake::core::NextFireTime(schedule, zone, ToUnixSeconds(t0));
  TimestampTz result;
  if (!next || !ToTimestampTz(*next, &result)) PG_RETURN_NULL();
  PG_RETURN_TIMESTAMPTZ(result);
}

// next_wake_times(timestamptz, text, text, int) RETURNS SETOF timestamptz, STABLE STRICT: the
// next p_count wake times (0..1000; 22023 outside); none for an expression that can never fire.
DW_SQL_FUNCTION(devicewake_next_wake_times) {
  TimestampTz from = PG_GETARG_TIMESTAMPTZ(0);
  int32 count = PG_GETARG_INT32(3);
  if (count < 0 || count > kMaxPreviewCount) {
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "p_count must be between 0 and " +
                                                        std::to_string(kMaxPreviewCount) +
                                                        ", not " + std::to_string(count));
  }
  CronCallCache* cache = CacheFor(fcinfo);
  const CronSchedule& schedule = ScheduleArg(fcinfo, cache, 1);
  const ResolvedZone& resolved = ZoneArg(fcinfo, cache, 2);
  std::vector<TimestampTz> times;
  if (!TIMESTAMP_NOT_FINITE(from)) {
    PgTimeZone zone(resolved);
    for (int64_t at : devicewake::core::NextFireTimes(schedule, zone, ToUnixSeconds(from), count)) {
      TimestampTz ts;
      if (!ToTimestampTz(at, &ts)) break;
      times.push_back(ts);
    }
  }
  PgCall([&]() {
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (TimestampTz ts : times) {
      Datum value = TimestampTzGetDatum(ts);
      bool is_null = false;
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &is_null);
    }
  });
  return (Datum)0;
}

// check_cron_expression(text) RETURNS boolean, IMMUTABLE STRICT: true, or 22023 naming the
// field and the offending text for an expression that does not parse or can never fire.
DW_SQL_FUNCTION(devicewake_check_cron_expression) {
  std::string expression = devicewake::pg::TextArg(fcinfo, 0);
  CronParseResult result = devicewake::core::ValidateCron(expression);
  if (!result.ok) ThrowCronError(result);
  PG_RETURN_BOOL(true);
}
