// Capped exponential backoff with jitter (see backoff.hpp).
#include "core/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace devicewake::core {

Backoff::Backoff(BackoffPolicy policy, std::function<double()> random01)
    : policy_(policy), random01_(std::move(random01)) {
  policy_.initial_ms = std::max<std::int64_t>(policy_.initial_ms, 1);
  policy_.max_ms = std::max(policy_.max_ms, policy_.initial_ms);
  if (!(policy_.multiplier >= 1.0) || !std::isfinite(policy_.multiplier)) policy_.multiplier = 1.0;
  if (!(policy_.jitter >= 0.0)) policy_.jitter = 0.0;
  policy_.jitter = std::min(policy_.jitter, 1.0);
}

std::int64_t Backoff::NextDelayMs() noexcept {
  const double max_ms = static_cast<double>(policy_.max_ms);
  current_ms_ = attempts_ == 0 ? static_cast<double>(policy_.initial_ms)
                               : std::min(current_ms_ * policy_.multiplier, max_ms);
  current_ms_ = std::min(current_ms_, max_ms);
  ++attempts_;
  double r = 0.0;
  if (random01_) {
    try {
      r = random01_();
    } catch (...) {
      r = 0.0;
    }
  }
  if (!(r >= 0.0)) r = 0.0;
  if (r >= 1.0) r = std::nextafter(1.0, 0.0);
  double delay = current_ms_ * (1.0 - policy_.jitter * r);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(delay));
}

}  // namespace devicewake::core
