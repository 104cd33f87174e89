// Instants between PostgreSQL (TimestampTz: microseconds since 2000-01-01 UTC) and src/core
// (seconds or microseconds since 1970-01-01 UTC), from PostgreSQL's own epoch constants.
#pragma once

#include "pg/postgres_headers.hpp"

namespace devicewake::pg {

// 2000-01-01 in Unix seconds.
inline constexpr int64 kPostgresEpochUnixSeconds =
    static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;

// Unix seconds of a TimestampTz, rounded down.
inline int64 ToUnixSeconds(TimestampTz ts) {
  int64 seconds = ts / USECS_PER_SEC;
  if (ts % USECS_PER_SEC < 0) --seconds;
  return seconds + kPostgresEpochUnixSeconds;
}

// TimestampTz of Unix seconds / microseconds. The caller keeps them within timestamptz's range.
inline TimestampTz FromUnixSeconds(int64 unix_seconds) {
  return (unix_seconds - kPostgresEpochUnixSeconds) * USECS_PER_SEC;
}
inline TimestampTz FromUnixMicros(int64 unix_micros) {
  return unix_micros - kPostgresEpochUnixSeconds * USECS_PER_SEC;
}

}  // namespace devicewake::pg
