// Times on the wire (docs/design.md §8): device capture timestamps (ISO-8601 or epoch
// seconds/millis), PostgreSQL's JSON rendering of timestamptz, ISO-8601 output for ping, and the
// firmware's "H:MMAM"/"H:MMPM" wake times. All in UTC, proleptic Gregorian; no time zone database
// and no clock (callers pass instants). Never throws; any thread may call these.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace devicewake::core {

// Years 0001..9999 only: anything outside is rejected when parsing.
inline constexpr std::int64_t kMinEpochSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr std::int64_t kMaxEpochSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// Parses `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|z|±HH[:MM]|±HHMM]` into epoch microseconds
// (no zone means UTC; fraction digits beyond 6 are truncated). This covers what PostgreSQL prints
// for timestamptz in JSON ("2026-11-22T14:31:00+00:00"). Month, day, hour, minute and second may
// have one or two digits, as cameras send them ("2025-10-6T1:04:27Z"); the year has four, the
// zone offset two per field. nullopt when not such a timestamp (also for month 13, day 32,
// hour 24 or a three-digit field).
std::optional<std::int64_t> ParseIso8601Micros(std::string_view text) noexcept;

// Interprets an epoch count: below 10^11 it is seconds, below 10^14 milliseconds (a device clock
// in ms), otherwise nullopt; negative values are nullopt (a device never captured before 1970).
std::optional<std::int64_t> EpochCountToMicros(double value) noexcept;

// A capture timestamp as a device sends it in a JSON string: ISO-8601, or a decimal epoch count
// in seconds or milliseconds (see EpochCountToMicros). nullopt when neither.
std::optional<std::int64_t> ParseCaptureTimeMicros(std::string_view text) noexcept;

// "2026-11-22T14:31:00Z" (seconds precision, UTC). Out-of-range inputs are clamped to the
// supported years. Throws only std::bad_alloc.
std::string FormatIso8601Utc(std::int64_t epoch_seconds);

// The firmware's wake time: the UTC wall-clock time of the instant as H:MMAM / H:MMPM, hours not
// padded, minutes two digits ("12:00AM", "8:30AM", "12:05PM", "11:59PM"). Throws only
// std::bad_alloc.
std::string FormatWakeTime(std::int64_t epoch_seconds_utc);

// True when text is a valid H:MMAM/H:MMPM wake time (hours 1..12, minutes 00..59).
bool IsWakeTimeText(std::string_view text) noexcept;

}  // namespace devicewake::core
