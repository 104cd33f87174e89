// The timeout/retry rules of retry_policy.hpp.
#include "core/retry_policy.hpp"

namespace devicewake::core {
namespace {
constexpr std::int64_t kMicrosPerMinute = 60LL * 1000 * 1000;
}

bool ShouldQueueRetry(int retry_count_before, int max_retries) noexcept {
  return retry_count_before < max_retries;
}

bool ShouldRaiseAlert(int retry_count_before, int max_retries) noexcept {
  // written as in DESIGN §4; in 64 bits so max_retries near INT_MIN cannot overflow
  return static_cast<std::int64_t>(retry_count_before) >=
         static_cast<std::int64_t>(max_retries) - 1;
}

std::string QueueRetrySql(std::string_view retry_count_before, std::string_view max_retries) {
  return "(" + std::string(retry_count_before) + " < " + std::string(max_retries) + ")";
}

std::string RaiseAlertSql(std::string_view retry_count_before, std::string_view max_retries) {
  return "(" + std::string(retry_count_before) + " >= " + std::string(max_retries) + " - 1)";
}

RetryWindow ComputeRetryWindow(std::optional<std::int64_t> wake, std::int64_t now) noexcept {
  const std::int64_t window = kRetryWindowMinutes * kMicrosPerMinute;
  if (wake && *wake + window > now) {
    return RetryWindow{*wake - kRetryLeadMinutes * kMicrosPerMinute, *wake + window};
  }
  return RetryWindow{std::nullopt, now + kNoWindowExpiryHours * 60 * kMicrosPerMinute};
}

}  // namespace devicewake::core
