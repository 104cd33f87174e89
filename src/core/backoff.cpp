// Capped exponential backoff (see backoff.hpp).
#include "core/backoff.hpp"

#include <algorithm>
#include <random>

namespace devicewake::core {

Backoff::Backoff(std::int64_t base_ms, std::int64_t cap_ms, std::function<double()> uniform)
    : base_ms_(std::max<std::int64_t>(1, base_ms)),
      cap_ms_(std::max(base_ms_, cap_ms)),
      uniform_(std::move(uniform)) {
  if (!uniform_) {
    uniform_ = [engine = std::minstd_rand(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
  }
}

std::int64_t Backoff::NextDelayMs() {
  std::int64_t delay = base_ms_;
  for (int i = 0; i < attempt_ && delay < cap_ms_; ++i) delay *= 2;
  delay = std::min(delay, cap_ms_);
  if (attempt_ < 62) ++attempt_;
  double factor = 0.5 + 0.5 * std::clamp(uniform_(), 0.0, 1.0);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(delay) * factor));
}

}  // namespace devicewake::core
