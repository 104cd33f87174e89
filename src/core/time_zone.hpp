// The time-zone interface the cron search walks: the UTC offset in force at an instant and the
// next instant at which it changes. src/pg implements it over PostgreSQL's tz database; unit
// tests implement it with fixed transition tables.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <optional>

namespace devicewake::core {

// A change of UTC offset at instant `at` (seconds since the Unix epoch, UTC). Offsets are seconds
// east of UTC: local wall time = UTC + offset.
struct Transition {
  int64_t at;
  int32_t offset_before;
  int32_t offset_after;
};

class TimeZone {
 public:
  virtual ~TimeZone() = default;
  // The offset in force at utc_seconds.
  virtual int32_t OffsetAt(int64_t utc_seconds) const = 0;
  // The first transition strictly after utc_seconds whose offsets differ, or nullopt when the
  // offset never changes again. Its offset_before is the offset in force at utc_seconds.
  virtual std::optional<Transition> NextTransition(int64_t utc_seconds) const = 0;
};

// A zone that never changes offset (UTC, '+05:30', 'EST').
class FixedOffsetZone final : public TimeZone {
 public:
  explicit FixedOffsetZone(int32_t offset) : offset_(offset) {}
  int32_t OffsetAt(int64_t) const override { return offset_; }
  std::optional<Transition> NextTransition(int64_t) const override { return std::nullopt; }

 private:
  int32_t offset_;
};

}  // namespace devicewake::core
