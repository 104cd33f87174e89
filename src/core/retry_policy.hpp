// The rules for image transmission timeouts and retries (DESIGN §4, docs/retries.md): when a
// timed-out image gets a retry command, when it raises an alert, and the retry command's window.
// The SQL statements in src/pg/image_retry_functions.cpp are composed from these same rules.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace devicewake::core {

inline constexpr int kRetryPriority = 8;
inline constexpr int kRetryLeadMinutes = 5;      // scheduled_for = wake - 5 minutes
inline constexpr int kRetryWindowMinutes = 60;   // expires_at = wake + 1 hour
inline constexpr int kNoWindowExpiryHours = 24;  // no usable wake: due now, expires in 24 h
inline constexpr std::string_view kTimeoutReason =
    "Transmission not completed before next wake window";
inline constexpr std::string_view kTimeoutAlertType = "image_transmission_failed";
inline constexpr std::string_view kMonitorJobName = "devicewake_timeout_monitor";

// The counter rules. Both take the image's retry_count as it was BEFORE this timeout (the sweep
// stores and returns retry_count_before + 1): with max_retries = 3, timeouts 1, 2 and 3 queue a
// retry, timeout 3 (the last retry) and any later one raise the alert; max_retries = 0 never
// retries and alerts at once. Never throw.
bool ShouldQueueRetry(int retry_count_before, int max_retries) noexcept;
bool ShouldRaiseAlert(int retry_count_before, int max_retries) noexcept;

// SQL boolean expressions for the same rules, over two column expressions (trusted SQL text).
std::string QueueRetrySql(std::string_view retry_count_before, std::string_view max_retries);
std::string RaiseAlertSql(std::string_view retry_count_before, std::string_view max_retries);

// When a retry command is deliverable. Times are microseconds since any fixed epoch.
struct RetryWindow {
  std::optional<std::int64_t> scheduled_for;  // nullopt: due now
  std::int64_t expires_at;
};

// wake is the device's next wake (stored, or computed from its schedule); nullopt when it has
// none. A wake whose one-hour window is still open gives [wake - 5 min, wake + 1 h]; no wake, or
// a wake whose window has closed (the device is long overdue), gives "due now, expires in 24 h"
// so the retry waits for whenever the device next says HELLO. Never throws.
RetryWindow ComputeRetryWindow(std::optional<std::int64_t> wake, std::int64_t now) noexcept;

}  // namespace devicewake::core
